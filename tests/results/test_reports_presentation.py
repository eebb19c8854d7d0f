"""Measurement limits as one inequality, the engine's comparison beside the verdict, and
categorical trace channels (the source's regulation mode) drawn as labelled state bands."""

from __future__ import annotations

import dataclasses
import io
import re
from html import escape

import pypdf
import pytest
from report_sample import sample_report

from procedures.diagnosis.wake_recharge import MODE_CODE
from procedures.records import Verdict
from results.reports import fmt, plots
from results.reports.html import render_html, verdict_reason
from results.reports.model import ReportData, TraceChannel, TraceData
from results.reports.pdf import render_pdf


@pytest.mark.parametrize(
    ("low", "high", "low_incl", "high_incl", "unit", "text"),
    [
        (None, None, True, True, "V", ""),
        (2.4, 4.35, True, True, "V", "2.4 ≤ x ≤ 4.35 V"),
        (2.4, 4.35, False, True, "V", "2.4 < x ≤ 4.35 V"),
        (2.4, 4.35, True, False, "V", "2.4 ≤ x < 4.35 V"),
        (None, 120.0, True, False, "mΩ", "x < 120 mΩ"),
        (None, 120.0, True, True, "mΩ", "x ≤ 120 mΩ"),
        (3.0, None, True, True, "V", "x ≥ 3 V"),
        (3.0, None, False, True, "", "x > 3"),
    ],
)
def test_limits_show_only_the_sides_that_have_a_bound(
    low: float | None, high: float | None, low_incl: bool, high_incl: bool, unit: str, text: str
) -> None:
    assert fmt.limits(low, high, low_incl, high_incl, unit) == text


def _with_rows(data: ReportData, **changes: object) -> ReportData:
    """The sample report with its first measurement row changed."""
    unit = data.units[0]
    run = unit.runs[0]
    step = run.steps[0]
    row = dataclasses.replace(step.measurements[0], **changes)  # type: ignore[arg-type]
    step = dataclasses.replace(step, measurements=(row, *step.measurements[1:]))
    run = dataclasses.replace(run, steps=(step, *run.steps[1:]))
    unit = dataclasses.replace(unit, runs=(run, *unit.runs[1:]))
    return dataclasses.replace(data, units=(unit, *data.units[1:]))


def _row_cells(html: str, anchor: str) -> list[str]:
    match = re.search(rf'<tr id="{anchor}">(.*?)</tr>', html)
    assert match is not None
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))


def test_a_row_without_limits_has_an_empty_limits_cell() -> None:
    data = _with_rows(sample_report(1, locale="en"), low=None, high=None, verdict=Verdict.PASS)
    row = data.units[0].runs[0].steps[0].measurements[0]
    cells = _row_cells(render_html(data), row.anchor)
    assert cells[4] == ""
    assert "[,]" not in render_html(data)


def test_a_failed_row_quotes_the_engines_comparison_under_its_verdict() -> None:
    comparison = "0.35 < 3 V (below low limit)"
    data = _with_rows(sample_report(1, locale="en"), comparison=comparison)
    row = data.units[0].runs[0].steps[0].measurements[0]
    html = render_html(data)
    match = re.search(rf'<tr id="{row.anchor}">(.*?)</tr>', html)
    assert match is not None
    shown = escape(comparison)
    assert f'title="{shown}"' in match.group(1)
    assert f'<small class="why">{shown}</small>' in match.group(1)
    assert comparison in _pdf_text(render_pdf(data))
    assert html == render_html(data)


def test_a_pass_keeps_its_comparison_as_a_tooltip_only() -> None:
    comparison = "3 <= 3.7 <= 4.2 V"
    data = _with_rows(
        sample_report(1, locale="en"), comparison=comparison, value=3.7, verdict=Verdict.PASS
    )
    row = data.units[0].runs[0].steps[0].measurements[0]
    assert verdict_reason(row) == ""
    html = render_html(data)
    match = re.search(rf'<tr id="{row.anchor}">(.*?)</tr>', html)
    assert match is not None
    verdict = re.search(r'<td class="v-pass"[^>]*>(.*?)</td>', match.group(1))
    assert verdict is not None
    assert f'title="{escape(comparison)}"' in match.group(1) and "<small" not in verdict.group(1)


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_band_labels_match_the_recharge_steps_mode_codes() -> None:
    labels = plots.CATEGORY_LABELS["mode"]
    short = {"UNREGULATED": "UR", "PROTECTION_TRIPPED": "PROT"}
    assert len(labels) == len(MODE_CODE)
    for mode, code in MODE_CODE.items():
        assert labels[int(code)] == short.get(mode.name, mode.name), mode


def _recharge_with_mode() -> TraceData:
    time = tuple(float(t) for t in range(0, 7200, 60))
    mode = tuple(1.0 if t < 5000 else 2.0 if t < 7000 else 0.0 for t in time)
    return TraceData(
        "recharge",
        time,
        (
            TraceChannel("voltage", "V", tuple(3.0 + t / 7200 for t in time)),
            TraceChannel("current", "A", tuple(2.6 if t < 5000 else 1.0 for t in time)),
            TraceChannel("mode", "", mode),
        ),
    )


def test_the_mode_channel_is_a_labelled_band_not_a_numeric_panel() -> None:
    chart = plots.layout(_recharge_with_mode(), "Time (s)")
    assert [p.title for p in chart.panels] == ["voltage (V)", "current (A)"]
    (band,) = chart.bands
    assert [s.label for s in band.segments] == ["CC", "CV", "OFF"]
    assert band.top > chart.panels[-1].top + chart.panels[-1].height
    assert band.top + band.height < chart.height
    cc, cv, off = band.segments
    assert cc.left == band.left and cc.right == cv.left and cv.right == off.left
    assert off.right == pytest.approx(band.left + band.width * 7140 / 8000, abs=0.01)
    svg = plots.svg(chart)
    assert ">CC</text>" in svg and ">CV</text>" in svg and "mode ()" not in svg


def test_a_unitful_channel_named_like_a_category_stays_numeric() -> None:
    trace = TraceData("t", (0.0, 1.0), (TraceChannel("mode", "V", (1.0, 2.0)),))
    chart = plots.layout(trace, "t")
    assert [p.title for p in chart.panels] == ["mode (V)"] and chart.bands == ()


def test_state_runs_split_on_each_change_and_skip_non_finite_samples() -> None:
    import numpy as np

    time = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    codes = np.array([1.0, 1.0, np.nan, 2.0, 2.0, 9.0])
    assert plots.state_runs(time, codes) == [(0.0, 3.0, 1), (3.0, 5.0, 2), (5.0, 5.0, 9)]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_pdf_draws_the_band_labels(locale: str) -> None:
    data = sample_report(1, locale=locale)
    unit = data.units[0]
    run = unit.runs[0]
    step = dataclasses.replace(run.steps[1], traces=(_recharge_with_mode(),))
    run = dataclasses.replace(run, steps=(run.steps[0], step, *run.steps[2:]))
    data = dataclasses.replace(data, units=(dataclasses.replace(unit, runs=(run,)),))
    pdf = render_pdf(data)
    text = _pdf_text(pdf)
    assert "CC" in text and "CV" in text and "mode ()" not in text
    assert pdf == render_pdf(data)
