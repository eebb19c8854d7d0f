"""QA's invalid runs and the per-unit summaries: each procedure's latest valid run, never a mix.

A unit is diagnosed and then inspected for appearance; then QA declares a run invalid. The store
keeps every run (and ``verify`` still passes), but the summaries and the customer report's
evidence use valid runs only, and a traceback a step attached never reaches the annex.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    Verdict,
)
from results import audit
from results.attachments import EvidenceStore
from results.complaints import set_unit_status
from results.errors import NotFound, ValidationError
from results.integrity import snapshot
from results.models import AuditEvent, Complaint, Run, UnitStatus
from results.readback import load_complaint
from results.recorder import DatabaseRecorder
from results.reports.analytics import pareto
from results.reports.assemble import assemble_report
from results.reports.html import render_html
from results.reports.pdf import render_pdf
from results.run_validity import RunStanding, invalidate_run, invalidations, standing
from results.unit_summaries import summarise_unit
from results.verify import verify_store

ISSUED = datetime(2025, 3, 8, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64))


def record_appearance(
    sessions: sessionmaker[Session],
    complaint_id: int,
    serial: str,
    evidence: EvidenceStore,
    *,
    started: datetime,
    verdict: Verdict = Verdict.PASS,
    crash: bool = False,
) -> int:
    """An appearance run with a photo (and, with ``crash``, a software error's traceback)."""
    with sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        unit_id = next(u.id for u in complaint.units if u.serial == serial)
        number = complaint.number
    recorder = DatabaseRecorder(
        sessions, unit_id=unit_id, complaint_id=complaint_id, evidence=evidence
    )
    recorder.run_started(
        RunInfo("appearance", "1.0", "bench-01", "李工", "PB-1S2P", serial, number, started)
    )
    files = [("front.jpg", JPEG + serial.encode())]
    if crash:
        files.append(("traceback.txt", b'Traceback (most recent call last):\n  File "x.py"\n'))
    recorder.step_finished(
        StepRecord(
            "visual",
            1,
            started,
            started + timedelta(minutes=2),
            verdict,
            [
                MeasurementRecord(
                    "dents",
                    None,
                    "",
                    LimitsRecord(),
                    verdict,
                    "answer none",
                    started + timedelta(minutes=1),
                    None,
                    text_value="none",
                )
            ],
            message="",
            attachments=files,
        )
    )
    recorder.run_finished(
        RunOutcome(
            verdict,
            started + timedelta(minutes=3),
            "",
            (Conclusion("symptom", "appearance", "no visual defect", ("visual/dents",)),),
        )
    )
    assert recorder.run_id is not None
    return recorder.run_id


@pytest.fixture
def evidence(evidence_dir: Path) -> EvidenceStore:
    return EvidenceStore(evidence_dir)


def test_summary_keeps_each_procedure_to_its_own_latest_valid_run(
    sessions: sessionmaker[Session], evidence: EvidenceStore
) -> None:
    complaint_id, _ = new_complaint(sessions)
    diagnosis = record_unit(sessions, complaint_id, "SN-1", disposition=None)
    appearance = record_appearance(
        sessions, complaint_id, "SN-1", evidence, started=T0 + timedelta(hours=2)
    )
    with sessions() as session:
        unit = load_complaint(session, complaint_id).units[0]
        summary = summarise_unit(unit.runs, invalidations(session, [diagnosis, appearance]))
    by_procedure = {r.procedure: r for r in summary.results}
    assert [r.procedure for r in summary.results] == ["diagnosis", "appearance"]
    assert summary.primary is not None and summary.primary.run_id == diagnosis
    # every field of an entry comes from one run: the later appearance run does not blank the
    # diagnosis' root cause, and the diagnosis' verdict does not stand beside appearance's cause
    assert by_procedure["diagnosis"].diagnosis()["root_cause"] == "over_discharge_protection"
    assert by_procedure["diagnosis"].verdict == "fail"
    assert by_procedure["appearance"].run_id == appearance
    assert by_procedure["appearance"].diagnosis()["root_cause"] is None
    assert by_procedure["appearance"].verdict == "pass"


def test_qa_invalidation_is_audited_verified_and_final(
    sessions: sessionmaker[Session], evidence: EvidenceStore, evidence_dir: Path
) -> None:
    complaint_id, _ = new_complaint(sessions)
    first = record_unit(sessions, complaint_id, "SN-1", disposition=None)
    second = record_unit(sessions, complaint_id, "SN-2", disposition=None)
    with sessions.begin() as session:
        with pytest.raises(ValidationError, match="reason"):
            invalidate_run(session, first, reason="  ", actor="王芳")
        with pytest.raises(NotFound):
            invalidate_run(session, 999_999, reason="typo", actor="王芳")
    with sessions.begin() as session:
        row = invalidate_run(session, first, reason="wrong unit on the fixture", actor="王芳")
        assert row.invalidated_by == "王芳"
    with (
        sessions.begin() as session,
        pytest.raises(ValidationError, match="already declared invalid by 王芳"),
    ):
        invalidate_run(session, first, reason="again", actor="王芳")
    with sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "run.invalidated")
        ).all()
        assert [(e.actor, e.reason) for e in events] == [("王芳", "wrong unit on the fixture")]
        marks = invalidations(session, [first, second])
        runs = {r.id: r for r in session.scalars(select(Run))}
        assert standing(runs[first], marks.get(first)) is RunStanding.INVALID
        assert standing(runs[second], marks.get(second)) is RunStanding.VALID
        result = verify_store(session, evidence_dir)
        assert result.ok, result.problems


