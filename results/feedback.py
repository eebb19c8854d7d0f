"""The customer feedback handling form (顾客反馈信息处理单): the proposed solution that goes back
through sales to the customer, approved by the QA manager; its approval is what lets the
complaint close (``close_complaint``, through the workflow's guarded CLOSED transition).

One form per complaint. It may be redrafted until approved (each version stays in the audit
trail); once approved it is fixed, because the customer was sent that text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.accounts import Role, user_with_role
from results.complaint_status import ComplaintStatus
from results.containment_models import FeedbackForm
from results.errors import NotFound, ValidationError
from results.models import Complaint
from results.record_fields import checked_actor, checked_text, open_complaint, row_values
from results.workflow import transition


def feedback_of(session: Session, complaint_id: int) -> FeedbackForm | None:
    return session.scalars(
        select(FeedbackForm).where(FeedbackForm.complaint_id == complaint_id)
    ).one_or_none()


def write_feedback(
    session: Session, complaint_id: int, *, proposed_solution: str, actor: str
) -> FeedbackForm:
    """Draft (or redraft, until approved) the form with the proposed solution."""
    actor = checked_actor(actor)
    complaint = open_complaint(session, complaint_id)
    text = checked_text("proposed_solution", proposed_solution, required=True, limit=20000)
    form = feedback_of(session, complaint.id)
    before = None
    if form is None:
        form = FeedbackForm(complaint_id=complaint.id, proposed_solution=text)
        session.add(form)
    elif form.approved_by is not None:
        raise ValidationError(
            "proposed_solution",
            f"the feedback form of {complaint.number} was approved by {form.approved_by}",
            "it was sent as approved and cannot change",
        )
    else:
        before = row_values(form)
        form.proposed_solution = text
    form.drafted_at = datetime.now(UTC)
    form.drafted_by = actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="feedback.written",
        entity_type=FeedbackForm.__tablename__,
        entity_id=form.id,
        before=before,
        after=row_values(form),
        reason=f"complaint {complaint.number}",
    )
    return form


def approve_feedback(session: Session, complaint_id: int, *, actor: str) -> FeedbackForm:
    """The QA manager's approval (a user with role qa_manager)."""
    complaint = open_complaint(session, complaint_id)
    form = feedback_of(session, complaint.id)
    if form is None:
        raise ValidationError(
            "feedback_form",
            f"complaint {complaint.number} has no feedback handling form",
            "write the proposed solution first",
        )
    if form.approved_by is not None:
        raise ValidationError(
            "feedback_form", f"already approved by {form.approved_by}", "nothing to approve"
        )
    user = user_with_role(session, actor, Role.QA_MANAGER, field="approved_by")
    before = row_values(form)
    form.approved_by = user.name
    form.approved_at = datetime.now(UTC)
    session.flush()
    audit.record(
        session,
        actor=user.name,
        action="feedback.approved",
        entity_type=FeedbackForm.__tablename__,
        entity_id=form.id,
        before=before,
        after=row_values(form),
        reason=f"complaint {complaint.number}",
    )
    return form


def close_complaint(
    session: Session,
    complaint_id: int,
    *,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Complaint:
    """Close through the workflow; the closure note defaults to the approved proposed solution."""
    if session.get(Complaint, complaint_id) is None:
        raise NotFound("complaint", complaint_id)
    form = feedback_of(session, complaint_id)
    text = note if note and note.strip() else (form.proposed_solution if form else None)
    return transition(session, complaint_id, ComplaintStatus.CLOSED, actor=actor, note=text, at=at)
