"""Routine ``verify`` (since a checkpoint, plus a sample), ``--full``, and the external anchor
(``results.verify_checkpoint``), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, outcome, register, run_info, step

from results.audit import GENESIS_HASH, event_hash
from results.complaints import add_returned_unit
from results.models import AuditEvent
from results.recorder import DatabaseRecorder
from results.verify import verify_store
from results.verify_checkpoint import (
    current_extent,
    latest_checkpoint,
    take_anchor,
    write_checkpoint,
)
from results.verify_report import VerifyReport
from results.verify_scope import Scope


def _run(sessions: sessionmaker[Session], complaint_id: int, serial: str) -> int:
    with sessions.begin() as session:
        unit_id = add_returned_unit(
            session, complaint_id, serial=serial, received_at=T0, actor="li.na"
        ).id
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info(serial))
    recorder.step_finished(step(0, samples=16))
    recorder.step_finished(step(1))
    recorder.run_finished(outcome())
    assert recorder.run_id is not None
    return recorder.run_id


def _store(sessions: sessionmaker[Session], runs: int) -> tuple[int, list[int]]:
    complaint_id, _number, _unit = register(sessions)
    return complaint_id, [_run(sessions, complaint_id, f"SN-R{i:04d}") for i in range(runs)]


def _checkpoint(sessions: sessionmaker[Session], evidence_dir: Path) -> None:
    """What ``packbench verify`` does after a clean verify."""
    with sessions() as session:
        extent = current_extent(session)
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    with sessions.begin() as session:
        write_checkpoint(session, extent, actor="qa", full=True)


def _routine(
    sessions: sessionmaker[Session], evidence_dir: Path, *, sample: int = 0, seed: int = 7
) -> VerifyReport:
    with sessions() as session:
        since = latest_checkpoint(session)
        assert since is not None
        return verify_store(
            session, evidence_dir, scope=Scope(since=since, sample=sample, seed=seed)
        )


def _full(sessions: sessionmaker[Session], evidence_dir: Path, **scope: object) -> VerifyReport:
    with sessions() as session:
        return verify_store(session, evidence_dir, scope=Scope(**scope))  # type: ignore[arg-type]


def _tamper_measurement(sessions: sessionmaker[Session], run_id: int) -> None:
    with sessions.begin() as session:
        session.execute(
            text(
                "UPDATE measurement SET value = value + 0.01 WHERE id = (SELECT min(m.id) FROM "
                "measurement m JOIN step s ON s.id = m.step_id WHERE s.run_id = :r AND "
                "m.value IS NOT NULL)"
            ),
            {"r": run_id},
        )


def test_routine_verify_checks_only_what_came_after_the_checkpoint(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, _runs = _store(sessions, 3)
    _checkpoint(sessions, evidence_dir)
    _run(sessions, complaint_id, "SN-NEW")
    report = _routine(sessions, evidence_dir)
    assert report.ok, report.problems
    assert not report.full
    assert report.steps == 2  # the new run's two steps, not the nine before
    assert report.audit_events >= 3


def test_tampering_before_the_checkpoint_is_found_by_full_and_by_a_sample(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    _complaint_id, runs = _store(sessions, 3)
    _checkpoint(sessions, evidence_dir)
    _tamper_measurement(sessions, runs[1])
    assert _routine(sessions, evidence_dir, sample=0).ok  # nothing changed "since": not looked at
    full = _full(sessions, evidence_dir)
    assert {p.kind for p in full.problems} == {"measurement", "step"}
    sampled = _routine(sessions, evidence_dir, sample=len(runs), seed=1)
    assert {p.kind for p in sampled.problems} == {"measurement", "step"}


def test_tampering_after_the_checkpoint_is_found_by_routine_verify(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, _runs = _store(sessions, 2)
    _checkpoint(sessions, evidence_dir)
    new_run = _run(sessions, complaint_id, "SN-NEW")
    _tamper_measurement(sessions, new_run)
    report = _routine(sessions, evidence_dir)
    assert {p.kind for p in report.problems} == {"measurement", "step"}
    assert all(f"run id={new_run}" in p.ref or "id=" in p.ref for p in report.problems)


def test_edited_event_after_the_checkpoint_is_found_by_routine_verify(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, _runs = _store(sessions, 1)
    _checkpoint(sessions, evidence_dir)
    _run(sessions, complaint_id, "SN-NEW")
    with sessions.begin() as session:
        _drop_triggers(session)
        session.execute(
            text(
                "UPDATE audit_event SET actor = 'mallory' "
                "WHERE seq = (SELECT max(seq) FROM audit_event)"
            )
        )
    report = _routine(sessions, evidence_dir)
    assert "audit_chain" in {p.kind for p in report.problems}


def test_a_checkpoint_moved_onto_a_rewritten_event_is_found(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    _store(sessions, 1)
    _checkpoint(sessions, evidence_dir)
    with sessions.begin() as session:
        session.execute(text("UPDATE verify_checkpoint SET audit_hash = :h"), {"h": "f" * 64})
    report = _routine(sessions, evidence_dir)
    assert {p.kind for p in report.problems} >= {"checkpoint", "anchor"}


def _drop_triggers(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        session.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))


def _rewrite_whole_chain(session: Session) -> None:
    """An attacker with the whole database: change an old event, re-hash every later one and
    the head, so the chain is consistent again."""
    _drop_triggers(session)
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    rows = [
        {
            c: getattr(e, c)
            for c in (
                "seq",
                "at",
                "actor",
                "action",
                "entity_type",
                "entity_id",
                "reason",
                "before_json",
                "after_json",
            )
        }
        for e in events
    ]
    session.expunge_all()
    session.execute(text("DELETE FROM audit_event"))
    rows[0]["actor"] = "mallory"
    prev = GENESIS_HASH
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(prev, **{k: v for k, v in row.items() if k != "prev_hash"})
    session.execute(AuditEvent.__table__.insert(), rows)  # type: ignore[attr-defined]
    session.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
    session.execute(text("DELETE FROM verify_checkpoint"))


def test_a_consistent_rewrite_of_the_whole_chain_is_caught_by_the_anchor(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    _store(sessions, 1)
    with sessions() as session:
        anchor = take_anchor(session)
    assert anchor.seq > 0 and len(anchor.taken_at) > 10
    with sessions.begin() as session:
        _rewrite_whole_chain(session)
    assert _full(sessions, evidence_dir).ok  # nothing inside the database can tell
    report = _full(sessions, evidence_dir, anchor=anchor)
    assert [p.kind for p in report.problems] == ["anchor"]
    assert "rewritten" in report.problems[0].detail


def test_full_verify_statements_do_not_grow_with_traces(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """No query per trace or per run: a batch of runs is a fixed number of statements."""

    def statements(runs: int) -> int:
        counted = [0]

        def count(*_args: object) -> None:
            counted[0] += 1

        engine = sessions.kw["bind"]
        event.listen(engine, "before_cursor_execute", count)
        try:
            _full(sessions, evidence_dir)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return counted[0]

    complaint_id, _runs = _store(sessions, 2)
    few = statements(2)
    for i in range(6):
        _run(sessions, complaint_id, f"SN-MORE{i}")
    assert statements(8) == few