def test_a_running_run_cannot_be_judged_yet(sessions: sessionmaker[Session]) -> None:
    complaint_id, number = new_complaint(sessions)
    record_unit(sessions, complaint_id, "SN-1", disposition=None)
    with sessions() as session:
        unit_id = session.scalars(select(Run.unit_id)).one()
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(RunInfo("diagnosis", "1.0", "b", "op", "PB", "SN-1", number, T0))
    assert recorder.run_id is not None
    with sessions.begin() as session, pytest.raises(ValidationError, match="still running"):
        invalidate_run(session, recorder.run_id, reason="stuck", actor="qa")


def test_invalid_and_aborted_runs_leave_the_report_evidence_and_summaries(
    sessions: sessionmaker[Session], evidence: EvidenceStore
) -> None:
    complaint_id, _ = new_complaint(sessions)
    diagnosis = record_unit(sessions, complaint_id, "SN-1", disposition=None)
    good = record_appearance(
        sessions, complaint_id, "SN-1", evidence, started=T0 + timedelta(hours=2)
    )
    later = record_appearance(
        sessions,
        complaint_id,
        "SN-1",
        evidence,
        started=T0 + timedelta(hours=3),
        verdict=Verdict.ERROR,
        crash=True,
    )
    with sessions.begin() as session:
        invalidate_run(session, later, reason="operator typed the wrong answers", actor="qa")
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=ISSUED)
        unit = load_complaint(session, complaint_id).units[0]
        summary = summarise_unit(unit.runs, invalidations(session, [later]))
    (unit_data,) = data.units
    assert [r.run_id for r in unit_data.runs] == [str(diagnosis), str(good)]
    assert [r.run_id for r in unit_data.results] == [str(diagnosis), str(good)]
    assert [(s.run_id, s.standing, s.reason) for s in data.set_aside] == [
        (str(later), "invalid", "operator typed the wrong answers")
    ]
    assert {f.run_id for f in data.evidence} == {str(good)}
    assert all(f.name != "traceback.txt" for f in data.evidence)
    assert [r.run_id for r in summary.results] == [diagnosis, good]
    assert [(a.run_id, a.standing) for a in summary.set_aside] == [(later, RunStanding.INVALID)]
    html = render_html(data)
    assert "Runs not used as evidence" in html and "declared invalid by QA" in html
    pdf_text = "\n".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(render_pdf(data))).pages
    )
    assert "Runs not used as evidence" in pdf_text and "operator typed the wrong" in pdf_text
    assert "Latest valid result per procedure: diagnosis fail (run" in html
    assert f"appearance pass (run {good})" in html


