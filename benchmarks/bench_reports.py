"""Report rendering: the HTML and PDF report of a 20-unit complaint.

Each unit carries a 2.4-hour recharge curve sampled at 1 Hz (8,640 points, two channels), so the
plot decimation is part of what is measured. The PDF target (1 s) came with issue 5's report
quality work: before it, the font-coverage check walked every trace sample as text (2.4-3.4 s).
Best of three: the first call also pays imports and font loading, which a service pays once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from benchmarks.report import Result
from results.reports.html import render_html
from results.reports.pdf import render_pdf
from results.reports.sample import sample_report


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run() -> list[Result]:
    data = sample_report(20, points=8640)
    html_s = _best(lambda: render_html(data))
    pdf_s = _best(lambda: render_pdf(data), repeat=2)
    size = len(render_html(data).encode())
    return [
        Result("HTML report, 20-unit complaint", html_s, "s", target=2.0),
        Result("PDF report, 20-unit complaint", pdf_s, "s", target=1.0),
        Result("HTML report size, 20 units", size / 1024, "KiB"),
    ]
