"""The audit chain's group commit on PostgreSQL (``results.audit_group``): a transaction's commit
never waits for the chain, no committed event is stranded in ``audit_pending``, readers and
``verify`` never miss one, and the chain verifies under concurrent writers on both databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import recorded_run

from results import audit, audit_group
from results.audit import history, record
from results.run_sync import SYNC_ENTITY, synced_run_id
from results.verify import verify_audit_chain

THREADS = 8
TRANSACTIONS = 15


def _engine(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


POSTGRES_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
"""SQLite links events at commit: it has no pending events to drain."""


def _pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM audit_pending")).scalar_one())


@contextmanager
def _chain_held(engine: Engine, *, head_row: bool = False) -> Iterator[Connection]:
    """Another transaction holding the chain's lock (a drain in progress) and, with
    ``head_row``, the head's row lock too, until the block ends."""
    with engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_xact_lock({audit_group.LOCK_KEYS})"))
        if head_row:
            connection.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
        yield connection
        connection.rollback()


def _event(session: Session, entity_id: object, action: str = "x.made", **after: Any) -> None:
    record(session, actor="a", action=action, entity_type="x", entity_id=entity_id, after=after)


@POSTGRES_ONLY
def test_a_commit_does_not_wait_for_the_chain(sessions: sessionmaker[Session]) -> None:
    """While another transaction holds the chain (its lock and the head's row, as a commit in
    flight did), a transaction with audit events commits at once: its events wait in
    ``audit_pending``, not its connection. Before the group commit this waited on the head's row
    (here: a lock timeout)."""
    engine = _engine(sessions)
    with _chain_held(engine, head_row=True):
        with sessions.begin() as session:
            session.execute(text("SET LOCAL lock_timeout = '1s'"))
            _event(session, 1)
        assert _pending(engine) == 1
    with sessions() as session:
        events = history(session, "x", 1)
    assert [(e.seq, e.action) for e in events] == [(1, "x.made")]
    assert _pending(engine) == 0


