"""Report rendering: the HTML and PDF report of a 20-unit complaint.

Each unit carries a 2.4-hour recharge curve sampled at 1 Hz (8,640 points, two channels), so the
plot decimation is part of what is measured. The PDF target (1 s) came with issue 5's report
quality work: before it, the font-coverage check walked every trace sample as text (2.4-3.4 s).
Best of three: the first call also pays imports and font loading, which a service pays once.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.report import Result
from results.reports.html import render_html
from results.reports.pdf import render_pdf

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "tests" / "results" / "report_sample.py"
"""The sample complaint lives with the tests (it is test data, not product); the benchmark loads
it from there by path, since ``tests`` is not an importable package."""


def _sample_module() -> object:
    spec = importlib.util.spec_from_file_location("report_sample", SAMPLE_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the sample report from {SAMPLE_PATH}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run() -> list[Result]:
    data = _sample_module().sample_report(20, points=8640)  # type: ignore[attr-defined]
    html_s = _best(lambda: render_html(data))
    pdf_s = _best(lambda: render_pdf(data), repeat=2)
    size = len(render_html(data).encode())
    return [
        Result("HTML report, 20-unit complaint", html_s, "s", target=2.0),
        Result("PDF report, 20-unit complaint", pdf_s, "s", target=1.0),
        Result("HTML report size, 20 units", size / 1024, "KiB"),
    ]
