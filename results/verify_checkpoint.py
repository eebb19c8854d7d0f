"""Where a routine ``verify`` starts, and the anchor kept outside the database.

**Checkpoints.** A ``verify`` that finds no problem stores what it had checked: the audit chain
head (seq and hash) and the highest run, step and attachment ids. The next routine ``verify``
re-checks only what came after (events after the head, runs with new steps or new audit events,
new attachments) plus a random sample of older rows; ``verify --full`` re-checks everything.
Checkpoints are hash-linked (each hashes the one before with its own content) and anchored: each
names an audit event by seq and hash, which ``verify`` confirms is still there unchanged, so a
checkpoint cannot be moved onto a rewritten chain without the rewrite of the chain after it
being re-checked.

**Anchors.** Someone with write access to the whole database can rewrite every event, every row
and every checkpoint consistently; nothing inside the database catches that. An anchor is the
chain head (seq, hash) with the time it was taken, exported to keep somewhere else (printed in a
lab notebook, mailed to QA, stored on another machine). ``verify`` given an anchor confirms that
the event at its seq still has its hash: a rewrite of any event up to it changes that hash.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from results.audit import GENESIS_HASH
from results.integrity import canonical_json, sha256_hex
from results.models import Attachment, AuditEvent, AuditHead, Run, Step
from results.verify_models import VerifyCheckpoint
from results.verify_report import VerifyReport

_TABLE = cast(Table, VerifyCheckpoint.__table__)
_CONTENT = (
    "created_at",
    "created_by",
    "full",
    "audit_seq",
    "audit_hash",
    "max_run_id",
    "max_step_id",
    "max_attachment_id",
)


@dataclass(frozen=True)
class Checkpoint:
    audit_seq: int
    audit_hash: str
    max_run_id: int
    max_step_id: int
    max_attachment_id: int


@dataclass(frozen=True)
class Anchor:
    """The audit chain head at ``taken_at``, to keep outside the database."""

    seq: int
    hash: str
    taken_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        data: dict[str, Any] = json.loads(text)
        return cls(seq=int(data["seq"]), hash=str(data["hash"]), taken_at=str(data["taken_at"]))


def checkpoint_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return sha256_hex(prev_hash + canonical_json([content[k] for k in _CONTENT]))


def current_extent(session: Session) -> Checkpoint:
    """The chain head and the highest ids now: what a verify starting now will have seen."""
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    max_run = session.scalar(select(func.coalesce(func.max(Run.id), 0)))
    max_step = session.scalar(select(func.coalesce(func.max(Step.id), 0)))
    max_attachment = session.scalar(select(func.coalesce(func.max(Attachment.id), 0)))
    return Checkpoint(
        int(head.seq),
        str(head.hash),
        int(max_run or 0),
        int(max_step or 0),
        int(max_attachment or 0),
    )


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.scalars(
        select(VerifyCheckpoint).order_by(VerifyCheckpoint.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return Checkpoint(
        row.audit_seq, row.audit_hash, row.max_run_id, row.max_step_id, row.max_attachment_id
    )


def write_checkpoint(session: Session, extent: Checkpoint, *, actor: str, full: bool) -> None:
    """Store ``extent`` (what a problem-free verify checked) as the newest checkpoint."""
    prev = session.scalars(
        select(VerifyCheckpoint.hash).order_by(VerifyCheckpoint.id.desc()).limit(1)
    ).first()
    content: dict[str, Any] = {
        "created_at": datetime.now(UTC),
        "created_by": actor,
        "full": full,
        **asdict(extent),
    }
    prev_hash = prev or GENESIS_HASH
    content["prev_hash"] = prev_hash
    content["hash"] = checkpoint_hash(prev_hash, content)
    session.execute(insert(_TABLE), content)


def verify_checkpoints(session: Session, report: VerifyReport) -> None:
    """Every checkpoint against the one before it, and against the audit event it anchors to."""
    prev_hash = GENESIS_HASH
    for row in session.scalars(select(VerifyCheckpoint).order_by(VerifyCheckpoint.id)):
        ref = f"verify_checkpoint id={row.id}"
        content = {k: getattr(row, k) for k in _CONTENT}
        if row.prev_hash != prev_hash or row.hash != checkpoint_hash(row.prev_hash, content):
            report.add("checkpoint", ref, "checkpoint edited, removed or inserted out of order")
        prev_hash = row.hash
    latest = latest_checkpoint(session)
    if latest is not None:
        _anchored(session, report, latest.audit_seq, latest.audit_hash, "verify_checkpoint")


def take_anchor(session: Session) -> Anchor:
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    return Anchor(int(head.seq), str(head.hash), datetime.now(UTC).isoformat(timespec="seconds"))


def check_anchor(session: Session, report: VerifyReport, anchor: Anchor) -> None:
    """The event at the anchor's seq must still carry the anchor's hash."""
    _anchored(session, report, anchor.seq, anchor.hash, f"anchor of {anchor.taken_at}")


def _anchored(session: Session, report: VerifyReport, seq: int, hash_: str, what: str) -> None:
    if seq == 0:
        if hash_ != GENESIS_HASH:
            report.add("anchor", what, "anchor at seq 0 must be the genesis hash")
        return
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    if stored is None:
        report.add("anchor", what, f"audit event seq={seq} is gone: the chain was cut")
    elif stored != hash_:
        report.add(
            "anchor",
            what,
            f"audit event seq={seq} no longer has the anchored hash: the chain up to it was "
            "rewritten",
        )