def test_a_traceback_never_reaches_the_annex_even_of_a_valid_run(
    sessions: sessionmaker[Session], evidence: EvidenceStore
) -> None:
    complaint_id, _ = new_complaint(sessions)
    record_unit(sessions, complaint_id, "SN-1", disposition=None)
    run = record_appearance(
        sessions, complaint_id, "SN-1", evidence, started=T0 + timedelta(hours=2), crash=True
    )
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="zh_CN", issued_at=ISSUED)
    assert [f.name for f in data.evidence if f.run_id == str(run)] == ["front.jpg"]


def test_a_proposal_no_valid_run_makes_is_not_the_reports_disposition(
    sessions: sessionmaker[Session],
) -> None:
    """A proposed (unconfirmed) disposition is shown only while a valid run in the report
    proposes it; QA's confirmed disposition always is."""
    complaint_id, _ = new_complaint(sessions)
    proposed = record_unit(sessions, complaint_id, "SN-1", disposition=None)
    record_unit(sessions, complaint_id, "SN-2")  # QA confirmed it: dispositioned
    with sessions.begin() as session:
        unit = session.get(Run, proposed).unit  # type: ignore[union-attr]
        before = snapshot(unit)
        unit.disposition = "scrap"  # stored on the unit, but no run of it concludes so
        audit.record(
            session,
            actor="bench",
            action="unit.status",
            entity_type="unit",
            entity_id=unit.id,
            before=before,
            after=snapshot(unit),
        )
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=ISSUED)
    assert [u.disposition for u in data.units] == ["", "recharge_and_return"]


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ((UnitStatus.SCRAPPED,), "scrap"),
        ((UnitStatus.DISMANTLED, UnitStatus.BACK_TO_STOCK), "scrap"),
        ((UnitStatus.ANALYSED,), ""),  # QA re-opened the analysis: no decision stands
    ],
    ids=["scrapped", "dismantled-then-stock", "re-opened"],
)
def test_qas_disposition_stays_in_the_report_once_the_unit_takes_its_path(
    sessions: sessionmaker[Session], path: tuple[UnitStatus, ...], shown: str
) -> None:
    """QA overrides the run's proposal (recharge and return) with scrap; the unit is then
    scrapped. The decision is still QA's confirmed disposition and the report must say so (it
    showed an empty cell once the unit left ``dispositioned``)."""
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1", disposition=None)
    with sessions.begin() as session:
        unit_id = session.get_one(Run, run_id).unit_id
        assert unit_id is not None
        set_unit_status(session, unit_id, UnitStatus.DISPOSITIONED, actor="qa", disposition="scrap")
        for status in path:
            set_unit_status(session, unit_id, status, actor="qa", reason="as decided")
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=ISSUED)
    assert [u.disposition for u in data.units] == [shown]


def test_pareto_counts_each_units_diagnosis_not_a_later_run_nor_an_invalid_one(
    sessions: sessionmaker[Session], evidence: EvidenceStore
) -> None:
    complaint_id, _ = new_complaint(sessions)
    record_unit(sessions, complaint_id, "SN-1", root_cause="mosfet_latched", disposition=None)
    record_appearance(sessions, complaint_id, "SN-1", evidence, started=T0 + timedelta(hours=2))
    invalid = record_unit(sessions, complaint_id, "SN-2", root_cause="dead_cell", disposition=None)
    with sessions.begin() as session:
        invalidate_run(session, invalid, reason="wrong spec", actor="qa")
    with sessions() as session:
        causes = {row.category: row.count for row in pareto(session, "root_cause")}
    assert causes == {"mosfet_latched": 1, "(none)": 1}
