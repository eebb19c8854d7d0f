"""Chinese renders on a machine without CJK fonts: Chromium is started with fontconfig pointed
at a font directory holding one Latin-only font (reportlab's Bitstream Vera; with no font at all
Chromium draws no text whatsoever, so an empty directory proves nothing), so the only CJK glyphs
it has are the ones the report, the pages and the plot SVGs carry themselves.

The pixel check: missing glyphs are drawn as identical boxes, so two different Chinese strings
of the same length render to identical pixels exactly when the font is missing. Each check is
run once against a control that uses no embedded font, which must show the boxes (so the check
can fail), and once for real.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import reportlab
from required_services import CHROMIUM
from service_support import Service
from test_browser import ARGS, _login, artifacts, live  # noqa: F401 - the shared fixture
from test_chinese_complete import _store_with_everything

from results.reports import plots
from results.reports.model import TraceChannel, TraceData

pytestmark = pytest.mark.browser
SPANS = """
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


@pytest.fixture
def bare_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Chromium whose fontconfig knows one Latin-only font and no system fonts."""
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("nofonts")
    (root / "fonts").mkdir()
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
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, env=env)
        try:
            yield b
        finally:
            b.close()


def _two_strings(page, first: str, second: str, style: str = "") -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    page.evaluate(SPANS, [first, second, style])
    page.wait_for_function("document.fonts.status === 'loaded'")
    return (
        page.locator("#probe0").screenshot(),
        page.locator("#probe1").screenshot(),
    )


def _cjk_pair(text: str) -> tuple[str, str]:
    """Two different strings of two CJK characters each, taken from ``text`` (so the embedded
    subset covers them)."""
    chars = list(dict.fromkeys(re.findall(r"[\u4e00-\u9fff]", text)))
    assert len(chars) >= 4, "the page shows too little Chinese to check"
    return chars[0] + chars[1], chars[2] + chars[3]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_report_page_renders_chinese_without_system_fonts(  # type: ignore[no-untyped-def]
    service: Service,
    live: str,  # noqa: F811
    bare_browser,
) -> None:
    _number, run_id, report_id = _store_with_everything(service)
    context = bare_browser.new_context()
    page = context.new_page()
    _login(page, live, "zhao.min", service.tokens["zhao.min"])
    shots = artifacts()
    for path in (f"/reports/{report_id}", f"/runs/{run_id}?lang=zh_CN"):
        page.goto(f"{live}{path}")
        first, second = _cjk_pair(page.inner_text("body"))
        boxes = _two_strings(page, first, second, "font-family:monospace")
        assert boxes[0] == boxes[1], "control: without the embedded font the glyphs are boxes"
        page.goto(f"{live}{path}")
        glyphs = _two_strings(page, first, second)
        assert glyphs[0] != glyphs[1], f"{path}: Chinese renders as boxes"
        page.screenshot(
            path=artifacts() / f"nofont-{path.strip('/').split('?')[0].replace('/', '-')}.png"
        )
    # The run page's conclusions table: no column squeezed to one character in Chinese, even in
    # a narrow window where the evidence paths (unbreakable) take the width.
    page.set_viewport_size({"width": 560, "height": 900})
    page.goto(f"{live}/runs/{run_id}?lang=zh_CN")
    table = page.locator("table", has=page.locator("th", has_text="结论项"))
    cells = table.locator("tbody tr").first.locator("td")
    widths = cells.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)")
    font_px = float(table.evaluate("t => parseFloat(getComputedStyle(t).fontSize)"))
    assert widths and min(widths) > 2.5 * font_px, widths
    # The kind and the value ("处置", "补电后退回") are words: each stays on one line.
    lines = cells.evaluate_all(
        "cells => cells.slice(0, 2).map(c => { const r = document.createRange();"
        " r.selectNodeContents(c); return new Set([...r.getClientRects()].map(b => b.top)).size })"
    )
    assert lines == [1, 1], (lines, widths)
    page.screenshot(path=shots / "nofont-run-zh-full.png", full_page=True)
    context.close()


def test_plot_svg_renders_chinese_labels_without_system_fonts(bare_browser) -> None:  # type: ignore[no-untyped-def]
    data = TraceData("t", (0.0, 1.0, 2.0), (TraceChannel("voltage", "V", (1.0, 2.0, 3.0)),))
    page = bare_browser.new_page()

    def label(x_label: str, keep_font: bool) -> bytes:
        svg = plots.svg(plots.layout(data, x_label))
        if not keep_font:
            svg = re.sub(r"<style>.*?</style>", "", svg)
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        page.set_content(f'<body style="margin:0"><img id="plot" src="{uri}"></body>')
        page.wait_for_function("document.getElementById('plot').complete")
        box = page.locator("#plot").bounding_box()
        assert box is not None
        clip = {
            "x": box["x"],
            "y": box["y"] + box["height"] - 18,
            "width": box["width"],
            "height": 18,
        }
        return bytes(page.screenshot(clip=clip))

    assert label("时间 (s)", False) == label("电压 (s)", False), "control: boxes without the font"
    assert label("时间 (s)", True) != label("电压 (s)", True), "plot labels render as boxes"
    Path(artifacts() / "nofont-plot.svg").write_text(
        plots.svg(plots.layout(data, "时间 (s)")), encoding="utf-8"
    )