@POSTGRES_ONLY
def test_events_committed_while_a_drain_holds_the_lock_are_linked_by_it(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A submitter that loses the race for the chain's lock leaves its events to the holder: the
    holder drains again after its commit. Here a second transaction commits (and finds the lock
    taken) while the first drain is linking; nobody reads afterwards, yet nothing is left."""
    engine = _engine(sessions)
    with sessions.begin() as session:
        _event(session, 1, n=1)
    with sessions.begin() as session:  # pending, while the test holds the lock below
        _event(session, 1, n=2)
        session.flush()
        held = engine.connect()
        held.execute(text(f"SELECT pg_advisory_xact_lock({audit_group.LOCK_KEYS})"))
    held.rollback()
    held.close()
    assert _pending(engine) == 1
    real_link_all = audit._link_all
    raced = []

    def link_all_while_another_commits(rows: list[dict[str, Any]], seq: int, h: str) -> Any:
        if not raced:
            raced.append(True)
            with sessions.begin() as other:  # its own drain finds the lock held: returns
                _event(other, 1, n=3)
            assert _pending(engine) == 2  # n=2 (being linked, uncommitted) and n=3
        return real_link_all(rows, seq, h)

    monkeypatch.setattr(audit, "_link_all", link_all_while_another_commits)
    audit.drain(engine)
    assert raced and _pending(engine) == 0
    monkeypatch.setattr(audit, "_link_all", real_link_all)
    with sessions() as session:
        assert [e.after_json for e in history(session, "x", 1)] == [
            '{"n":1}',
            '{"n":2}',
            '{"n":3}',
        ]
        assert verify_audit_chain(session).ok


@POSTGRES_ONLY
def test_a_transaction_sees_its_own_and_every_committed_event(
    sessions: sessionmaker[Session],
) -> None:
    """Reads of the audit tables link what is pending first: another transaction's committed
    events (left pending while the lock was held) and this transaction's own, in that order."""
    engine = _engine(sessions)
    with _chain_held(engine), sessions.begin() as session:
        _event(session, 1, "x.other")
    assert _pending(engine) == 1
    with sessions.begin() as session:
        _event(session, 1, "x.mine")
        assert [e.action for e in history(session, "x", 1)] == ["x.other", "x.mine"]
    with sessions() as session:
        assert [e.seq for e in history(session, "x", 1)] == [1, 2]
    assert _pending(engine) == 0


@POSTGRES_ONLY
def test_a_synced_run_is_recognised_while_its_events_are_pending(
    sessions: sessionmaker[Session],
) -> None:
    """0 duplicated: a retry arriving after its original committed but before a drain linked the
    original's ``run.synced`` event must still be answered with the first run's id."""
    engine = _engine(sessions)
    with _chain_held(engine):
        with sessions.begin() as session:
            record(
                session,
                actor="bench-3",
                action="run.synced",
                entity_type=SYNC_ENTITY,
                entity_id="uuid-1",
                after={"run_id": 41},
            )
        assert _pending(engine) == 1
        with sessions() as session:
            assert synced_run_id(session, "uuid-1") == 41
            assert synced_run_id(session, "uuid-2") is None


@POSTGRES_ONLY
def test_verify_reports_pending_events_without_a_false_alarm(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the chain's lock cannot be had, ``verify`` checks the chain as it is and counts the
    events still pending: not a tamper problem, not skipped silently."""
    engine = _engine(sessions)
    monkeypatch.setattr(audit_group, "READ_LOCK_TIMEOUT", "100ms")
    with sessions.begin() as session:
        _event(session, 1, "x.linked")
    assert _pending(engine) == 0
    with _chain_held(engine):
        with sessions.begin() as session:
            _event(session, 1, "x.waiting")
        with sessions() as session:
            report = verify_audit_chain(session)
    assert report.ok, report.problems
    assert (report.audit_events, report.pending_events) == (1, 1)
    with sessions() as session:
        report = verify_audit_chain(session)
    assert report.ok and (report.audit_events, report.pending_events) == (2, 0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_rows_in_audit_pending_are_a_problem(sessions: sessionmaker[Session]) -> None:
    """SQLite links at commit and never writes ``audit_pending``: a row there was put in behind
    the store's back, and ``verify`` says so."""
    with sessions.begin() as session:
        _event(session, 1)
        session.execute(
            text(
                "INSERT INTO audit_pending (at, actor, action, entity_type, entity_id, reason) "
                "VALUES ('2026-01-01 00:00:00', 'mallory', 'x.made', 'x', '1', '')"
            )
        )
    with sessions() as session:
        report = verify_audit_chain(session)
    assert [(p.kind, p.ref) for p in report.problems] == [("audit_chain", "audit_pending")]


@POSTGRES_ONLY
def test_pending_rows_refuse_update(sessions: sessionmaker[Session]) -> None:
    engine = _engine(sessions)
    with _chain_held(engine):
        with sessions.begin() as session:
            _event(session, 1)
        with pytest.raises(Exception, match="final"), sessions.begin() as session:
            session.execute(text("UPDATE audit_pending SET actor = 'mallory'"))


def test_concurrent_writers_keep_one_verifying_chain(sessions: sessionmaker[Session]) -> None:
    """Issue #18's "0 lost, 0 duplicated, every chain verifying" at the store: writers commit
    events of their own record and of one shared record at once; afterwards every event is on
    the chain once, nothing is pending, each record's events are in their commit order, and the
    chain verifies."""
    engine = _engine(sessions)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(TRANSACTIONS):
                with sessions.begin() as session:
                    _event(session, f"w{n}", i=i)
                    _event(session, f"w{n}", "x.again", i=i)
        except BaseException as exc:  # reported below, with the thread's traceback
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    with sessions() as session:
        for n in range(THREADS):
            events = history(session, "x", f"w{n}")
            assert [(e.action, e.after_json) for e in events] == [
                (action, f'{{"i":{i}}}')
                for i in range(TRANSACTIONS)
                for action in ("x.made", "x.again")
            ]
        report = verify_audit_chain(session)
    assert report.ok, report.problems
    assert report.audit_events == THREADS * TRANSACTIONS * 2
    assert report.pending_events == 0
    if engine.dialect.name == "postgresql":
        assert _pending(engine) == 0


@POSTGRES_ONLY
def test_the_live_recorder_leaves_nothing_pending(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """The recorder appends on its driver connection (``audit.append_raw``): on PostgreSQL its
    events go pending and are linked once its writer commits, with nobody reading afterwards."""
    engine = _engine(sessions)
    recorded_run(sessions, evidence_dir)
    assert _pending(engine) == 0
    with engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM audit_event ORDER BY seq")).all()
    assert ("run.started",) in actions and ("run.finished",) in actions
    with sessions() as session:
        assert verify_audit_chain(session).ok
