"""PostgreSQL's group commit of the audit chain: pending events, drained onto the head in batches.

Why (issue #18): when each transaction linked its own events onto the head just before its
commit (a compare-and-swap on ``audit_head``), the head's row lock was held from that statement
through the commit's WAL flush, and every run submission waited for the previous one's fsync
(48-66 % of submission time waiting on the chain). Now nobody waits for the chain:

- At a transaction's end one statement (``try_lock_or_pend``) takes the chain's advisory lock if
  it is free, or else inserts the transaction's events into ``audit_pending`` (content, time and
  actor already fixed by ``audit.record``; no hash) to commit with its data.
- With the lock, ``link_visible`` links every committed pending event and then the transaction's
  own events in its transaction (one read, one statement); the lock is held through its commit.
- After every commit that left events pending or held the lock, a *drain* (``drain_on``) on the
  same connection: an ``EXISTS`` outside a transaction, and if something is pending, a short
  transaction that takes the lock if free, links every committed pending event in ``id`` order,
  deletes them from ``audit_pending``, moves the head and commits. One lock and one fsync for the
  events of however many submissions committed meanwhile (group commit).

Guarantees, and why they hold:

- *Never in the chain before its data*: pending rows commit with the data; a drain sees only
  committed rows (or, for ``drain_once(wait=True)`` inside a transaction, that transaction's own).
- *Order*: a transaction inserts its pending rows at its end, after every row it changed is
  locked, so a later transaction touching the same record inserts (and gets ids) after the
  earlier one committed; ``id`` order is therefore the order of dependent changes, and a drain
  that sees the later one sees the earlier one (it committed first). A transaction that links
  its own events links every committed pending event before them, so they follow every
  committed change it could have seen.
- *Nothing stranded*: a drain after a commit uses ``pg_try_advisory_xact_lock`` so nobody waits;
  one that loses the race relies on the holder, and every holder drains again after committing
  until it finds nothing pending or loses the race itself (the new holder then saw every row
  committed before the previous holder's release). Readers of the audit tables drain first,
  waiting for the lock (``drain_before_read``; ``results.audit.link_before_read``), so a read
  never misses a committed event; ``verify`` reports what is still pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from results.models import AuditPending

LOCK_KEYS = "1885432674, mod(('audit_pending'::regclass)::oid::bigint, 2147483647)::integer"
"""The two keys of the advisory lock that serialises drains, held to the drain's commit: "pakb"
and the ``audit_pending`` table this connection's search path finds, so stores in different
schemas of one database do not share a lock (a holder drains again only its own store). The
two-key space is apart from the one-key locks ``results.run_sync`` takes."""
BATCH = 5000
"""Pending events linked per drain transaction at most (a synced backlog drains in several)."""
DRAIN_LOCK_TIMEOUT = "5s"
"""How long a drain after a commit waits for a row lock (``drain_once(wait=False)``)."""
READ_LOCK_TIMEOUT = "10s"
"""How long a drain before a read waits for the chain's lock (``drain_before_read``)."""
_CONTENT = tuple(c.name for c in AuditPending.__table__.columns if not c.primary_key)
"""An event's content columns in table order (``models.AuditContent``, shared by both tables)."""
_CHAINED = ("seq", *_CONTENT, "prev_hash", "hash")
_INSERT_PENDING = (
    f"INSERT INTO audit_pending ({', '.join(_CONTENT)}) SELECT {', '.join(_CONTENT)} "
    "FROM unnest(%b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
    f"%b::text[], %b::text[]) WITH ORDINALITY AS e({', '.join(_CONTENT)}, n) ORDER BY n "
    "RETURNING id"
)
_TRY_OR_PEND = (
    "WITH l AS MATERIALIZED (SELECT pg_try_advisory_xact_lock("
    f"{LOCK_KEYS}) AS got, set_config('lock_timeout', %s, true) AS t), "
    f"ins AS (INSERT INTO audit_pending ({', '.join(_CONTENT)}) SELECT {', '.join(_CONTENT)} "
    "FROM unnest(%b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
    f"%b::text[], %b::text[]) WITH ORDINALITY AS e({', '.join(_CONTENT)}, n) "
    "WHERE NOT (SELECT got FROM l) ORDER BY n RETURNING id) "
    "SELECT (SELECT got FROM l), ARRAY(SELECT id FROM ins ORDER BY id)"
)
"""``try_lock_or_pend``: the lock if free, else the events pending, in one round trip."""
_READ_PENDING = (
    f"SELECT h.seq, h.hash, p.id, {', '.join(f'p.{c}' for c in _CONTENT)} FROM audit_head h "
    f"LEFT JOIN LATERAL (SELECT * FROM audit_pending ORDER BY id LIMIT {BATCH}) p ON true "
    "WHERE h.id = 1 ORDER BY p.id"
)
"""The head and the pending events in one round trip, in a statement after the lock's (so its
snapshot includes the previous holder's commit)."""
_LINK = (
    "WITH gone AS (DELETE FROM audit_pending WHERE id = ANY(%b::integer[]) RETURNING id), "
    "moved AS (UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1 RETURNING id) "
    f"INSERT INTO audit_event ({', '.join(_CHAINED)}) SELECT * FROM unnest(%b::integer[], "
    "%b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
    "%b::text[], %b::text[], %b::text[]) "
    "WHERE (SELECT count(*) FROM gone) = %s AND EXISTS (SELECT 1 FROM moved)"
)

