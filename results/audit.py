"""Append-only, hash-chained audit log, which ``results.verify.verify_store`` checks.

Every change made through the store's API appends one event (who, when, what, why, before and
after). Event *n* hashes event *n-1*'s hash with its own canonical content, so editing, deleting or
re-ordering any event breaks every later link. Database triggers refuse UPDATE/DELETE on the table;
the chain is what still catches someone who drops the triggers. This is tamper-*evident*, not
tamper-proof: a person who rewrites the whole chain and every row consistently is not detected by
the chain alone; an anchor kept outside the database (``results.verify_anchor``) catches that.

**When events join the chain.** ``record`` does not touch the chain: it buffers the event on the
session (its content, time and actor are fixed there). What happens to the buffered events just
before the transaction commits (a ``before_commit`` hook) depends on the database:

- SQLite (writers already exclusive from ``BEGIN IMMEDIATE``): read the head, hash the events onto
  it, insert them in one executemany, move the head, commit.
- PostgreSQL: group commit (``results.audit_group``). The events are inserted into
  ``audit_pending`` with the data, without a lock; after the commit a short drain transaction,
  serialised by an advisory lock nobody waits for, links every committed pending event onto the
  head at once. One lock and one fsync serve many submissions, where each submission's commit
  used to hold the head's row lock through its own WAL flush (issue #18: 51-65 % of submission
  time waiting on the chain).

Order stays the chain's: on SQLite ``seq`` is commit order; on PostgreSQL it is drain order,
``id`` order within a drain, in which a change always follows the committed changes it saw.

**Reads.** A read of the audit tables through the ORM (``AuditEvent``, ``AuditHead``) sees the
transaction's own events and every committed one. SQLite appends the buffered events first.
PostgreSQL (``link_before_read``) links the committed pending events in a short transaction of
its own before the read or, when the transaction has events of its own, links those and the
committed ones in the transaction, holding the chain's lock to its commit. A Core read of
``audit_event`` that must not take the lock reads ``audit_pending`` as well, in the same
statement (``results.run_sync``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from results import audit_group
from results.integrity import (
    canonical_json,
    sha256_hex,
)
from results.models import (
    AuditEvent,
    AuditHead,
    AuditPending,
)
from results.step_writer import StepWriter

GENESIS_HASH = "0" * 64
RUN_STEPS = "run_steps"
"""Entity type of the event that seals a run's step chain (``integrity.step_link``)."""
_HEAD = cast(Table, AuditHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_PENDING_TABLE = cast(Table, AuditPending.__table__)
_PENDING = "packbench.audit.pending"
"""``session.info`` key of the events recorded in the session's open transaction."""
_SAVED = "packbench.audit.pending_at_savepoints"
_INSERTED = "packbench.audit.inserted"
"""PostgreSQL: (``audit_pending`` id, returned copy) of the events the open transaction put in
``audit_pending``, so the copies get their place in the chain when a drain links them."""
_LOCKED = "packbench.audit.locked"
"""PostgreSQL: the open transaction holds the chain's lock (it linked events in itself)."""
_DRAIN = "packbench.audit.drain_after"
"""PostgreSQL: the connection of a transaction that left events pending or held the chain's
lock: it drains once that transaction has ended (``_drain_after_commit``, ``_drop_at_end``)."""
_HEAD_SQL = "SELECT seq, hash FROM audit_head WHERE id = 1"


def event_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime | str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    reason: str,
    before_json: str | None,
    after_json: str | None,
) -> str:
    """The hash of one event linked after ``prev_hash``. ``at`` may be given as the text
    ``canonical_json`` makes of the datetime (``integrity.stored_iso``): the content is the
    same text either way (``verify`` reads the time as the driver returns it)."""
    content = canonical_json(
        [seq, at, actor, action, entity_type, entity_id, reason, before_json, after_json]
    )
    return sha256_hex(prev_hash + content)


