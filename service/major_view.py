"""A major complaint as the API and the page show it.

Its containment is the complaint's containment actions (``results.containment``), the same rows
every complaint has; the emergency path only opens them.

Both the JSON and the page read the same dictionary, so the hour clock and the closure blockers
are computed once. (Linking an uploaded acceptance letter is ``results.major.link_acceptance``.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.attachments import EvidenceStore
from results.containment import containment_actions
from results.major import closure_blockers, deadlines
from results.manual_models import (
    EmergencyMeeting,
    EmergencyNotification,
    MajorComplaint,
    SupplierNotification,
)
from results.models import Attachment
from service.views import iso


def _columns(row: MajorComplaint) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in MajorComplaint.__table__.columns}


def _rows(session: Session, model: Any, major_id: int, order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.major_id == major_id).order_by(order)))


def major_dict(
    session: Session, major: MajorComplaint, store: EvidenceStore, now: datetime
) -> dict[str, Any]:
    containment = containment_actions(session, major.complaint_id)
    meetings = _rows(session, EmergencyMeeting, major.id, EmergencyMeeting.held_at)
    suppliers = _rows(session, SupplierNotification, major.id, SupplierNotification.notified_at)
    notes = _rows(session, EmergencyNotification, major.id, EmergencyNotification.sent_at)
    acceptance = (
        session.get(Attachment, major.acceptance_attachment_id)
        if major.acceptance_attachment_id
        else None
    )
    return {
        "id": major.id,
        "category": major.category,
        "escalated_at": iso(major.escalated_at),
        "escalated_by": major.escalated_by,
        "closed_at": iso(major.closed_at),
        "closed_by": major.closed_by,
        "clock": [
            {
                "stage": d.stage.value,
                "due_at": iso(d.due_at),
                "done_at": iso(d.done_at),
                "hours_late": round(d.overdue_hours(now), 2),
                "overdue": d.overdue_hours(now) > 0,
            }
            for d in deadlines(session, major)
        ],
        "containment": [
            {
                "id": c.id,
                "kind": c.kind,
                "owner": c.owner,
                "qty_affected": c.qty_affected,
                "location": c.location,
                "taken_at": iso(c.taken_at),
                "released_at": iso(c.released_at),
                "released_by": c.released_by,
            }
            for c in containment
        ],
        "meetings": [
            {
                "held_at": iso(m.held_at),
                "attendees": list(m.attendees),
                "decisions": list(m.decisions),
                "recorded_by": m.recorded_by,
            }
            for m in meetings
        ],
        "supplier_notifications": [
            {
                "supplier": s.supplier,
                "reference": s.reference,
                "content": s.content,
                "notified_at": iso(s.notified_at),
                "notified_by": s.notified_by,
            }
            for s in suppliers
        ],
        "notifications": [
            {
                "channel": n.channel,
                "recipients": list(n.recipients),
                "subject": n.subject,
                "sent_at": iso(n.sent_at),
                "delivered": n.delivered,
                "error": n.error,
            }
            for n in notes
        ],
        "acceptance": None
        if acceptance is None
        else {
            "sha256": acceptance.sha256,
            "name": acceptance.original_name,
            "media_type": acceptance.media_type,
        },
        "blockers": [] if major.closed_at else closure_blockers(session, major, store),
    }
