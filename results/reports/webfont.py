"""The shipped CJK font as a CSS ``@font-face`` with a ``data:`` URI, cut to the text it serves.

A standalone HTML report and a plot SVG shown through ``<img>`` may load nothing from outside
themselves, and a reader's machine may have no CJK font at all: Chinese labels then render as
empty boxes. Embedding the whole 3.6 MB font in every report is wasteful, so fontTools keeps only
the glyphs of the characters the document uses (a few kB as WOFF). Text that is plain ASCII gets
no font: every system font covers it, and English outputs stay byte-identical.
"""

from __future__ import annotations

import io
from functools import lru_cache

import pybase64
from fontTools import subset
from fontTools.ttLib import TTFont

from results.reports.fonts import font_path

FAMILY = "PackbenchCJK"
_DROPPED = ["GSUB", "GPOS", "GDEF", "vhea", "vmtx", "gasp", "DSIG"]


def needs_font(text: str) -> bool:
    return any(ord(c) > 0x7E for c in text)


@lru_cache(maxsize=256)
def _woff(characters: str) -> bytes:
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.name_IDs = []
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables += _DROPPED
    # lazy: only the kept glyphs are decompiled (10x faster on the 34,000-glyph font);
    # no timestamp recalculation, so the same text gives the same bytes.
    font = TTFont(str(font_path()), lazy=True, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def woff_for(text: str) -> bytes:
    """The shipped font cut to the printable characters of ``text``, as WOFF bytes (the same
    text always gives the same bytes)."""
    return _woff("".join(sorted({c for c in text if c.isprintable()})))


def font_face(text: str, family: str = FAMILY) -> str:
    """``@font-face`` rule for the characters of ``text``, or "" when ``text`` is plain ASCII."""
    if not needs_font(text):
        return ""
    data = pybase64.b64encode(woff_for(text)).decode("ascii")
    return (
        f'@font-face{{font-family:"{family}";src:url(data:font/woff;base64,{data}) format("woff")}}'
    )
