"""Append-only, hash-chained audit log, which ``results.verify.verify_store`` checks.

Every change made through the store's API appends one event (who, when, what, why, before and
after). Event *n* hashes event *n-1*'s hash with its own canonical content, so editing, deleting or
re-ordering any event breaks every later link. Database triggers refuse UPDATE/DELETE on the table;
the chain is what still catches someone who drops the triggers. This is tamper-*evident*, not
tamper-proof: a person who rewrites the whole chain and every row consistently is not detected by
the chain alone; an anchor kept outside the database (``results.verify_anchor``) catches that.

**When events join the chain.** ``record`` does not touch the chain: it buffers the event on the
session (its content, time and actor are fixed there). The buffered events of a transaction are
linked and inserted in one short locked section just before the transaction commits (a
``before_commit`` hook): lock the chain head, hash the events onto it, insert them in one
executemany, move the head, commit. The chain head is therefore held for four statements and the
commit, not for the whole transaction as when the first event took the lock (issue #18: 80 % of a
run import under the lock). Order stays the chain's: ``seq`` is the order in which transactions
committed, which is also the order in which their changes became visible. A read of the audit
tables in a transaction that has buffered events appends them first, so a transaction always sees
its own events (the lock is then held from that read to the commit, as before).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Table, event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from results.integrity import (
    canonical_json,
    sha256_hex,
)
from results.models import (
    AuditEvent,
    AuditHead,
)
from results.step_writer import StepWriter

GENESIS_HASH = "0" * 64
RUN_STEPS = "run_steps"
"""Entity type of the event that seals a run's step chain (``integrity.step_link``)."""
_HEAD = cast(Table, AuditHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_PENDING = "packbench.audit.pending"
_SAVED = "packbench.audit.pending_at_savepoints"
"""``session.info`` key of the events recorded in the session's open transaction."""
_HEAD_SQL = {"sqlite": "SELECT seq, hash FROM audit_head WHERE id = 1"}


def event_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    reason: str,
    before_json: str | None,
    after_json: str | None,
) -> str:
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
    """Link and insert the events ``session`` has buffered; return how many.

    SQLite: its write transactions are exclusive from ``BEGIN IMMEDIATE`` (``results.db``), so
    the head is read, the events inserted in one executemany and the head moved. PostgreSQL: see
    ``_append_postgres``. Either way the chain head is held from here to the commit only.
    """
    pending: list[tuple[dict[str, Any], AuditEvent]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    session.flush()  # pending ORM changes first: the events describe them
    connection = session.connection()
    rows = [values for values, _copy in pending]
    if connection.dialect.name == "postgresql":
        _append_postgres(connection, rows)
    else:
        head = connection.exec_driver_sql(_HEAD_SQL["sqlite"]).one()
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


_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "reason",
    "before_json",
    "after_json",
    "prev_hash",
    "hash",
)


def _append_postgres(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Compare-and-swap onto the head in one statement: read the head without a lock, link the
    events onto it, then ``UPDATE audit_head ... WHERE seq = <read seq>`` and the INSERT of the
    events in one statement (a data-modifying CTE), inserting only if the head moved.

    The row lock on the head is taken by that statement and held to the commit: one statement
    and the commit, where ``SELECT ... FOR UPDATE``, INSERT and UPDATE were three round trips
    under the lock. Another transaction that committed in between makes the UPDATE match
    nothing (READ COMMITTED re-checks the condition on the new head), nothing is inserted, and
    the events are linked again onto the new head.
    """
    sql = _cas_sql(len(rows))
    while True:
        head = connection.exec_driver_sql(_HEAD_SQL["sqlite"]).one()
        old_seq = int(head[0])
        seq, last_hash = _link_all(rows, old_seq, str(head[1]))
        params: list[Any] = [seq, last_hash, old_seq]
        for r in rows:
            params.extend(r[c] for c in _COLUMNS)
        if connection.exec_driver_sql(sql, tuple(params)).rowcount == len(rows):
            return


@cache
def _cas_sql(n: int) -> str:
    """The compare-and-swap append of ``n`` events (``_append_postgres``), as psycopg SQL."""
    casts = "%s::integer, %s::timestamptz, " + ", ".join(["%s::text"] * 9)
    rows = ", ".join([f"({casts})"] * n)
    names = ", ".join(_COLUMNS)
    return (
        "WITH moved AS (UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1 AND seq = %s "
        f"RETURNING id) INSERT INTO audit_event ({names}) SELECT {names} FROM (VALUES {rows}) "
        f"AS events ({names}) WHERE EXISTS (SELECT 1 FROM moved)"
    )


@event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    append_pending(session)


@event.listens_for(Session, "after_transaction_create")
def _remember_at_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """A savepoint keeps the events buffered before it: rolling it back must drop only the
    events recorded inside it (their data is gone with it), never those of the work before it,
    even if an audit read inside the savepoint had already appended them (the database undoes
    that append too)."""
    if transaction.nested:
        saved = session.info.setdefault(_SAVED, {})
        saved[transaction] = list(session.info.get(_PENDING, []))


@event.listens_for(Session, "after_soft_rollback")
def _drop_savepoint_events(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        saved = session.info.get(_SAVED, {})
        session.info[_PENDING] = saved.pop(previous_transaction, [])


@event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction is over: committed, its events were appended before the commit;
    rolled back or closed, they go with it (the session may begin another)."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_SAVED, None)


_AUDIT_MAPPERS = frozenset({AuditEvent, AuditHead})


@event.listens_for(Session, "do_orm_execute")
def _append_before_audit_read(state: ORMExecuteState) -> None:
    """A transaction reading the audit tables sees its own events (they are appended first)."""
    session = state.session
    if session.info.get(_PENDING) and any(
        mapper.class_ in _AUDIT_MAPPERS for mapper in state.all_mappers
    ):
        append_pending(session)


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
    """Link ``events`` (``raw_event`` contents, in order) onto the chain head and insert them in
    the writer's open transaction: read the head (``FOR UPDATE`` on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already excludes other writers), one executemany, move the head. The
    caller commits; the head stays locked from here to that commit, as in ``append_pending``.
    Used by the live recorder's start and finish of a run (``results.run_writer``) and for
    attachments inside a step, where the transaction is a few statements long anyway.
    """
    if not events:
        return
    lock = "" if writer.dialect_name == "sqlite" else " FOR UPDATE"
    prev_seq, prev_hash = writer.fetch_one(f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}")
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