def _content(
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    after: dict[str, Any] | None,
    before: dict[str, Any] | None,
    reason: str,
) -> dict[str, Any]:
    """An event's own content (everything but its place in the chain), fixed when recorded."""
    if not actor:
        raise ValueError("audit event without an actor: every change must name who made it")
    return {
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "reason": reason,
        "before_json": None if before is None else canonical_json(before),
        "after_json": None if after is None else canonical_json(after),
    }


def link(values: dict[str, Any], prev_seq: int, prev_hash: str) -> dict[str, Any]:
    """Place ``values`` (an event's content) after (``prev_seq``, ``prev_hash``) in the chain."""
    seq = prev_seq + 1
    values["seq"] = seq
    values["prev_hash"] = prev_hash
    values["hash"] = event_hash(
        prev_hash,
        seq=seq,
        at=values["at"],
        actor=values["actor"],
        action=values["action"],
        entity_type=values["entity_type"],
        entity_id=values["entity_id"],
        reason=values["reason"],
        before_json=values["before_json"],
        after_json=values["after_json"],
    )
    return values


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    after: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Record one event in the caller's transaction; it joins the chain when the transaction
    commits (or when the transaction next reads the audit tables), and is dropped with it on
    rollback.

    Returns a detached ``AuditEvent``: its content is final; ``seq``, ``prev_hash`` and ``hash``
    are filled in when the event is linked.
    """
    values = _content(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
        before=before,
        reason=reason,
    )
    copy = AuditEvent(**values)
    session.info.setdefault(_PENDING, []).append((values, copy))
    return copy


def append_pending(session: Session) -> int:
    """Put the events ``session`` has buffered on the chain now, in its transaction; how many.

    SQLite: ``_append``. PostgreSQL: ``_append``, then every pending event this transaction
    sees (its own among them) is linked in it, the chain's lock held to its commit, as before a
    read of the audit tables (``link_before_read``).
    """
    if session.get_bind().dialect.name == "postgresql":
        count = len(session.info.get(_PENDING, []))
        if count:
            _link_in_transaction(session)
        return count
    return _append(session)


def _append(session: Session) -> int:
    """Write the events ``session`` has buffered; return how many.

    SQLite: its write transactions are exclusive from ``BEGIN IMMEDIATE`` (``results.db``), so
    the head is read, the events linked and inserted in one executemany and the head moved.
    PostgreSQL: the events are inserted into ``audit_pending`` (no lock); a drain links them
    after the commit (``results.audit_group``), or before a read of the audit tables in this
    transaction.
    """
    pending: list[tuple[dict[str, Any], AuditEvent]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    session.flush()  # pending ORM changes first: the events describe them
    connection = session.connection()
    rows = [values for values, _copy in pending]
    if connection.dialect.name == "postgresql":
        with _cursor(connection) as cursor:
            ids = audit_group.insert_pending(cursor, rows)
        inserted = session.info.setdefault(_INSERTED, [])
        inserted.extend(zip(ids, [copy for _values, copy in pending], strict=True))
        session.info[_DRAIN] = connection
        return len(rows)
    head = connection.exec_driver_sql(_HEAD_SQL).one()
    seq, prev_hash = _link_all(rows, int(head[0]), str(head[1]))
    connection.execute(insert(_EVENTS), rows)
    connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, hash=prev_hash))
    for values, copy in pending:
        copy.seq, copy.prev_hash, copy.hash = values["seq"], values["prev_hash"], values["hash"]
    return len(rows)


def _link_all(rows: list[dict[str, Any]], seq: int, prev_hash: str) -> tuple[int, str]:
    for values in rows:
        link(values, seq, prev_hash)
        seq, prev_hash = values["seq"], values["hash"]
    return seq, prev_hash


@contextmanager
def _cursor(connection: Connection) -> Iterator[Any]:
    """A DBAPI cursor in ``connection``'s open transaction (the group-commit statements are
    psycopg SQL with array parameters, as ``results.step_writer`` writes the run rows)."""
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def _fill(inserted: list[tuple[int, AuditEvent]], linked: audit_group.Linked) -> None:
    """Give the copies ``record`` returned their place in the chain, where a drain of this
    process linked them (another process's drain may have: their ``seq`` stays ``None``)."""
    for pid, copy in inserted:
        place = linked.get(pid)
        if place is not None:
            copy.seq, copy.prev_hash, copy.hash = place


def link_before_read(session: Session) -> None:
    """PostgreSQL: before a read of the audit tables, every event this transaction can see goes
    on the chain, so the read misses none.

    A transaction with events of its own (buffered, or already linked by an earlier read) links
    them and every committed pending event in its transaction, waiting for the chain's lock and
    holding it to its commit: its events become visible with its data. Any other transaction has
    the committed pending events linked in a transaction of their own first
    (``audit_group.drain_before_read``), and holds no lock. Nothing at all when nothing is
    pending (one ``EXISTS``).
    """
    connection = session.connection()
    if not session.info.get(_PENDING) and not session.info.get(_LOCKED):
        with _cursor(connection) as cursor:
            if not audit_group.any_pending(cursor):
                return
        audit_group.drain_before_read(connection.engine, _link_all)
        return
    _link_in_transaction(session)


def _link_in_transaction(session: Session) -> None:
    """PostgreSQL: the buffered events into ``audit_pending``, then every pending event this
    transaction sees linked in it, waiting for the chain's lock (held to its commit)."""
    _append(session)
    connection = session.connection()
    session.info[_LOCKED] = True
    session.info[_DRAIN] = connection
    linked: audit_group.Linked = {}
    with _cursor(connection) as cursor:
        while True:
            more = audit_group.drain_once(cursor, _link_all, wait=True)
            linked.update(more or {})
            if not more or len(more) < audit_group.BATCH:
                break
    _fill(session.info.get(_INSERTED, []), linked)


def drain(engine: Engine) -> int:
    """PostgreSQL: link every committed pending event (``results.audit_group.drain``); how many.
    For tools and tests; the store drains after each commit by itself."""
    return len(audit_group.drain(engine, _link_all))


@event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    """SQLite: link the buffered events (``_append``). PostgreSQL: if the chain's lock is free
    (``pg_try_advisory_xact_lock``: nobody waits), link every committed pending event and then
    this transaction's events in it; the lock is then held through the commit, and transactions
    committing meanwhile leave their events pending, which this one drains after its commit
    (``_drain_after_commit``). If the lock is taken, the events go pending (the same statement)
    and are drained after the commit. Linking in the transaction saves a second transaction and
    its WAL flush whenever the chain is free."""
    if not session.info.get(_PENDING):
        return
    if session.get_bind().dialect.name != "postgresql":
        _append(session)
        return
    pending: list[tuple[dict[str, Any], AuditEvent]] = session.info.pop(_PENDING)
    session.flush()  # pending ORM changes first: the events describe them
    connection = session.connection()
    session.info[_DRAIN] = connection
    rows = [values for values, _copy in pending]
    with _cursor(connection) as cursor:
        ids = None if session.info.get(_LOCKED) else audit_group.try_lock_or_pend(cursor, rows)
        if ids is not None:
            inserted = session.info.setdefault(_INSERTED, [])
            inserted.extend(zip(ids, [copy for _values, copy in pending], strict=True))
            return
        session.info[_LOCKED] = True
        _fill(session.info.get(_INSERTED, []), audit_group.link_visible(cursor, _link_all, rows))
    for values, copy in pending:
        copy.seq, copy.prev_hash, copy.hash = values["seq"], values["prev_hash"], values["hash"]


@event.listens_for(Session, "after_transaction_create")
def _remember_at_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """A savepoint keeps the events buffered before it: rolling it back must drop only the
    events recorded inside it (their data is gone with it), never those of the work before it,
    even if an audit read inside the savepoint had already appended them (the database undoes
    that append too)."""
    if transaction.nested:
        saved = session.info.setdefault(_SAVED, {})
        saved[transaction] = (
            list(session.info.get(_PENDING, [])),
            list(session.info.get(_INSERTED, [])),
        )


@event.listens_for(Session, "after_soft_rollback")
def _drop_savepoint_events(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        saved = session.info.get(_SAVED, {})
        buffered, inserted = saved.pop(previous_transaction, ([], []))
        session.info[_PENDING] = buffered
        session.info[_INSERTED] = inserted


@event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction is over: committed, its events were appended before the commit;
    rolled back or closed, they go with it (the session may begin another).

    PostgreSQL: a transaction that left events pending or held the chain's lock drains (in
    transactions of its own, never waiting for the lock): its events join the chain now, and so
    do those of transactions that found the lock held by it."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_SAVED, None)
        session.info.pop(_LOCKED, None)
        inserted = session.info.pop(_INSERTED, [])
        connection: Connection | None = session.info.pop(_DRAIN, None)
        if connection is not None:  # rolled back, or its connection was not its own
            _fill(inserted, audit_group.drain(connection.engine, _link_all))


@event.listens_for(Session, "after_commit")
def _drain_after_commit(session: Session) -> None:
    """PostgreSQL: drain on the session's own connection, idle between its commit and its
    return to the pool (no second checkout). Not after a savepoint's release, nor where the
    connection's transaction is not the session's (it is still open): ``_drop_at_end`` then."""
    connection: Connection | None = session.info.get(_DRAIN)
    if connection is None or connection.closed or connection.in_transaction():
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:
        return
    del session.info[_DRAIN]
    _fill(session.info.pop(_INSERTED, []), audit_group.drain_after_commit(dbapi, _link_all))


_AUDIT_MAPPERS = frozenset({AuditEvent, AuditHead})


@event.listens_for(Session, "do_orm_execute")
def _append_before_audit_read(state: ORMExecuteState) -> None:
    """A transaction reading the audit tables sees its own events (they are appended first) and,
    on PostgreSQL, every committed one (``link_before_read``)."""
    if not any(mapper.class_ in _AUDIT_MAPPERS for mapper in state.all_mappers):
        return
    session = state.session
    if session.get_bind().dialect.name == "postgresql":
        link_before_read(session)
    elif session.info.get(_PENDING):
        _append(session)


def record_raw(
    writer: StepWriter,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """``record`` inside a ``StepWriter`` transaction (the recorder's driver-level step path),
    appended at once: that transaction is one step's few statements and its commit."""
    append_raw(
        writer,
        [
            raw_event(
                actor=actor,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                after=after,
            )
        ],
    )


def raw_event(
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    after: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """An event's content for ``append_raw``: the same fields, time and canonical JSON as
    ``record`` fixes (one definition, ``_content``)."""
    return _content(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
        before=before,
        reason=reason,
    )


def append_raw(writer: StepWriter, events: list[dict[str, Any]]) -> None:
    """Put ``events`` (``raw_event`` contents, in order) on the chain in the writer's open
    transaction; the caller commits. SQLite (``BEGIN IMMEDIATE`` already excludes other
    writers): read the head, one executemany, move the head. PostgreSQL: insert them into
    ``audit_pending`` and drain once the writer commits (``StepWriter.after_commit``), as
    ``append_pending`` does for a session. Used by the live recorder's start and finish of a run
    (``results.run_writer``) and for attachments inside a step.
    """
    if not events:
        return
    if writer.dialect_name == "postgresql":
        writer.insert_many(_PENDING_TABLE, events)
        writer.after_commit(lambda dbapi: audit_group.drain_after_commit(dbapi, _link_all))
        return
    prev_seq, prev_hash = writer.fetch_one("SELECT seq, hash FROM audit_head WHERE id = 1")
    seq, last_hash = _link_all(events, int(prev_seq), str(prev_hash))
    writer.insert_many(_EVENTS, events)
    writer.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, last_hash))


def history(session: Session, entity_type: str, entity_id: object) -> list[AuditEvent]:
    """Every event about one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        )
    )
