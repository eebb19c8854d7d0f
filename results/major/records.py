"""What the emergency path records while the complaint is open: containment (stock frozen,
production held), the emergency meeting's decisions with owners, and the supplier notification.

Containment is the complaint's own containment (``results.containment``), which every complaint
has: the emergency path's form opens its two usual measures, freezing the stock on hand and
stopping production, as containment actions that stay open until released.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.containment import ActionKind, open_action
from results.containment_models import ContainmentAction
from results.errors import ValidationError
from results.major.ledger import audit_row, checked_actor, get_major, notify
from results.manual_models import (
    EmergencyMeeting,
    SupplierNotification,
)
from results.models import Complaint
from results.notifications import Notification, NotificationChannel


@dataclass(frozen=True)
class Decision:
    text: str
    owner: str
    due: datetime | None = None


def open_containment(
    session: Session,
    major_id: int,
    *,
    stock_frozen_qty: int,
    locations: str,
    production_hold: bool,
    actor: str,
    at: datetime | None = None,
) -> list[ContainmentAction]:
    """Stock on hand frozen (where, how many) and, when held, production stopped: one
    containment action each on the complaint, owned by ``actor``, open until released."""
    actor = checked_actor(actor)
    major = get_major(session, major_id)
    if isinstance(stock_frozen_qty, bool) or not isinstance(stock_frozen_qty, int):
        raise ValidationError("stock_frozen_qty", f"{stock_frozen_qty!r}", "give a count")
    if stock_frozen_qty < 0:
        raise ValidationError("stock_frozen_qty", "is negative", "give 0 or more")
    if not locations.strip():
        raise ValidationError("locations", "is empty", "say where stock was frozen")
    if has_containment(session, major.complaint_id):
        raise ValidationError(
            "containment",
            "is already open",
            "add or release actions with `packbench containment` (or the containment API)",
        )
    when = at or datetime.now(UTC)
    measures = [(ActionKind.FREEZE_OUTGOING_STOCK, stock_frozen_qty, "stock on hand frozen")]
    if production_hold:
        measures.append((ActionKind.STOP_PRODUCTION, 0, "production held"))
    return [
        open_action(
            session,
            major.complaint_id,
            kind=kind,
            owner=actor,
            qty_affected=qty,
            location=locations,
            description=f"major complaint: {what}",
            actor=actor,
            at=when,
        )
        for kind, qty, what in measures
    ]


def has_containment(session: Session, complaint_id: int) -> bool:
    """Whether the complaint has any containment action (the emergency path's stage is done)."""
    return (
        session.scalars(
            select(ContainmentAction.id).where(ContainmentAction.complaint_id == complaint_id)
        ).first()
        is not None
    )


def record_meeting(
    session: Session,
    major_id: int,
    *,
    held_at: datetime,
    attendees: Sequence[str],
    decisions: Sequence[Decision],
    actor: str,
) -> EmergencyMeeting:
    actor = checked_actor(actor)
    major = get_major(session, major_id)
    people = [a.strip() for a in attendees if a.strip()]
    if not people:
        raise ValidationError("attendees", "is empty", "name who attended")
    if not decisions or any(not d.text.strip() or not d.owner.strip() for d in decisions):
        raise ValidationError(
            "decisions", "missing or without text/owner", "record each decision with an owner"
        )
    row = EmergencyMeeting(
        major_id=major.id,
        held_at=held_at,
        attendees=people,
        decisions=[
            {"text": d.text.strip(), "owner": d.owner.strip(), "due": d.due and d.due.isoformat()}
            for d in decisions
        ],
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    audit_row(session, actor, "major.meeting", row)
    return row


def record_supplier_notification(
    session: Session,
    major_id: int,
    *,
    supplier: str,
    reference: str,
    content: str,
    actor: str,
    at: datetime | None = None,
    channel: NotificationChannel | None = None,
    address: str | None = None,
) -> SupplierNotification:
    """Note that the supplier was told (and tell them through ``channel`` when given)."""
    actor = checked_actor(actor)
    major = get_major(session, major_id)
    if not supplier.strip() or not content.strip():
        raise ValidationError("supplier", "name or content is empty", "name the supplier and what")
    if channel is not None:
        if not address:
            raise ValidationError("address", "is missing", "give the supplier's e-mail address")
        complaint = session.get(Complaint, major.complaint_id)
        number = complaint.number if complaint else str(major.complaint_id)
        notify(
            session,
            major,
            channel,
            Notification((address,), f"[Quality notice] {number} {reference}", content),
            actor,
        )
    row = SupplierNotification(
        major_id=major.id,
        supplier=supplier.strip(),
        reference=reference.strip(),
        content=content.strip(),
        notified_at=at or datetime.now(UTC),
        notified_by=actor,
    )
    session.add(row)
    session.flush()
    audit_row(session, actor, "major.supplier_notified", row)
    return row
