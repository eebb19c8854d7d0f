"""The font the PDF embeds, chosen so Chinese customer names and free text render everywhere.

We ship a subset of WenQuanYi Micro Hei (Apache-2.0; Latin, symbols and all CJK Unified
Ideographs, Hangul dropped: 3.6 MB) instead of relying on a host font package: the PDF then looks
the same, and hashes the same, on every bench and in CI. ``PACKBENCH_REPORT_FONT`` may name another
TrueType file (``.ttf``, or ``.ttc`` face 0) for text the subset lacks; a character no font covers
is refused loudly rather than printed as an empty box in a signed report.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from results.reports.errors import FontError

FONT_ENV = "PACKBENCH_REPORT_FONT"
SHIPPED_FONT = "wqy-microhei-sc.ttf"


def font_path() -> Path:
    override = os.environ.get(FONT_ENV, "").strip()
    if override:
        path = Path(override)
        if not path.is_file():
            raise FontError(
                f"{FONT_ENV}={override!r} is not a file; point it at a TrueType font "
                f"(e.g. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc) or unset it to use the "
                f"shipped {SHIPPED_FONT}"
            )
        return path
    return Path(str(resources.files("results.reports") / "fonts" / SHIPPED_FONT))


@cache
def _register(path: Path) -> TTFont:
    name = f"PackbenchReport-{path.stem}"
    try:
        font = TTFont(name, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise FontError(
            f"cannot load report font {path}: {exc}; use a TrueType (glyf) font, not CFF/OTF"
        ) from exc
    pdfmetrics.registerFont(font)
    return font


def report_font() -> str:
    """Register the report font with reportlab once and return its name."""
    return str(_register(font_path()).fontName)


def missing_characters(text: str) -> str:
    """Characters of ``text`` the report font has no glyph for (control characters ignored)."""
    font = _register(font_path())
    covered = font.face.charToGlyph
    missing = sorted({c for c in text if c.isprintable() and ord(c) not in covered})
    return "".join(missing)
