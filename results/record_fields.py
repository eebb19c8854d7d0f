"""Checks of what people type into the complaint-process records (containment, claims, the
feedback form), shared so each record refuses bad input with the same words.

Every check raises ``ValidationError`` naming the field and the fix before anything is written;
``row_values`` is the audit snapshot of such a record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from results import audit
from results.complaint_status import ComplaintStatus
from results.complaints import CLOCK_SKEW
from results.errors import NotFound, ValidationError
from results.integrity import row_snapshot
from results.models import Complaint


def row_values(row: Any) -> dict[str, Any]:
    """A row as an audit snapshot (``results.integrity.row_snapshot``, which ``verify`` shares)."""
    return row_snapshot(row)


def audit_row(session: Session, actor: str, action: str, row: Any, reason: str = "") -> None:
    """Append ``action`` on ``row`` with the row's whole state, under its table's name: the
    event ``verify`` compares the live row against."""
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type=row.__tablename__,
        entity_id=row.id,
        after=row_values(row),
        reason=reason,
    )


def checked_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ValidationError("actor", "is empty", "name the person making the change")
    return actor.strip()


def checked_text(field: str, value: str, *, required: bool, limit: int = 4000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(field, "is empty", f"fill in the {field.replace('_', ' ')}")
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters long", f"shorten to {limit}")
    return value


def checked_count(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"{value!r} is not a whole number", "give a count of units")
    if value < 0:
        raise ValidationError(field, f"{value} is negative", "give 0 or more")
    return value


def checked_time(field: str, value: datetime | None, complaint: Complaint) -> datetime:
    """When it happened: now by default; never naive, in the future or before the receipt."""
    now = datetime.now(UTC)
    if value is None:
        return now
    if value.tzinfo is None:
        raise ValidationError(field, "has no time zone", "give an aware time (UTC)")
    if value > now + CLOCK_SKEW:
        raise ValidationError(field, "lies in the future", "give the time it happened")
    if value < complaint.received_at:
        raise ValidationError(
            field, "is before the complaint was received", "give the time it happened"
        )
    return value


def open_complaint(session: Session, complaint_id: int) -> Complaint:
    """The complaint, which must exist and still be open (closed and cancelled take nothing)."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    if complaint.status in (ComplaintStatus.CLOSED, ComplaintStatus.CANCELLED):
        raise ValidationError(
            "complaint", f"{complaint.number} is {complaint.status}", "nothing can be added to it"
        )
    return complaint
