"""What the complaint page shows of the major-complaint path and the customer replies.

Kept apart from the form routes (``pages.manual``) because ``routes.complaint_page`` needs it and
those routes import ``routes`` for the CSRF-checked form reader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.major import (
    ACCEPTANCE_TYPES,
    OverdueStage,
    closure_blocker_messages,
    major_for,
    overdue,
)
from results.manual_models import ApprovedPromise, CustomerReply, MajorComplaint
from results.models import Attachment, Complaint
from results.read_model import ComplaintRead
from results.replies import check_reply, overdue_follow_ups
from service.major_view import major_dict
from service.store import Store


def manual_context(
    session: Session, complaint: Complaint | ComplaintRead, store: Store, now: datetime
) -> dict[str, Any]:
    major = major_for(session, complaint.id)
    replies = list(
        session.scalars(
            select(CustomerReply)
            .where(CustomerReply.complaint_id == complaint.id)
            .order_by(CustomerReply.id)
        )
    )
    letters = list(
        session.scalars(
            select(Attachment)
            .where(
                Attachment.complaint_id == complaint.id,
                Attachment.media_type.in_(ACCEPTANCE_TYPES),
            )
            .order_by(Attachment.id)
        )
    )
    return {
        "major": None if major is None else major_dict(session, major, store.evidence, now),
        "major_blockers": []
        if major is None or major.closed_at
        else closure_blocker_messages(session, major, store.evidence),
        "replies": [(r, check_reply(session, r.id)) for r in replies],
        "promises": list(
            session.scalars(
                select(ApprovedPromise)
                .where(ApprovedPromise.complaint_id == complaint.id)
                .order_by(ApprovedPromise.id)
            )
        ),
        "acceptance_files": letters,
        "today": now.date(),
    }


def list_context(session: Session, now: datetime) -> dict[str, Any]:
    """Which complaints are major (and late on a stage), and the follow-ups nobody made."""
    majors: dict[str, datetime | None] = {
        number: closed
        for number, closed in session.execute(
            select(Complaint.number, MajorComplaint.closed_at).join(
                MajorComplaint, MajorComplaint.complaint_id == Complaint.id
            )
        )
    }
    late: dict[str, list[OverdueStage]] = {}
    for stage in overdue(session, now):
        late.setdefault(stage.complaint_number, []).append(stage)
    return {
        "majors": majors,
        "late_stages": late,
        "due_follow_ups": overdue_follow_ups(session, now.date()),
    }
