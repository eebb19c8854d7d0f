"""Finding a major record and changing it on the record: every step of the emergency path
names its actor and leaves an audit row, and every message it sends is kept with its delivery
result, so the file shows who did what and who was told.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.errors import NotFound, ValidationError
from results.manual_models import (
    EmergencyNotification,
    MajorComplaint,
)
from results.notifications import Notification, NotificationChannel

# re-exported: the major modules take the audit helpers from here
from results.record_fields import audit_row as audit_row
from results.record_fields import row_values as row_values


def checked_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ValidationError("actor", "is empty", "name the person making the change")
    return actor.strip()


def get_major(session: Session, major_id: int) -> MajorComplaint:
    major = session.get(MajorComplaint, major_id)
    if major is None:
        raise NotFound("major complaint", major_id)
    return major


def major_for(session: Session, complaint_id: int) -> MajorComplaint | None:
    return session.scalars(
        select(MajorComplaint).where(MajorComplaint.complaint_id == complaint_id)
    ).one_or_none()


def notify(
    session: Session,
    major: MajorComplaint,
    channel: NotificationChannel,
    message: Notification,
    actor: str,
) -> EmergencyNotification:
    delivery = channel.send(message)
    row = EmergencyNotification(
        major_id=major.id,
        channel=delivery.channel,
        recipients=list(message.recipients),
        subject=message.subject,
        body=message.body,
        sent_at=delivery.sent_at,
        delivered=delivery.delivered,
        error=delivery.error,
    )
    session.add(row)
    session.flush()
    audit_row(session, actor, "major.notified", row)
    return row
