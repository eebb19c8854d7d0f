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
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from latin_only_chromium import cjk_pair, latin_only_chromium, two_strings
from service_support import Service
from test_browser import _login, artifacts, live  # noqa: F401 - the shared fixture
from test_chinese_complete import _store_with_everything

from results.reports import plots
from results.reports.model import TraceChannel, TraceData

pytestmark = pytest.mark.browser


@pytest.fixture
def bare_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Chromium whose fontconfig knows one Latin-only font and no system fonts."""
    with latin_only_chromium(tmp_path_factory.mktemp("nofonts")) as browser:
        yield browser


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
        first, second = cjk_pair(page.inner_text("body"))
        boxes = two_strings(page, first, second, "font-family:monospace")
        assert boxes[0] == boxes[1], "control: without the embedded font the glyphs are boxes"
        page.goto(f"{live}{path}")
        glyphs = two_strings(page, first, second)
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