# The arrays above are bound in binary (``%b``): psycopg's text form escapes every string
# element through a regular expression, about three times the client CPU for an event's JSON.
LinkAll = Callable[[list[dict[str, Any]], int, str], tuple[int, str]]
"""``audit._link_all``: link rows (content dicts) after (seq, hash); return the new head."""
Linked = dict[int, tuple[int, str, str]]
"""Pending id -> (seq, prev_hash, hash) it was linked as."""

log = logging.getLogger(__name__)


def insert_pending(cursor: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert events (``audit.record`` contents, in order) as pending; their ids, in order."""
    cursor.execute(_INSERT_PENDING, tuple([r[c] for r in rows] for c in _CONTENT))
    return [int(row[0]) for row in cursor.fetchall()]


def any_pending(cursor: Any) -> bool:
    """Whether this transaction sees a pending event (committed, or its own)."""
    cursor.execute("SELECT EXISTS (SELECT 1 FROM audit_pending)")
    return bool(cursor.fetchone()[0])


def drain_once(cursor: Any, link_all: LinkAll, *, wait: bool) -> Linked | None:
    """Link the pending events this transaction sees onto the head, in ``id`` order, in the
    cursor's open transaction (the caller commits); ``None`` when ``wait`` is false and another
    transaction holds the chain's lock. Up to ``BATCH`` events: check ``more`` with a new call.
    """
    if wait:
        cursor.execute(f"SELECT pg_advisory_xact_lock({LOCK_KEYS})")
        cursor.fetchone()
    else:
        # lock_timeout for the rest of the drain: nothing but a drain should lock the head, but
        # a drain stuck behind someone who does must not hang the commit it follows.
        cursor.execute(
            f"SELECT pg_try_advisory_xact_lock({LOCK_KEYS}), set_config('lock_timeout', %s, true)",
            (DRAIN_LOCK_TIMEOUT,),
        )
        if not cursor.fetchone()[0]:
            return None
    return link_visible(cursor, link_all)


def try_lock_or_pend(cursor: Any, rows: list[dict[str, Any]]) -> list[int] | None:
    """One statement at a transaction's end: take the chain's lock if it is free (``None``:
    taken, link with ``link_visible``), else insert ``rows`` pending and return their ids."""
    cursor.execute(_TRY_OR_PEND, (DRAIN_LOCK_TIMEOUT, *([r[c] for r in rows] for c in _CONTENT)))
    got, ids = cursor.fetchone()
    return None if got else [int(i) for i in ids]


def link_visible(cursor: Any, link_all: LinkAll, own: list[dict[str, Any]] | None = None) -> Linked:
    """With the chain's lock held: link every pending event this transaction sees (``id``
    order), then ``own`` (content dicts, linked in place, never pending), in one statement.

    A backlog of more than ``BATCH`` pending events is linked a batch at a time before ``own``,
    so they keep their place before this transaction's events.
    """
    cursor.execute(_READ_PENDING)
    pending = cursor.fetchall()
    if not pending:
        raise RuntimeError("audit_head has no row: the store was not migrated")
    seq, prev_hash = int(pending[0][0]), str(pending[0][1])
    queued = [] if pending[0][2] is None else pending
    rows = [dict(zip(_CONTENT, row[3:], strict=True)) for row in queued]
    ids = [int(row[2]) for row in queued]
    if own and len(rows) >= BATCH:
        linked = _link(cursor, link_all, ids, rows, seq, prev_hash)
        linked.update(link_visible(cursor, link_all, own))
        return linked
    return _link(cursor, link_all, ids, rows + (own or []), seq, prev_hash)


def _link(
    cursor: Any,
    link_all: LinkAll,
    ids: list[int],
    rows: list[dict[str, Any]],
    seq: int,
    prev_hash: str,
) -> Linked:
    """Link ``rows`` (the pending events ``ids``, then any others) after (``seq``,
    ``prev_hash``): delete the pending ones, insert all, move the head, in one statement."""
    if not rows:
        return {}
    last_seq, last_hash = link_all(rows, seq, prev_hash)
    columns = tuple([r[c] for r in rows] for c in _CHAINED)
    cursor.execute(_LINK, (ids, last_seq, last_hash, *columns, len(ids)))
    if cursor.rowcount != len(rows):
        raise RuntimeError(
            f"audit drain linked {cursor.rowcount} of {len(rows)} events: another transaction "
            "changed audit_pending or audit_head without the chain's lock"
        )
    return {
        pid: (int(r["seq"]), str(r["prev_hash"]), str(r["hash"]))
        for pid, r in zip(ids, rows, strict=False)
    }


def drain_on(dbapi_connection: Any, link_all: LinkAll) -> Linked:
    """Drain in transactions of their own on an idle DBAPI connection (nothing open on it) until
    nothing is pending or another drain holds the lock; commit each; return what was linked.

    Never waits for the lock: a holder drains again after its commit (this loop), so events
    committed while it held the lock are linked by it or by the next holder. Each round starts
    with an ``EXISTS`` outside a transaction (one round trip): after a transaction that linked
    its own events before its commit, that is usually all.
    """
    linked: Linked = {}
    cursor = dbapi_connection.cursor()
    try:
        while True:
            if not _pending_outside_a_transaction(dbapi_connection, cursor):
                return linked
            try:
                done = drain_once(cursor, link_all, wait=False)
                dbapi_connection.commit()
            except BaseException:
                dbapi_connection.rollback()
                raise
            if not done:
                return linked
            linked.update(done)
    finally:
        cursor.close()


def drain_before_read(engine: Engine, link_all: LinkAll) -> None:
    """Link every committed pending event before a read of the audit tables, in transactions of
    its own on a pooled connection of ``engine``: the first waits for the chain's lock (a drain
    holds it for a few statements), the rest are ``drain_on``'s (the holder's re-check).

    Committed, not in the reader's transaction: a reader that rolls back (a read-only session
    closes so) must not undo links it may have shown or anchored (``verify_checkpoint``). The
    wait is bounded by ``READ_LOCK_TIMEOUT`` in case the holder waits for a row the reader's
    own transaction has locked (no database sees that cycle: it runs through this process);
    then the read goes ahead and may miss events still pending, which is logged.
    """
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(f"SET LOCAL lock_timeout = '{READ_LOCK_TIMEOUT}'")
                drain_once(cursor, link_all, wait=True)
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.close()
            drain_on(raw, link_all)
        finally:
            raw.close()
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error):
        log.exception("audit drain before a read failed; the read may miss pending events")


def _pending_outside_a_transaction(dbapi_connection: Any, cursor: Any) -> bool:
    """``any_pending`` in autocommit: no ``BEGIN``/``COMMIT`` round trips for a look."""
    was = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        return any_pending(cursor)
    finally:
        dbapi_connection.autocommit = was


def drain_after_commit(dbapi_connection: Any, link_all: LinkAll) -> Linked:
    """``drain_on`` the connection whose transaction just committed (a session's, the live
    recorder's ``StepWriter``); a failure is logged, not raised, as in ``drain``."""
    try:
        return drain_on(dbapi_connection, link_all)
    except dbapi_connection.Error:
        log.exception("audit drain failed; the events stay pending until the next drain")
        return {}


def drain(engine: Engine, link_all: LinkAll) -> Linked:
    """``drain_on`` a pooled connection of ``engine``, after a transaction that left events
    pending has ended. A failure is logged, not raised: the transaction's data and its events are
    committed already, and the next drain (or the next reader of the audit tables) links them."""
    try:
        raw = engine.raw_connection()
        try:
            return drain_on(raw, link_all)
        finally:
            raw.close()
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error):
        log.exception("audit drain failed; the events stay pending until the next drain")
        return {}


def pending_count(cursor: Any) -> int:
    cursor.execute("SELECT count(*) FROM audit_pending")
    return int(cursor.fetchone()[0])
