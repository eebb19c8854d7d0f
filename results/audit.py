"""Append-only, hash-chained audit log, which ``results.verify.verify_store`` checks.

Every change made through the store's API appends one event (who, when, what, why, before and
after). Event *n* hashes event *n-1*'s hash with its own canonical content, so editing, deleting or
re-ordering any event breaks every later link. Database triggers refuse UPDATE/DELETE on the table;
the chain is what still catches someone who drops the triggers. This is tamper-*evident*, not
tamper-proof: a person who rewrites the whole chain and every row consistently is not detected.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

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


def _event(
    prev_seq: int,
    prev_hash: str,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    after: dict[str, Any] | None,
    before: dict[str, Any] | None,
    reason: str,
) -> dict[str, Any]:
    if not actor:
        raise ValueError("audit event without an actor: every change must name who made it")
    values: dict[str, Any] = {
        "seq": prev_seq + 1,
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "reason": reason,
        "before_json": None if before is None else canonical_json(before),
        "after_json": None if after is None else canonical_json(after),
    }
    values["prev_hash"] = prev_hash
    values["hash"] = event_hash(
        prev_hash,
        seq=values["seq"],
        at=values["at"],
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=values["entity_id"],
        reason=reason,
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
    """Append one event in the caller's transaction; return a detached copy of the stored row.

    The chain head is locked (``FOR UPDATE`` on PostgreSQL; SQLite transactions are already
    exclusive) so concurrent benches append one after another, never onto the same parent.
    """
    if not actor:
        raise ValueError("audit event without an actor: every change must name who made it")
    session.flush()  # pending ORM changes first, so the event never precedes what it describes
    head = session.execute(
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
    ).one()
    values = _event(
        head.seq,
        head.hash,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
        before=before,
        reason=reason,
    )
    session.execute(insert(_EVENTS), values)
    session.execute(
        update(_HEAD).where(_HEAD.c.id == 1).values(seq=values["seq"], hash=values["hash"])
    )
    return AuditEvent(**values)


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
    """``record`` inside a ``StepWriter`` transaction (the recorder's driver-level step path)."""
    lock = "" if writer.dialect_name == "sqlite" else " FOR UPDATE"
    prev_seq, prev_hash = writer.fetch_one(f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}")
    values = _event(
        int(prev_seq),
        str(prev_hash),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
        before=None,
        reason=reason,
    )
    writer.insert_many(_EVENTS, [values])
    writer.execute(
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (values["seq"], values["hash"])
    )


def history(session: Session, entity_type: str, entity_id: object) -> list[AuditEvent]:
    """Every event about one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        )
    )
