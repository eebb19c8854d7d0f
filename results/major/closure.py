"""Closing a major complaint only when its record is complete, and stopping the ordinary workflow
from closing the complaint around this path.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.attachments import EvidenceStore
from results.containment_models import ContainmentAction
from results.errors import InvalidTransition
from results.major.ledger import audit_row, checked_actor, get_major, major_for
from results.manual_models import (
    EmergencyMeeting,
    MajorComplaint,
    SupplierNotification,
)
from results.messages import Message, texts
from results.models import Attachment, Complaint

SUPPLIER_WORDS = ("supplier", "vendor", "供应商", "供方")
"""Words that put a supplier in the emergency path. The records hold no supplier field (a
decision is free text), so a decision or containment that names a supplier action is how the
plant says one is involved; then the manual's "records ... the supplier notification" holds."""


def supplier_involved(session: Session, major: MajorComplaint) -> str | None:
    """The first meeting decision or containment text naming a supplier, else ``None``."""
    texts: list[str] = []
    for meeting in session.scalars(
        select(EmergencyMeeting).where(EmergencyMeeting.major_id == major.id)
    ):
        texts += [f"{d.get('text', '')} ({d.get('owner', '')})" for d in meeting.decisions]
    for location, description in session.execute(
        select(ContainmentAction.location, ContainmentAction.description).where(
            ContainmentAction.complaint_id == major.complaint_id
        )
    ):
        texts += [location, description]
    for text in texts:
        if any(word in text.casefold() for word in SUPPLIER_WORDS):
            return text
    return None


def closure_blockers(
    session: Session, major: MajorComplaint, store: EvidenceStore | None = None
) -> list[str]:
    """What is still missing before the major complaint may close (empty: it may)."""
    return texts(closure_blocker_messages(session, major, store))


def closure_blocker_messages(
    session: Session, major: MajorComplaint, store: EvidenceStore | None = None
) -> list[Message]:
    """``closure_blockers`` with the key and values a page translates each one by.

    The supplier notification is required only when a supplier is involved (see
    ``supplier_involved``): a leak caused by the customer's charger has no supplier to tell, and
    demanding one would push QA into recording a notification that never happened.
    """
    missing: list[Message] = []
    if not session.scalars(
        select(ContainmentAction.id).where(ContainmentAction.complaint_id == major.complaint_id)
    ).first():
        missing.append(
            Message(
                "major_blocker.no_containment",
                "no containment record (stock frozen, production hold)",
            )
        )
    if not session.scalars(
        select(EmergencyMeeting.id).where(EmergencyMeeting.major_id == major.id)
    ).first():
        missing.append(
            Message("major_blocker.no_meeting", "no emergency meeting decisions recorded")
        )
    involving = supplier_involved(session, major)
    if (
        involving is not None
        and not session.scalars(
            select(SupplierNotification.id).where(SupplierNotification.major_id == major.id)
        ).first()
    ):
        missing.append(
            Message(
                "major_blocker.no_supplier_notice",
                f"the supplier notification is not recorded, though {involving!r} names a supplier",
                {"involving": repr(involving)},
            )
        )
    if major.acceptance_attachment_id is None:
        missing.append(
            Message(
                "major_blocker.no_acceptance", "the customer's written acceptance is not attached"
            )
        )
    elif store is not None:
        accepted = session.get(Attachment, major.acceptance_attachment_id)
        problem = store.check(accepted.sha256) if accepted else "row missing"
        if problem is not None:
            missing.append(
                Message(
                    "major_blocker.acceptance_broken",
                    f"the acceptance document is not intact: {problem}",
                    {"problem": problem},
                )
            )
    return missing


def close_major(
    session: Session,
    major_id: int,
    *,
    actor: str,
    store: EvidenceStore,
    at: datetime | None = None,
) -> MajorComplaint:
    actor = checked_actor(actor)
    major = get_major(session, major_id)
    entity = f"major complaint {major_id}"
    if major.closed_at is not None:
        raise InvalidTransition(entity, "closed", "closed", (), "already closed")
    blockers = closure_blockers(session, major, store)
    if blockers:
        raise InvalidTransition(
            entity, "open", "closed", ("closed",), "; ".join(blockers) + "; complete them first"
        )
    major.closed_at = at or datetime.now(UTC)
    major.closed_by = actor
    session.flush()
    audit_row(session, actor, "major.closed", major)
    return major


def guard_complaint_closure(session: Session, complaint_id: int) -> None:
    """For ``results.workflow.transition`` before CLOSED: a major complaint closes via this path.

    Call site (one line, in the CLOSED branch): ``major.guard_complaint_closure(session, id)``.
    """
    major = major_for(session, complaint_id)
    if major is None or major.closed_at is not None:
        return
    complaint = session.get(Complaint, complaint_id)
    status = complaint.status if complaint else "?"
    number = complaint.number if complaint else str(complaint_id)
    blockers = closure_blockers(session, major) or ["the major record is not closed"]
    raise InvalidTransition(
        f"complaint {number}",
        status,
        "closed",
        (),
        "major complaint: " + "; ".join(blockers) + "; close it with results.major.close_major",
    )
