"""HTML/PDF rendering: determinism, content, CJK text, evidence anchors, labels per language."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from importlib import resources

import pypdf
import pytest
from report_sample import COMPLAINT, T0, sample_report

from procedures.records import Verdict
from results.reports import fonts, plots
from results.reports import pdf as pdf_module
from results.reports.errors import FontError, MissingLabelError, UnknownLocaleError
from results.reports.html import render_html
from results.reports.labels import available_locales, catalogue
from results.reports.model import ReportData, Signature, TraceChannel, content_sha256
from results.reports.pdf import render_pdf


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_catalogues_carry_the_same_keys() -> None:
    locales = available_locales()
    assert locales == ("en", "zh_CN")
    keys = [set(catalogue(code).messages) for code in locales]
    assert keys[0] == keys[1]
    for code in locales:
        folder = resources.files("results.reports") / "locale"
        raw = json.loads((folder / f"{code}.json").read_text(encoding="utf-8"))
        assert all(isinstance(v, str) and v for v in raw.values())


def test_unknown_locale_and_missing_label_name_the_fix() -> None:
    with pytest.raises(UnknownLocaleError, match="fr"):
        catalogue("fr")
    with pytest.raises(MissingLabelError, match=r"no\.such\.key"):
        catalogue("en")["no.such.key"]
    assert catalogue("en").enum("symptom", "brand_new_code") == "brand_new_code"


def test_html_is_byte_identical_for_the_same_data() -> None:
    first = render_html(sample_report(3))
    second = render_html(sample_report(3))
    assert hashlib.sha256(first.encode()).digest() == hashlib.sha256(second.encode()).digest()


def test_html_changes_when_a_value_changes() -> None:
    data = sample_report(1)
    unit = data.units[0]
    run = unit.runs[0]
    step = run.steps[0]
    row = dataclasses.replace(step.measurements[0], value=0.123456789)
    changed = dataclasses.replace(
        data,
        units=(
            dataclasses.replace(
                unit,
                runs=(
                    dataclasses.replace(
                        run, steps=(dataclasses.replace(step, measurements=(row,)), *run.steps[1:])
                    ),
                ),
            ),
        ),
    )
    html = render_html(changed)
    assert "0.123457" in html  # fixed 6 significant digits
    assert html != render_html(data)
    assert content_sha256(changed) != content_sha256(data)


def test_html_is_self_contained_and_carries_the_content() -> None:
    html = render_html(sample_report(2, locale="zh_CN"))
    assert '<html lang="zh-CN">' in html and '<meta charset="utf-8">' in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # no internet assets
    assert "<link" not in html and "<script" not in html
    assert COMPLAINT.customer in html and COMPLAINT.symptom_text in html
    assert "客诉分析报告" in html and "测量结果与限值" in html
    assert "<svg" in html and "<polyline" in html
    assert "<title>CC-2025-0042-PB-1S2P-18650-5200</title>" in html


def test_html_labels_follow_the_report_language() -> None:
    en = render_html(sample_report(1, locale="en"))
    zh = render_html(sample_report(1, locale="zh_CN"))
    assert "Complaint analysis report" in en and "客诉分析报告" not in en
    assert "客诉分析报告" in zh and "Complaint analysis report" not in zh
    assert ">fail<" in en and ">不合格<" in zh
    # the locale argument overrides the data's own language
    assert "Complaint analysis report" in render_html(sample_report(1), "en")


def test_measurement_rows_show_limits_verdict_and_instrument() -> None:
    data = sample_report(1, locale="en")
    html = render_html(data)
    row = data.units[0].runs[0].steps[0].measurements[0]
    match = re.search(rf'<tr id="{row.anchor}">(.*?)</tr>', html)
    assert match is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))
    assert cells[:7] == [
        'voltage check<br><small class="why">voltage_check</small>',  # the label, then the code
        "pack_voltage",  # no label for a name no shipped procedure records: as recorded
        "0.35",
        "V",
        "3 ≤ x ≤ 4.2 V",
        "fail",
        "Keysight Technologies,34461A,MY12345678,A.03.01",
    ]
    assert 'class="v-fail"' in match.group(1)


def test_diagnosis_links_point_at_existing_measurement_rows() -> None:
    html = render_html(sample_report(2, locale="en"))
    diagnosis = html[html.index('id="diagnosis"') : html.index('id="disposition"')]
    targets = re.findall(r'href="#(m-[0-9a-f]+)"', diagnosis)
    assert len(targets) == 2 * 4  # four cited measurements per unit
    for target in targets:
        assert f'<tr id="{target}">' in html
    eightd = html[html.index('id="eightd"') : html.index('id="approvals"')]
    assert re.findall(r'href="#(m-[0-9a-f]+)"', eightd)[0] in targets
    assert 'href="#run-R0000"' in eightd


@pytest.mark.inconsistent_report
def test_missing_evidence_is_marked_not_linked() -> None:
    data = sample_report(1, locale="en")
    run = data.units[0].runs[0]
    conclusion = dataclasses.replace(run.conclusions[0], evidence=("nowhere/nothing",))
    broken = dataclasses.replace(
        data,
        units=(
            dataclasses.replace(
                data.units[0], runs=(dataclasses.replace(run, conclusions=(conclusion,)),)
            ),
        ),
    )
    assert '<span class="missing">nowhere/nothing (?)</span>' in render_html(broken)


def test_signatures_and_draft_mark() -> None:
    data = sample_report(1, locale="en")
    assert "DRAFT - not approved" in render_html(data)
    signed = dataclasses.replace(
        data,
        signatures=(
            Signature("李工", "authored", T0, content_sha256(data)),
            Signature("王芳", "approved", T0, content_sha256(data)),
        ),
    )
    html = render_html(signed)
    assert "DRAFT" not in html
    approvals = html[html.index('id="approvals"') :]
    assert "王芳" in approvals and "approved" in approvals and content_sha256(data) in approvals
    assert "2025-03-04 08:00:00Z" in approvals


def test_pdf_is_byte_identical_and_dated_from_the_data() -> None:
    first = render_pdf(sample_report(2))
    second = render_pdf(sample_report(2))
    assert first.startswith(b"%PDF-")
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20250307")  # issued_at of the sample
    assert info["/Title"] == "CC-2025-0042-PB-1S2P-18650-5200"


def test_pdf_embeds_the_cjk_font_and_chinese_text_extracts() -> None:
    data = render_pdf(sample_report(1, locale="zh_CN"))
    reader = pypdf.PdfReader(io.BytesIO(data))
    base_fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            base_fonts.add(str(font["/BaseFont"]))
            if "WenQuanYi" in str(font["/BaseFont"]):
                descriptor = font["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor  # embedded TrueType
    assert any(name.endswith("+WenQuanYiMicroHei") for name in base_fonts)
    text = _pdf_text(data)
    for expected in (
        COMPLAINT.customer,
        COMPLAINT.symptom_text,
        "客诉分析报告",
        "第 1 页",
        "不合格",
    ):
        assert expected in text
    assert "CC-2025-0042-PB-1S2P-18650-5200 v1" in text


def test_pdf_english_labels() -> None:
    text = _pdf_text(render_pdf(sample_report(1, locale="en")))
    assert "Complaint analysis report" in text and "Measurement" in text
    assert COMPLAINT.customer in text  # Chinese data inside an English report


def test_pdf_refuses_text_the_font_cannot_show() -> None:
    data = sample_report(1, locale="en")
    korean = dataclasses.replace(
        data, complaint=dataclasses.replace(data.complaint, customer="한국")
    )
    with pytest.raises(FontError, match="PACKBENCH_REPORT_FONT"):
        render_pdf(korean)


def test_font_override_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.FONT_ENV, "/nonexistent/font.ttf")
    with pytest.raises(FontError, match="not a file"):
        fonts.font_path()


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert plots.nice_ticks(0.0, 8640.0) == [0.0, 2000.0, 4000.0, 6000.0, 8000.0, 10000.0]
    assert plots.nice_ticks(2.2, 4.19, 4) == [2.0, 2.5, 3.0, 3.5, 4.0, 4.5]
    flat = plots.nice_ticks(3.3, 3.3)
    assert flat[0] < 3.3 < flat[-1]


def test_decimation_keeps_extremes() -> None:
    import numpy as np

    x = np.arange(100_000, dtype=np.float64)
    y = np.zeros_like(x)
    y[51_234] = 5.0
    y[77_777] = -3.0
    xs, ys = plots.decimate(x, y, 600)
    assert len(xs) <= 600
    assert 5.0 in ys and -3.0 in ys
    assert list(xs) == sorted(xs)


def test_verdict_order_in_units() -> None:
    assert sample_report(1).units[0].verdict is Verdict.FAIL


def _demo_like(units: int, locale: str) -> ReportData:
    """Many units, 1 Hz traces of hours with three and five channels, long Chinese free text and
    long measurement names: what ``make demo`` produces, and what broke the PDF layout."""
    data = sample_report(units, points=8640, locale=locale)
    long_text = "客户反馈：电池装机后无法开机，充电无反应，现场更换充电器后仍然无法充电。" * 12
    out = []
    for number, unit in enumerate(data.units):
        run = unit.runs[0]
        steps = []
        for step in run.steps:
            traces = tuple(
                dataclasses.replace(
                    trace,
                    channels=trace.channels
                    + tuple(
                        TraceChannel(f"cell{i}_voltage", "V", trace.channels[0].values)
                        for i in range(1 + 2 * (number % 2))  # 3 or 5 panels
                    ),
                )
                for trace in step.traces
            )
            rows = tuple(
                dataclasses.replace(
                    m, name=f"{m.name}_after_the_half_c_wake_recharge_at_constant_voltage_{i}"
                )
                for i, m in enumerate(step.measurements)
            )
            steps.append(
                dataclasses.replace(
                    step, traces=traces, measurements=rows, message=step.message + long_text
                )
            )
        renamed = {
            f"{old.step}/{old.name}": f"{new.step}/{new.name}"
            for before, after in zip(run.steps, steps, strict=True)
            for old, new in zip(before.measurements, after.measurements, strict=True)
        }
        conclusions = tuple(  # the citations follow the renamed rows (the check needs them)
            dataclasses.replace(c, evidence=tuple(renamed.get(r, r) for r in c.evidence))
            for c in run.conclusions
        )
        run = dataclasses.replace(run, steps=tuple(steps), conclusions=conclusions)
        out.append(dataclasses.replace(unit, runs=(run,)))
    complaint = dataclasses.replace(
        data.complaint, symptom_text=long_text, customer_demands=long_text
    )
    return dataclasses.replace(data, units=tuple(out), complaint=complaint)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_pdf_of_demo_like_data_fits_every_plot_on_the_page(locale: str) -> None:
    data = _demo_like(6, locale)
    pdf = render_pdf(data)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 6
    text = _pdf_text(pdf)
    assert "cell2_voltage (V)" in text and "客户反馈" in text
    assert pdf == render_pdf(data)


def test_charts_are_scaled_into_the_frame_both_ways() -> None:
    trace = _demo_like(2, "en").units[1].runs[0].steps[1].traces[0]
    chart = plots.layout(trace, "t")
    assert chart.height > pdf_module.FRAME_HEIGHT  # five panels: taller than a page
    drawing = pdf_module._chart(chart, fonts.report_font(), pdf_module.FRAME_WIDTH, 400.0)
    assert drawing.height <= 400.0 + 1e-9 and drawing.width <= pdf_module.FRAME_WIDTH
    assert drawing.width / drawing.height == pytest.approx(chart.width / chart.height)
    assert pdf_module.fit_scale(100.0, 50.0, 800.0, 500.0) == 1.0  # never enlarged


def test_flat_runs_of_a_trace_are_drawn_with_their_ends_only() -> None:
    points = [(float(x), 5.0) for x in range(100)] + [(100.0, 7.0), (101.0, 7.0)]
    assert plots.drop_flat_runs(points) == ((0.0, 5.0), (99.0, 5.0), (100.0, 7.0), (101.0, 7.0))


@pytest.mark.parametrize(("locale", "label"), [("en", "How many"), ("zh_CN", "多少（How many）")])
def test_d2_field_labels_come_from_the_catalogue(locale: str, label: str) -> None:
    data = sample_report(1, locale=locale)
    html = render_html(data)
    eightd = html[html.index('id="eightd"') : html.index('id="approvals"')]
    t = catalogue(locale)
    for field in ("what", "where", "when", "who", "why", "how", "how_many"):
        assert f"<th>{t[f'eightd.{field}']}</th>" in eightd
    assert f"<th>{label}</th>" in eightd
    if locale == "zh_CN":
        assert "<th>What</th>" not in eightd
    assert label in _pdf_text(render_pdf(data))


def test_renderers_carry_no_d2_label_text_of_their_own() -> None:
    for module in ("html.py", "pdf.py"):
        source = (resources.files("results.reports") / module).read_text(encoding="utf-8")
        assert '"How many"' not in source and '("What"' not in source


@pytest.mark.parametrize(
    ("kind", "value", "zh"),
    [
        ("root_cause", "over_discharge_in_storage", "储存中过放（欠压保护）"),
        ("symptom", "cannot power on", "不开机"),
        ("symptom", "short-circuit/fire", "短路/起火"),
        ("disposition", "recharge_and_return", None),
        ("cause_category", "customer storage or handling", "客户储存或使用不当"),
        ("cause_category", "manufacturing", "制造"),
    ],
)
def test_diagnosis_conclusions_are_labelled_in_the_report_language(kind, value, zh):
    """The rules speak the manual's English; a Chinese report must not show it untranslated."""
    label = catalogue("zh_CN").conclusion(kind, value)
    if zh is not None:
        assert label == zh
    assert label != value
    assert catalogue("en").conclusion("root_cause", "fuse_open") == "fuse open"


def test_every_outcome_of_the_diagnosis_rules_has_labels_in_every_language():
    from procedures.diagnosis.rules import OUTCOMES

    for locale in available_locales():
        t = catalogue(locale)
        for code, outcome in OUTCOMES.items():
            assert f"root_cause.{code}" in t.messages, (locale, code)
            assert t.conclusion("symptom", outcome.symptom) != outcome.symptom or locale == "en"
            assert f"disposition.{outcome.disposition}" in t.messages, (locale, outcome)
            label = t.conclusion("cause_category", outcome.cause_category)
            assert label != outcome.cause_category or locale == "en", (locale, outcome)
