"""Chromium on a machine without CJK fonts, for the pixel checks of Chinese text.

fontconfig is pointed at a directory holding one Latin-only font (reportlab's Bitstream Vera;
with no font at all Chromium draws no text whatsoever, so an empty directory proves nothing):
the only CJK glyphs the browser has are the ones a page, a report or a plot carries itself.
Missing glyphs are drawn as identical boxes, so two different Chinese strings of the same length
render to identical pixels exactly when the font is missing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import reportlab
from required_services import CHROMIUM

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PROBE_SPANS = """
(pair) => {
  for (const [i, text] of pair.entries()) {
    const s = document.createElement('span');
    s.id = 'probe' + i; s.textContent = text;
    s.style.cssText = 'font-size:40px;position:fixed;top:' + (10 + 60 * i) +
      'px;left:10px;background:#fff;color:#000;line-height:1.2;' + (pair[2] || '');
    document.body.appendChild(s);
  }
}
"""

FONTS_SETTLED = """
async () => {
  document.body.getBoundingClientRect();
  await document.fonts.ready;
  return document.fonts.status;
}
"""
"""Lay the probes out (their fonts start loading then) and wait until every font the page asked
for has loaded. Through ``page.evaluate``, not ``wait_for_function``: a polled string predicate
is evaluated in the page, where its Content-Security-Policy refuses it (seen whenever the fonts
were still loading at the first check)."""


@contextmanager
def latin_only_chromium(root: Path) -> Iterator[Any]:
    """A Playwright Chromium browser whose fontconfig knows Vera only (files kept in ``root``)."""
    from playwright.sync_api import sync_playwright

    (root / "fonts").mkdir(parents=True)
    shutil.copyfile(
        Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", root / "fonts" / "Vera.ttf"
    )
    (root / "cache").mkdir()
    conf = root / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{root / 'fonts'}</dir><cachedir>{root / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, env=env)
        try:
            yield browser
        finally:
            browser.close()


def two_strings(page: Any, first: str, second: str, style: str = "") -> tuple[bytes, bytes]:
    """Screenshots of ``first`` and ``second`` drawn on ``page`` in its own fonts (``style``
    added to each span), once every font the page asked for has loaded."""
    page.evaluate(PROBE_SPANS, [first, second, style])
    status = page.evaluate(FONTS_SETTLED)
    assert status == "loaded", f"the page's fonts did not load: {status}"
    return page.locator("#probe0").screenshot(), page.locator("#probe1").screenshot()


def cjk_pair(text: str) -> tuple[str, str]:
    """Two different strings of two CJK characters each, taken from ``text``."""
    chars = list(dict.fromkeys(re.findall(r"[\u4e00-\u9fff]", text)))
    assert len(chars) >= 4, "the page shows too little Chinese to check"
    return chars[0] + chars[1], chars[2] + chars[3]
