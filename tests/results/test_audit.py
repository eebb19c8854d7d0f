from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, recorded_run, register

from results.audit import GENESIS_HASH, history, record
from results.models import AuditEvent
from results.verify import verify_store


def _drop_append_only_triggers(session: Session) -> None:
    """What an attacker with DBA rights would do first."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        session.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))


def test_chain_links_every_event_to_the_previous(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = record(session, actor="a", action="x.made", entity_type="x", entity_id=1, after={})
        second = record(
            session,
            actor="b",
            action="x.changed",
            entity_type="x",
            entity_id=1,
            before={"v": 1},
            after={"v": 2},
            reason="typo",
        )
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    with sessions() as session:
        events = history(session, "x", 1)
        assert [e.reason for e in events] == ["", "typo"]
        assert events[1].before_json == '{"v":1}' and events[1].after_json == '{"v":2}'


def test_audit_rows_refuse_update_and_delete(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        record(session, actor="a", action="x.made", entity_type="x", entity_id=1)
    for statement in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
            session.execute(text(statement))


def test_untouched_store_verifies(sessions: sessionmaker[Session], evidence_dir: Path) -> None:
    recorded_run(sessions, evidence_dir)
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert report.audit_events > 0 and report.measurements == 8


def test_edited_measurement_row_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    with sessions.begin() as session:
        session.execute(
            text("UPDATE measurement SET value = 3.9 WHERE name = 'cell_voltage_1' AND idx = 1")
        )
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert {p.kind for p in report.problems} == {"measurement", "step"}


def test_edited_measurement_with_forged_row_hash_is_still_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    from results.integrity import measurement_hash
    from results.measurement_schema import stored_row_of
    from results.models import Measurement, Step

    recorded_run(sessions, evidence_dir)
    with sessions.begin() as session:  # a careful forger also recomputes the row hash
        m = session.query(Measurement).filter_by(idx=0).first()
        assert m is not None
        step_row = session.get(Step, m.step_id)
        assert step_row is not None
        m.verdict = "FAIL"
        m.row_hash = measurement_hash(step_row.run_id, step_row.idx, stored_row_of(m))
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert [p.kind for p in report.problems] == ["step"]


def test_changed_evidence_file_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    (path,) = [p for p in evidence_dir.rglob("*") if p.is_file()]
    path.write_bytes(PNG_BYTES + b"retouched")
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert [p.kind for p in report.problems] == ["evidence"]
    assert "no longer matches" in report.problems[0].detail


def test_edited_audit_event_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    with sessions.begin() as session:
        _drop_append_only_triggers(session)
        session.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"))
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert [(p.kind, p.ref) for p in report.problems] == [("audit_chain", "audit_event seq=3")]


def test_deleted_audit_event_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    with sessions.begin() as session:
        _drop_append_only_triggers(session)
        session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert {p.kind for p in report.problems} == {"audit_chain", "record"}


def test_complaint_edited_behind_the_stores_back_is_detected(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, _number, _unit_id = register(sessions)
    with sessions.begin() as session:
        session.execute(
            text("UPDATE complaint SET defect_qty = 1 WHERE id = :i"), {"i": complaint_id}
        )
    with sessions() as session:
        report = verify_store(session, evidence_dir)
        assert session.query(AuditEvent).count() == 2
    assert [(p.kind, p.ref) for p in report.problems] == [
        ("record", f"complaint id={complaint_id}")
    ]


def _event(session: Session, action: str) -> None:
    record(session, actor="a", action=action, entity_type="x", entity_id=1, after={})


@pytest.mark.parametrize("read_inside", [False, True], ids=["buffered", "appended-inside"])
def test_a_rolled_back_savepoint_drops_only_its_own_events(
    sessions: sessionmaker[Session], read_inside: bool
) -> None:
    """Events are appended at commit; a savepoint rolled back before then must not take the
    events of the work before it along (their data commits), whether they were still buffered
    or an audit read inside the savepoint had already appended them."""
    with sessions.begin() as session:
        _event(session, "x.before")
        with pytest.raises(RuntimeError), session.begin_nested():
            _event(session, "x.inside")
            if read_inside:
                assert len(history(session, "x", 1)) == 2
            raise RuntimeError("refused")
        _event(session, "x.after")
    with sessions() as session:
        events = history(session, "x", 1)
    assert [e.action for e in events] == ["x.before", "x.after"]
    assert events[1].prev_hash == events[0].hash


def test_events_of_a_session_closed_without_commit_are_never_appended(
    sessions: sessionmaker[Session],
) -> None:
    session = sessions()
    _event(session, "x.lost")
    session.close()
    with sessions.begin() as session:
        _event(session, "x.kept")
    with sessions() as session:
        assert [e.action for e in history(session, "x", 1)] == ["x.kept"]
