"""Reply letters say what the store records, unit by unit: each unit's (or each group's)
disposition, its findings, and its test results; "passed" only where every test passed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form, run_info

from procedures.diagnosis.rules import OUTCOMES
from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunOutcome,
    StepRecord,
    Verdict,
)
from results import replies
from results.complaints import add_returned_unit, register_complaint, set_unit_status
from results.errors import ValidationError
from results.models import Run, UnitStatus
from results.phrase_rules import find_phrases
from results.recorder import DatabaseRecorder
from results.reply_findings import UnitResult
from results.reply_rules import ApprovedTerms, check_text
from results.reports import document as node
from results.reports.consistency import html_text
from results.reports.html import document_html
from results.reports.labels import catalogue
from results.reports.names import measurement_label as report_measurement_label
from results.reports.pdf import document_pdf, pdf_text
from results.reports.text import block_lines

FOLLOW_UP = date(2026, 12, 1)
LANGUAGES = ("en", "zh_CN")


def _measurement(name: str, verdict: Verdict, text: str | None = None) -> MeasurementRecord:
    value = None if text is not None else 3.7
    return MeasurementRecord(
        name, value, "V", LimitsRecord(low=3.0, high=4.2), verdict, "recorded", T0, text_value=text
    )


def _complaint(sessions: sessionmaker[Session], serials: list[str]) -> tuple[int, str, list[int]]:
    with sessions.begin() as session:
        complaint = register_complaint(session, form(), actor="li", now=T0 + timedelta(minutes=5))
        ids = [
            add_returned_unit(session, complaint.id, serial=s, received_at=T0, actor="li").id
            for s in serials
        ]
        return complaint.id, complaint.number, ids


def _record(
    sessions: sessionmaker[Session],
    complaint: tuple[int, str],
    unit_id: int,
    serial: str,
    cause: str,
    measurements: list[MeasurementRecord],
    *,
    run_verdict: str | None = None,
) -> None:
    """A finished diagnosis run with the rules' conclusions for ``cause``, and the bench's
    proposed disposition on the unit (what ``bench.runner`` records)."""
    complaint_id, number = complaint
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(run_info(serial, complaint_number=number))
    verdict = Verdict.worst([m.verdict for m in measurements])
    recorder.step_finished(
        StepRecord("pack_tests", 0, T0, T0 + timedelta(minutes=1), verdict, measurements)
    )
    outcome = OUTCOMES[cause]
    evidence = (f"pack_tests/{measurements[0].name}",)
    conclusions = (
        Conclusion("root_cause", cause, "", evidence),
        Conclusion("disposition", outcome.disposition, "", evidence),
        Conclusion("advice", outcome.advice, "", evidence),
    )
    recorder.run_finished(RunOutcome(verdict, T0 + timedelta(hours=2), "", conclusions))
    with sessions.begin() as session:
        if run_verdict is not None:  # a run-level word another module may add (e.g. INCOMPLETE)
            run = session.scalars(select(Run).where(Run.unit_id == unit_id)).one()
            run.verdict = run_verdict
        set_unit_status(
            session, unit_id, UnitStatus.ANALYSED, actor="bench", disposition=outcome.disposition
        )


def _letter(sessions: sessionmaker[Session], complaint_id: int, language: str) -> str:
    with sessions.begin() as session:
        reply = replies.create_reply(
            session, complaint_id, language=language, actor="li", follow_up_due=FOLLOW_UP
        )
        assert replies.check_reply(session, reply.id) == []
        return reply.body


def _line(letter: str, serial: str) -> str:
    [line] = [line for line in letter.splitlines() if serial in line]
    return line


PASSING = [
    _measurement("pack_resistance", Verdict.PASS),
    _measurement("wake_voltage", Verdict.PASS),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_draft_for_mixed_dispositions_names_each_units_disposition(
    sessions: sessionmaker[Session], language: str
) -> None:
    serials = ["U-1", "U-2", "U-3", "U-4"]
    complaint_id, number, ids = _complaint(sessions, serials)
    key = (complaint_id, number)
    failed = [_measurement("cell1_voltage", Verdict.FAIL), *PASSING]
    _record(sessions, key, ids[0], "U-1", "over_discharge_in_storage", PASSING)
    _record(sessions, key, ids[1], "U-2", "cell_deeply_discharged", failed)
    _record(sessions, key, ids[2], "U-3", "overcurrent_protection_failed", PASSING[:1])
    _record(sessions, key, ids[3], "U-4", "cell_deeply_discharged", failed)
    with sessions.begin() as session:  # QA confirms one proposal and overrides another
        set_unit_status(session, ids[2], UnitStatus.DISPOSITIONED, actor="qa", disposition="scrap")
    letter = _letter(sessions, complaint_id, language)
    m, labels = replies.messages(language), catalogue(language)

    def handling(disposition: str, confirmed: bool) -> str:
        key = "handling.confirmed" if confirmed else "handling.proposed"
        return m[key].format(disposition=labels.enum("disposition", disposition))

    assert handling("recharge_and_return", False) in _line(letter, "U-1")
    assert handling("scrap", True) in _line(letter, "U-3")  # QA's, not the bench's proposal
    assert handling("replace_board", False) not in letter
    group = _line(letter, "U-2")
    assert group == _line(letter, "U-4")  # the same outcome: one line for both
    assert handling("scrap", False) in group
    assert m["finding.cell_deeply_discharged"] in group
    assert m["finding.over_discharge_in_storage"] in _line(letter, "U-1")
    assert m["finding.overcurrent_protection_failed"] in _line(letter, "U-3")
    assert m["summary.all_passed"] not in letter  # U-2 and U-4 failed


@pytest.mark.parametrize("language", LANGUAGES)
def test_qas_handling_is_still_its_decision_once_the_unit_is_scrapped(
    sessions: sessionmaker[Session], language: str
) -> None:
    """The letter said "proposed, to be confirmed" of a unit QA had already scrapped."""
    complaint_id, number, ids = _complaint(sessions, ["U-1"])
    _record(sessions, (complaint_id, number), ids[0], "U-1", "cell_deeply_discharged", PASSING)
    with sessions.begin() as session:
        set_unit_status(session, ids[0], UnitStatus.DISPOSITIONED, actor="qa", disposition="scrap")
        set_unit_status(session, ids[0], UnitStatus.SCRAPPED, actor="qa", reason="as decided")
    letter = _letter(sessions, complaint_id, language)
    m, labels = replies.messages(language), catalogue(language)
    scrap = labels.enum("disposition", "scrap")
    assert m["handling.confirmed"].format(disposition=scrap) in _line(letter, "U-1")
    assert m["handling.proposed"].format(disposition=scrap) not in letter


NOT_PASSING = {
    "failed": (_measurement("overcurrent_protection", Verdict.FAIL, "not_tripped"), None),
    "skipped": (_measurement("board_self_consumption", Verdict.SKIPPED, "not_measured"), None),
    "not_tested_graded_pass": (
        _measurement("short_circuit_protection", Verdict.PASS, "not_tested"),
        None,
    ),
    "not_tested_graded_fail": (
        _measurement("board_overcharge_cut", Verdict.FAIL, "not_tested"),
        None,
    ),
    "error": (_measurement("charge_peak_voltage", Verdict.ERROR), None),
    "incomplete_run": (_measurement("pack_resistance", Verdict.PASS), "INCOMPLETE"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", sorted(NOT_PASSING))
def test_a_draft_never_claims_passed_for_a_failed_or_untested_unit(
    sessions: sessionmaker[Session], case: str, language: str
) -> None:
    complaint_id, number, [good, bad] = _complaint(sessions, ["U-GOOD", "U-BAD"])
    measurement, run_verdict = NOT_PASSING[case]
    key = (complaint_id, number)
    _record(sessions, key, good, "U-GOOD", "customer_misjudgement", PASSING)
    _record(
        sessions,
        key,
        bad,
        "U-BAD",
        "customer_misjudgement",
        [*PASSING, measurement],
        run_verdict=run_verdict,
    )
    letter = _letter(sessions, complaint_id, language)
    m = replies.messages(language)
    line = _line(letter, "U-BAD")
    passed = "passed" if language == "en" else "均合格"
    assert passed not in line and m["summary.all_passed"] not in letter
    assert m["tests.all_passed"] in _line(letter, "U-GOOD")  # the unit that did pass says so
    if run_verdict is None:  # the measurement that did not pass is named
        assert replies.measurement_label(measurement.name, catalogue(language)) in line
    else:
        assert m["tests.stopped"] in line
    for forbidden in ("meets its specification", "meet their specification", "符合规格"):
        assert forbidden not in letter


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_a_complaint_whose_every_unit_passed_every_test_says_so(
    sessions: sessionmaker[Session], language: str
) -> None:
    complaint_id, number, ids = _complaint(sessions, ["U-1", "U-2"])
    for unit_id, serial in zip(ids, ["U-1", "U-2"], strict=True):
        _record(sessions, (complaint_id, number), unit_id, serial, "protection_latched", PASSING)
    letter = _letter(sessions, complaint_id, language)
    m = replies.messages(language)
    assert m["summary.all_passed"] in letter
    assert _line(letter, "U-1") == _line(letter, "U-2")  # one group
    assert m["tests.all_passed"] in _line(letter, "U-1")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_unit_without_a_run_is_not_analysed_yet(
    sessions: sessionmaker[Session], language: str
) -> None:
    complaint_id, number, ids = _complaint(sessions, ["U-1", "U-2"])
    _record(sessions, (complaint_id, number), ids[0], "U-1", "protection_latched", PASSING)
    letter = _letter(sessions, complaint_id, language)
    m = replies.messages(language)
    assert m["tests.none"] in _line(letter, "U-2") and m["handling.none"] in _line(letter, "U-2")
    assert m["summary.all_passed"] not in letter


def test_the_letter_names_every_measurement_as_the_report_does() -> None:
    """One catalogue of measurement names (the report's): the letter has none of its own."""
    from procedures.appearance import CHECKLIST, REQUIRED_PHOTOS

    names = [
        *(i.name for i in CHECKLIST),
        *(f"photo_{n}" for n, _ in REQUIRED_PHOTOS),
        "length",
        "width",
        "thickness",
        "board_short_circuit_cut_time",
        "charge_temperature",
        "cell3_resistance",
    ]
    for language in LANGUAGES:
        labels = catalogue(language)
        for name in names:
            shown = replies.measurement_label(name, labels)
            assert shown == report_measurement_label(labels, name), name
            assert language == "en" or shown != name, name
        assert [k for k in replies.messages(language) if k.startswith("measurement.")] == []
    assert "3" in replies.measurement_label("cell3_resistance", catalogue("zh_CN"))
    assert set(replies.messages("en")) == set(replies.messages("zh_CN"))


def test_the_phrase_test_set_clean_letters_include_drafts_of_every_outcome() -> None:
    """Drafts for every root cause and every kind of result pass the checker in both languages."""
    units = tuple(
        UnitResult(
            f"U-{i}",
            "fail" if i % 2 else "pass",
            findings=(cause,),
            failed=("pack_path",) if i % 2 else (),
            not_tested=("charge_temperature",) if i % 3 == 0 else (),
            disposition=OUTCOMES[cause].disposition,
            confirmed=i % 4 == 0,
            advice=(OUTCOMES[cause].advice,),
        )
        for i, cause in enumerate(sorted(OUTCOMES))
    )
    facts = replies.ReplyFacts(
        "CC-1", "Acme", "PB-1S2P-18650-5200", "no_power_on", 3, 500, units, (), FOLLOW_UP
    )
    for language in LANGUAGES:
        text = replies.draft(facts, language)
        assert check_text(text, ApprovedTerms(dates=frozenset({FOLLOW_UP}))) == []
        assert len([line for line in text.splitlines() if line.startswith("- ")]) >= len(units)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_sentence_of_the_letter_catalogue_is_a_forbidden_phrase(language: str) -> None:
    """A reworded catalogue entry that drifts into a forbidden phrase fails here, not in a
    letter: every drafted sentence comes from these entries."""
    for key, text in replies.messages(language).items():
        if not key.startswith("rule."):
            assert find_phrases(re.sub(r"\{\w+\}", "X", text)) == [], key


def test_an_offer_needs_its_text(sessions: sessionmaker[Session]) -> None:
    complaint_id, _, _ = _complaint(sessions, ["U-1"])
    with sessions.begin() as session:
        with pytest.raises(ValidationError, match="offer"):
            replies.approve_promise(session, complaint_id, offer="  ", actor="qa")
        row = replies.approve_promise(session, complaint_id, offer="free replacement", actor="qa")
        assert (row.kind, row.note) == ("offer", "free replacement")
        assert replies.approved_terms(session, complaint_id).offers == {"free replacement"}


def test_the_latest_run_of_a_procedure_counts_and_an_interrupted_one_is_not_complete(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number, [again, cut] = _complaint(sessions, ["U-AGAIN", "U-CUT"])
    key = (complaint_id, number)
    failed = [_measurement("cell1_voltage", Verdict.FAIL)]
    _record(sessions, key, again, "U-AGAIN", "cell_deeply_discharged", failed)
    _record(sessions, key, again, "U-AGAIN", "protection_latched", PASSING)  # the repeat run
    _record(sessions, key, cut, "U-CUT", "protection_latched", PASSING)
    with sessions.begin() as session:
        run = session.scalars(select(Run).where(Run.unit_id == cut)).one()
        run.status = "interrupted"
    letter = _letter(sessions, complaint_id, "en")
    m = replies.messages("en")
    line = _line(letter, "U-AGAIN")
    assert m["finding.protection_latched"] in line and m["tests.all_passed"] in line
    assert m["finding.cell_deeply_discharged"] not in letter
    line = _line(letter, "U-CUT")
    assert m["tests.stopped"] in line and "passed" not in line
    assert m["summary.all_passed"] not in letter


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_letters_findings_are_one_document_section_every_back_end_shows(language: str) -> None:
    """The findings are composed once as document nodes: the letter's lines are that section
    as plain text, and the HTML and PDF back ends show every sentence of it."""
    units = (
        UnitResult("U-1", "pass"),
        UnitResult("U-2", "fail", findings=("cell_imbalance",), failed=("delta_v",)),
    )
    facts = replies.ReplyFacts("C-1", "ACME", "P1", "no_power", 2, 100, units, (), FOLLOW_UP)
    section = replies.findings_section(facts, language)
    lines = block_lines(section)
    letter = replies.draft(facts, language)
    assert "\n".join(lines) in letter
    items = [b for b in section.children if isinstance(b, node.Items)]
    assert len(items) == 1 and len(items[0].items) == 2  # one item per outcome group
    assert list(items[0].items) == replies.unit_lines(facts, language)
    assert [line for line in lines if line.startswith("- ")] == [f"- {i}" for i in items[0].items]
    doc = node.Document("reply", language, (), (section,))
    page = html_text(document_html(doc))
    pdf = pdf_text(document_pdf(doc, catalogue(language), page_label="", date=datetime(2026, 1, 1)))
    sentences = [*items[0].items, *(line for line in lines if not line.startswith("- "))]
    squeezed = re.sub(r"\s+", "", pdf)
    assert [s for s in sentences if s not in page] == []
    assert [s for s in sentences if re.sub(r"\s+", "", s) not in squeezed] == []
