"""Everything that must be true before a complaint may close, listed by name in one place.

The maker's closing rule (records-and-reports.md §0.2, issue 14 item 8): the customer feedback
handling form with the proposed solution, approved by the QA manager; no open containment action
(and containment done at all: it applies to every complaint); an approved report; every claim
settled or rejected; every returned unit in a final status. A major complaint must also have
closed its emergency path (``results.major``). ``results.workflow`` calls ``closure_blockers``
before CLOSED, so the CLI, the API and any other caller meet the same list.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.claims import FINAL_CLAIM_STATUSES
from results.containment import containment_blocker_messages
from results.containment_models import Claim, FeedbackForm
from results.major import closure_blocker_messages as major_blockers
from results.major import major_for
from results.messages import CODE_SEPARATOR, Message, texts
from results.models import FINAL_UNIT_STATUSES, Report, ReportStatus, ReturnedUnit

FINAL_NAMES = CODE_SEPARATOR.join(sorted(s.value for s in FINAL_UNIT_STATUSES))


def _feedback(session: Session, complaint_id: int) -> list[Message]:
    form = session.scalars(
        select(FeedbackForm).where(FeedbackForm.complaint_id == complaint_id)
    ).one_or_none()
    if form is None:
        return [
            Message(
                "closure.feedback_missing",
                "customer feedback handling form: not written (proposed solution)",
            )
        ]
    if form.approved_by is None:
        return [
            Message(
                "closure.feedback_unapproved",
                "customer feedback handling form: not approved by the QA manager",
            )
        ]
    return []


def _report(session: Session, complaint_id: int) -> list[Message]:
    approved = session.scalars(
        select(Report.id).where(
            Report.complaint_id == complaint_id, Report.status == ReportStatus.APPROVED.value
        )
    ).first()
    if approved is not None:
        return []
    return [Message("closure.report_missing", "report: no approved report")]


def _claims(session: Session, complaint_id: int) -> list[Message]:
    rows = session.scalars(
        select(Claim)
        .where(
            Claim.complaint_id == complaint_id,
            Claim.status.not_in([s.value for s in FINAL_CLAIM_STATUSES]),
        )
        .order_by(Claim.id)
    )
    return [
        Message(
            "closure.claim_open",
            f"claim {c.id} (RMB {c.amount_rmb}) is {c.status}: settle or reject it",
            {"id": c.id, "amount": c.amount_rmb, "status": c.status},
            {"status": "claim_status"},
        )
        for c in rows
    ]


def _units(session: Session, complaint_id: int) -> list[Message]:
    finals = [s.value for s in FINAL_UNIT_STATUSES]
    rows = session.scalars(
        select(ReturnedUnit)
        .where(ReturnedUnit.complaint_id == complaint_id, ReturnedUnit.status.not_in(finals))
        .order_by(ReturnedUnit.serial)
    )
    return [
        Message(
            "closure.unit_open",
            f"unit {u.serial} is {u.status}: move it to a final status ({FINAL_NAMES})",
            {"serial": u.serial, "status": u.status, "finals": FINAL_NAMES},
            {"status": "unit_status", "finals": "unit_status"},
        )
        for u in rows
    ]


def _major(session: Session, complaint_id: int) -> list[Message]:
    major = major_for(session, complaint_id)
    if major is None or major.closed_at is not None:
        return []
    blockers = major_blockers(session, major) or [
        Message("major_blocker.not_closed", "the major record is not closed")
    ]
    return [Message("closure.major", f"major complaint: {b}", {"detail": b}) for b in blockers] + [
        Message(
            "closure.major_close",
            "major complaint: close it with results.major.close_major",
        )
    ]


def closure_blockers(session: Session, complaint_id: int) -> list[str]:
    """Every reason the complaint may not close yet, each naming what is missing (empty: it may)."""
    return texts(closure_blocker_messages(session, complaint_id))


def closure_blocker_messages(session: Session, complaint_id: int) -> list[Message]:
    """``closure_blockers`` with the key and values a page translates each reason by."""
    return [
        *_feedback(session, complaint_id),
        *containment_blocker_messages(session, complaint_id),
        *_report(session, complaint_id),
        *_claims(session, complaint_id),
        *_units(session, complaint_id),
        *_major(session, complaint_id),
    ]
