"""The major complaint's clock: hour limits from the escalation, not working days (a fire does
not wait for Monday), and the stages that are past them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from results.containment_models import ContainmentAction
from results.major.registration import alert_tags
from results.manual_models import (
    EmergencyMeeting,
    EmergencyNotification,
    MajorComplaint,
    SupplierNotification,
)
from results.models import Complaint


class Stage(enum.StrEnum):
    NOTIFIED = "emergency_group_notified"
    CONTAINED = "containment_opened"
    MEETING = "emergency_meeting_held"
    SUPPLIER = "supplier_notified"
    CLOSED = "closed_with_acceptance"


@dataclass(frozen=True)
class MajorRules:
    """Hours from escalation by which each stage must be done [E: plant policy, adjust here]."""

    hours: dict[Stage, float] = field(
        default_factory=lambda: {
            Stage.NOTIFIED: 1.0,
            Stage.CONTAINED: 4.0,
            Stage.MEETING: 24.0,
            Stage.SUPPLIER: 48.0,
            Stage.CLOSED: 240.0,
        }
    )


@dataclass(frozen=True)
class Deadline:
    stage: Stage
    due_at: datetime
    done_at: datetime | None

    def overdue_hours(self, now: datetime) -> float:
        """How late: a stage done late stays late; an open one grows until it is done."""
        end = self.done_at or now
        return max(0.0, (end - self.due_at).total_seconds() / 3600.0)


def deadlines(
    session: Session, major: MajorComplaint, rules: MajorRules | None = None
) -> list[Deadline]:
    rules = rules or MajorRules()

    def first(column: Any, model: Any) -> datetime | None:
        value: datetime | None = session.scalars(
            select(column).where(model.major_id == major.id).order_by(column)
        ).first()
        return value

    notified = session.scalars(
        select(EmergencyNotification.sent_at)
        .where(
            EmergencyNotification.major_id == major.id,
            EmergencyNotification.delivered.is_(True),
            or_(*(EmergencyNotification.subject.startswith(tag) for tag in alert_tags())),
        )
        .order_by(EmergencyNotification.sent_at)
    ).first()
    done: dict[Stage, datetime | None] = {
        Stage.NOTIFIED: notified,
        Stage.CONTAINED: session.scalars(
            select(ContainmentAction.taken_at)
            .where(ContainmentAction.complaint_id == major.complaint_id)
            .order_by(ContainmentAction.taken_at)
        ).first(),
        Stage.MEETING: first(EmergencyMeeting.held_at, EmergencyMeeting),
        Stage.SUPPLIER: first(SupplierNotification.notified_at, SupplierNotification),
        Stage.CLOSED: major.closed_at,
    }
    return [
        Deadline(stage, major.escalated_at + timedelta(hours=rules.hours[stage]), done[stage])
        for stage in Stage
    ]


@dataclass(frozen=True)
class OverdueStage:
    complaint_number: str
    stage: Stage
    due_at: datetime
    hours_late: float


def overdue(session: Session, now: datetime, rules: MajorRules | None = None) -> list[OverdueStage]:
    """Open stages past their hour limit across all open major complaints, most late first."""
    late: list[OverdueStage] = []
    for major in session.scalars(select(MajorComplaint).where(MajorComplaint.closed_at.is_(None))):
        complaint = session.get(Complaint, major.complaint_id)
        number = complaint.number if complaint else str(major.complaint_id)
        for d in deadlines(session, major, rules):
            if d.done_at is None and now > d.due_at:
                late.append(OverdueStage(number, d.stage, d.due_at, d.overdue_hours(now)))
    return sorted(late, key=lambda o: -o.hours_late)
