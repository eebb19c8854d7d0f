"""The consistency check, the generated summaries and the sanitiser.

The check itself must be able to fail: each rule is shown catching a report built to break it.
Then every report of the demo (seven faults, en and zh_CN, HTML and PDF) must pass it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
from report_sample import sample_report

from procedures.records import Verdict
from results.db import make_engine, session_factory
from results.reports.assemble import assemble_report
from results.reports.consistency import (
    InconsistentReport,
    check_report,
    enforce,
    html_text,
)
from results.reports.html import render_html
from results.reports.labels import available_locales, catalogue
from results.reports.model import (
    ReportData,
    RunData,
    canonical_json,
    report_from_json,
    verdict_named,
)
from results.reports.names import step_label
from results.reports.pdf import render_pdf
from results.reports.sanitise import customer_text, leaks
from results.reports.summary import run_sentences, unit_sentence, without_summary_claims

ROOT = Path(__file__).resolve().parents[2]


def _with_run(data: ReportData, **changes: object) -> ReportData:
    unit = data.units[0]
    run = dataclasses.replace(unit.runs[0], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(data, units=(dataclasses.replace(unit, runs=(run,)),))


def _rules(data: ReportData, text: str) -> set[str]:
    return {p.rule for p in check_report(data, text)}


def test_the_sample_report_is_consistent_in_both_languages() -> None:
    for locale in available_locales():
        data = sample_report(2, locale=locale)
        assert check_report(data, html_text(render_html(data))) == []


def test_a_summary_claim_the_verdicts_do_not_support_is_caught() -> None:
    data = sample_report(1, locale="en")  # its run failed: nothing "passed"
    text = html_text(render_html(data))
    assert _rules(data, text + " Every test passed.") == {"claim"}
    assert _rules(data, text + " The pack meets its specification.") == {"claim"}
    zh = sample_report(1, locale="zh_CN")
    assert _rules(zh, html_text(render_html(zh)) + "所有测试均通过。") == {"claim"}
    with pytest.raises(InconsistentReport, match="summarising claim"):
        enforce(data, text + " All tests passed.")


def test_a_run_verdict_better_than_its_steps_is_caught() -> None:
    data = sample_report(1, locale="en")
    lying = _with_run(data, verdict=Verdict.PASS)  # its voltage check failed
    assert "verdict" in _rules(lying, "")


def test_no_fault_found_on_a_failed_run_must_cite_the_failure() -> None:
    data = sample_report(1, locale="en")
    run = data.units[0].runs[0]
    nff = tuple(
        dataclasses.replace(
            c, value="no_fault_found", evidence=("wake_recharge/voltage_after_wake",)
        )
        if c.kind == "disposition"
        else c
        for c in run.conclusions
        if c.kind in ("disposition",)
    )
    assert "claim" in _rules(_with_run(data, conclusions=nff), "")
    cited = tuple(dataclasses.replace(c, evidence=("voltage_check/pack_voltage",)) for c in nff)
    assert "claim" not in _rules(_with_run(data, conclusions=cited), "")


def test_conclusions_must_cite_existing_measurements() -> None:
    data = sample_report(1, locale="en")
    run = data.units[0].runs[0]
    bare = tuple(dataclasses.replace(c, evidence=()) for c in run.conclusions)
    assert _rules(_with_run(data, conclusions=bare), "") == {"citation"}
    dangling = tuple(dataclasses.replace(c, evidence=("x/y",)) for c in run.conclusions)
    assert _rules(_with_run(data, conclusions=dangling), "") == {"citation"}


@pytest.mark.parametrize(
    "text",
    [
        "source refused it (TCPIP::127.0.0.1::41319::SOCKET: OCP level)",
        "no reply from 192.168.1.20:5025",
        "bench-03.lab.example:5025 timed out",
        "listening on port 5555",
        "serial port /dev/ttyUSB0 busy",
        "ASRL3::INSTR did not answer",
        "store postgresql://qa@db.example/packbench down",
        "localhost refused",
    ],
)
def test_instrument_addresses_are_found_and_withheld(text: str) -> None:
    assert leaks(text)
    clean = customer_text(text)
    assert leaks(clean) == [] and "[instrument]" in clean
    data = sample_report(1, locale="en")
    assert "leak" in _rules(data, text)


def test_ordinary_report_text_is_not_taken_for_an_address() -> None:
    for text in (
        "3.0 ≤ x ≤ 4.2 V at 2025-03-04 08:00:05Z",
        "Keysight Technologies,34461A,MY1,A.03.01",
        "1 kHz resistance 15.5 mΩ; 0.5C charge for 1.7 h",
    ):
        assert leaks(text) == [], text


def test_step_notes_and_comparisons_are_rendered_without_addresses() -> None:
    data = sample_report(1, locale="en")
    run = data.units[0].runs[0]
    step = dataclasses.replace(
        run.steps[0], message="skipped: TCPIP::127.0.0.1::5025::SOCKET did not answer"
    )
    rows = tuple(
        dataclasses.replace(m, comparison="not measured (TCPIP::10.0.0.5::5025::SOCKET: OCP)")
        for m in step.measurements
    )
    step = dataclasses.replace(step, measurements=rows)
    leaky = _with_run(data, steps=(step, *run.steps[1:]))
    html = render_html(leaky)
    assert "TCPIP" not in html and "127.0.0.1" not in html and "10.0.0.5" not in html
    assert "[instrument]" in html


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        (
            "Every test passed: the complaint does not reproduce on the bench.",
            "The complaint does not reproduce on the bench.",
        ),
        (
            "The pack read zero; the board released its protection, and every later test passed.",
            "The pack read zero; the board released its protection.",
        ),
        (
            "The pack meets its specification: check the device and its contacts.",
            "Check the device and its contacts.",
        ),
        (
            "The pack read 2.4 V. All tests passed. Check the charger.",
            "The pack read 2.4 V. Check the charger.",
        ),
        ("所有测试均通过：客诉在测试台上无法复现。", "客诉在测试台上无法复现。"),
        (
            "A cell's 1 kHz resistance exceeds 1.5x its new value.",
            "A cell's 1 kHz resistance exceeds 1.5x its new value.",
        ),
    ],
)
def test_recorded_summary_clauses_are_left_to_the_generated_summary(
    recorded: str, shown: str
) -> None:
    assert without_summary_claims(recorded) == shown


def _passing(data: ReportData) -> RunData:
    run = data.units[0].runs[0]
    steps = tuple(
        dataclasses.replace(
            s,
            verdict=Verdict.PASS,
            measurements=tuple(
                dataclasses.replace(m, verdict=Verdict.PASS) for m in s.measurements
            ),
        )
        for s in run.steps
    )
    return dataclasses.replace(run, steps=steps, verdict=Verdict.PASS)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_test_passed_only_when_every_step_and_measurement_did(locale: str) -> None:
    t = catalogue(locale)
    data = sample_report(1, locale=locale)
    passing = _passing(data)
    claim = t.format("summary.all_passed", n=sum(len(s.measurements) for s in passing.steps))
    assert claim in run_sentences(passing, t)
    # one measurement not taken inside a step that still passed: no claim, the gap is counted
    first = passing.steps[0]
    skipped_row = dataclasses.replace(first.measurements[0], verdict=Verdict.SKIPPED)
    gap = dataclasses.replace(
        passing,
        steps=(
            dataclasses.replace(first, measurements=(skipped_row, *first.measurements[1:])),
            *passing.steps[1:],
        ),
    )
    sentences = run_sentences(gap, t)
    assert claim not in sentences
    assert any(t.format("summary.count.skipped", n=1) in s for s in sentences)
    skipped_step = dataclasses.replace(
        passing.steps[-1], index=99, name="board_tests", verdict=Verdict.SKIPPED, measurements=()
    )
    missing = dataclasses.replace(passing, steps=(*passing.steps, skipped_step))
    shown = step_label(t, skipped_step.name)  # by its label, not its recorded name
    assert shown != skipped_step.name
    assert t.format("summary.missing", steps=shown) in run_sentences(missing, t)
    html = render_html(_with_run(data, steps=missing.steps, verdict=Verdict.PASS))
    assert check_report(_with_run(data, steps=missing.steps), html_text(html)) == []


def test_unit_summary_names_each_procedure_separately() -> None:
    t = catalogue("en")
    data = sample_report(1, locale="en")
    unit = data.units[0]
    diagnosis = unit.runs[0]
    appearance = dataclasses.replace(
        _passing(data), run_id="R9", procedure="appearance", conclusions=()
    )
    retest = dataclasses.replace(appearance, run_id="R10", verdict=Verdict.MARGINAL)
    both = dataclasses.replace(unit, runs=(diagnosis, appearance, retest))
    assert [r.run_id for r in both.results] == [diagnosis.run_id, "R10"]
    sentence = unit_sentence(both, t)
    assert f"{diagnosis.procedure} fail (run {diagnosis.run_id})" in sentence
    assert "appearance marginal (run R10)" in sentence and "R9" not in sentence


def test_an_unknown_verdict_name_is_never_read_as_a_pass() -> None:
    assert verdict_named("PASS") is Verdict.PASS
    assert verdict_named("pass") is Verdict.PASS
    assert verdict_named("SOMETHING_NEWER") is Verdict.ERROR
    assert verdict_named(None) is Verdict.ABORTED
    data = sample_report(1, locale="en")
    content = json.loads(canonical_json(data))
    content["units"][0]["runs"][0]["verdict"] = "something_newer"
    rebuilt = report_from_json(json.dumps(content))
    assert rebuilt.units[0].runs[0].verdict is Verdict.ERROR


@pytest.mark.parametrize(
    ("locale", "label"),
    [("en", "incomplete — evidence missing"), ("zh_CN", "不完整 — 缺少证据")],
)
def test_incomplete_and_contributing_are_labelled(locale: str, label: str) -> None:
    t = catalogue(locale)
    assert t.enum("verdict", "incomplete") == label
    assert "conclusion.contributing" in t.messages
    assert "summary.count.incomplete" in t.messages
    # a contributing finding names a root cause: it is labelled like one, in the report's language
    code = "cell_aged_high_resistance"
    assert t.conclusion("contributing", code) == t.conclusion("root_cause", code) != code


def test_reports_without_set_aside_runs_keep_their_frozen_hash() -> None:
    content = json.loads(canonical_json(sample_report(1, locale="en")))
    assert "set_aside" not in content


# --- every report of the demo ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``packbench demo`` once in a fresh HOME (seven faults on the built-in simulated bench)."""
    home = tmp_path_factory.mktemp("demo-home")
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "PACKBENCH_CHECK_REPORTS": "1",
    }
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "bench.cli", "demo", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return home / ".local/share/packbench/packbench.sqlite3"


@pytest.mark.slow
@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_demo_report_is_consistent(demo_store: Path, locale: str) -> None:
    engine = make_engine(str(demo_store))
    try:
        with session_factory(engine)() as session:
            data = assemble_report(session, 1, locale=locale, issued_at=datetime.now(UTC))
    finally:
        engine.dispose()
    assert len(data.units) == 7
    html = render_html(data)  # enforce() runs inside too (PACKBENCH_CHECK_REPORTS)
    assert check_report(data, html_text(html)) == []
    pdf = render_pdf(data)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert check_report(data, text) == []
    for unit in data.units:  # a unit whose tests were not all measured never reads "all passed"
        t = catalogue(locale)
        for run in unit.runs:
            sentences = " ".join(run_sentences(run, t))
            not_measured = sum(
                m.verdict is Verdict.SKIPPED for s in run.steps for m in s.measurements
            )
            if not_measured:
                assert t.format("summary.count.skipped", n=not_measured) in sentences
                assert t.format("summary.all_passed", n=0)[:8] not in sentences
