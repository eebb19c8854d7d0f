"""verify beyond rows and files: run step seals, reports against their audited hashes, calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reports_store import T0 as REPORT_T0
from reports_store import new_complaint
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import outcome, register, run_info, step

from results.calendar import set_calendar_day
from results.integrity import measurement_hash, step_digest
from results.measurement_schema import stored_row_of
from results.models import AuditEvent, Measurement, Step
from results.recorder import DatabaseRecorder, mark_interrupted_runs
from results.reports import approval
from results.verify import verify_store


def _drop_report_triggers(session: Session) -> None:
    """What someone with DBA rights does before editing an approved report."""
    if session.get_bind().dialect.name == "sqlite":
        for name in ("report_approved_frozen", "report_content_frozen_update"):
            session.execute(text(f"DROP TRIGGER {name}"))
    else:  # disables the triggers for this transaction only: later tests keep them
        session.execute(text("SET LOCAL session_replication_role = replica"))


def _problems(sessions: sessionmaker[Session], evidence_dir: Path) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(p.kind, p.ref) for p in verify_store(session, evidence_dir).problems]


def _run(sessions: sessionmaker[Session], *, finish: bool = True) -> int:
    _cid, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    for index in range(3):
        recorder.step_finished(step(index, n_measurements=3))
    if finish:
        recorder.run_finished(outcome())
    else:
        recorder.close()
    assert recorder.run_id is not None
    return recorder.run_id


def test_steps_are_sealed_by_one_event_not_one_per_step(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    run_id = _run(sessions)
    with sessions() as session:
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.seq)]
        report = verify_store(session, evidence_dir)
        stored = session.query(Measurement).count()
    assert "step.recorded" not in actions and actions.count("run.steps_sealed") == 1
    assert report.ok, report.problems
    assert (report.sealed_runs, report.steps, report.measurements) == (1, 3, stored)
    assert stored >= 9 and run_id > 0


def test_fully_forged_measurement_is_caught_by_the_seal(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    run_id = _run(sessions)
    with sessions.begin() as session:  # row hash and step digest both recomputed by the forger
        m = session.query(Measurement).filter_by(idx=1).first()
        assert m is not None
        step_row = session.get(Step, m.step_id)
        assert step_row is not None
        m.value = 4.0
        m.row_hash = measurement_hash(run_id, step_row.idx, stored_row_of(m))
        hashes = [
            x.row_hash
            for x in session.query(Measurement).filter_by(step_id=step_row.id).order_by("idx")
        ]
        step_row.digest = step_digest(hashes, [], [])
    assert _problems(sessions, evidence_dir) == [("step", f"run id={run_id}")]


def test_deleted_step_is_caught_by_the_seal(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    run_id = _run(sessions)
    with sessions.begin() as session:
        last = session.query(Step).order_by(Step.id.desc()).first()
        assert last is not None
        session.query(Measurement).filter_by(step_id=last.id).delete()
        session.delete(last)
    assert _problems(sessions, evidence_dir) == [("step", f"run id={run_id}")]


def test_running_run_is_unsealed_and_interrupted_run_gets_sealed(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    run_id = _run(sessions, finish=False)
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok and report.unsealed_steps == 3 and report.sealed_runs == 0
    with sessions.begin() as session:  # our pid is alive: only a stale heartbeat ends it
        changed = mark_interrupted_runs(session, now=datetime.now(UTC) + timedelta(days=1))
    assert changed == [run_id]
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert report.sealed_runs == 1 and report.unsealed_steps == 0


def _approved_report(sessions: sessionmaker[Session]) -> int:
    complaint_id, _number = new_complaint(sessions)
    with sessions.begin() as session:
        report = approval.create_report(
            session, complaint_id, locale="en", actor="li", now=REPORT_T0
        )
        approval.approve(session, report.id, signer="wang", printed_name="Wang Fang")
        return report.id


def test_approved_report_verifies(sessions: sessionmaker[Session], evidence_dir: Path) -> None:
    _approved_report(sessions)
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert report.reports == 1


def test_edited_report_content_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    report_id = _approved_report(sessions)
    with sessions.begin() as session:
        _drop_report_triggers(session)
        session.execute(
            text("UPDATE report_content SET content_json = replace(content_json, 'no_power', 'x')")
        )
    assert _problems(sessions, evidence_dir) == [("report", f"report id={report_id}")]


def test_report_hash_and_content_forged_together_are_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    from results.integrity import sha256_hex

    report_id = _approved_report(sessions)
    with sessions.begin() as session:
        _drop_report_triggers(session)
        content = session.execute(text("SELECT content_json FROM report_content")).scalar_one()
        forged = content.replace("no_power", "x")
        session.execute(text("UPDATE report_content SET content_json = :c"), {"c": forged})
        session.execute(text("UPDATE report SET content_hash = :h"), {"h": sha256_hex(forged)})
    assert _problems(sessions, evidence_dir) == [("report", f"report id={report_id}")]


def test_report_unapproved_behind_the_stores_back_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    report_id = _approved_report(sessions)
    with sessions.begin() as session:
        _drop_report_triggers(session)
        session.execute(text("UPDATE report SET status = 'draft', approved_by = NULL"))
    assert _problems(sessions, evidence_dir) == [("report", f"report id={report_id}")]


def test_calendar_exception_edited_or_added_behind_the_stores_back_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    with sessions.begin() as session:
        set_calendar_day(session, date(2026, 10, 1), False, actor="admin", note="National Day")
    assert _problems(sessions, evidence_dir) == []
    with sessions.begin() as session:
        session.execute(text("UPDATE calendar_day SET is_workday = :t"), {"t": True})
        session.execute(
            text("INSERT INTO calendar_day (day, is_workday, note) VALUES (:d, :w, '')"),
            {"d": date(2026, 10, 2), "w": False},
        )
    assert _problems(sessions, evidence_dir) == [
        ("calendar", "calendar_day 2026-10-01"),
        ("calendar", "calendar_day 2026-10-02"),
    ]
