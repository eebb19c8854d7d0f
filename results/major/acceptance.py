"""The customer's written acceptance, the last thing a major complaint needs before it closes.

Only a signed letter counts (a PDF or a scan/photo), and it is kept content-addressed, so the
closure can later prove the letter it relied on is the one still on file.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.attachments import JPEG, PDF, PNG, EvidenceStore, attach
from results.errors import InvalidTransition, NotFound, ValidationError
from results.major.ledger import audit_row, checked_actor, get_major, row_values
from results.manual_models import (
    MajorComplaint,
)
from results.models import Attachment, Complaint, Run

ACCEPTANCE_TYPES = (PDF, PNG, JPEG)
"""A signed letter, scanned or photographed: an e-mail body typed in here is not acceptance."""


def attach_acceptance(
    session: Session,
    store: EvidenceStore,
    major_id: int,
    data: bytes,
    *,
    name: str,
    actor: str,
) -> Attachment:
    """The customer's written acceptance, kept content-addressed and linked to the complaint."""
    actor = checked_actor(actor)
    major = get_major(session, major_id)
    if major.closed_at is not None:
        raise ValidationError("acceptance", "the major complaint is closed", "nothing to attach")
    media = store.validate(data, name=name).media_type
    if media not in ACCEPTANCE_TYPES:
        raise ValidationError(
            "acceptance",
            f"{name} is {media}",
            "attach the signed letter as PDF or a scan/photo (PNG, JPEG)",
        )
    row = attach(
        session,
        store,
        data,
        name=name,
        actor=actor,
        complaint_id=major.complaint_id,
        reason="customer's written acceptance of a major complaint",
    )
    major.acceptance_attachment_id = row.id
    session.flush()
    audit_row(session, actor, "major.acceptance", major)
    return row


def link_acceptance(
    session: Session,
    store: EvidenceStore,
    major_id: int,
    attachment: int | str,
    *,
    actor: str,
) -> Attachment:
    """Point the major record at a letter already stored with its complaint.

    ``attachment`` is the row id or the content hash. The letter usually arrives through the
    ordinary upload path (size limit, content typing, hash), so this refers to that row instead
    of storing the bytes a second time as ``attach_acceptance`` (bytes in) would. A file of one
    of the complaint's runs counts too: a photo of the signed letter taken at the bench.
    """
    actor = checked_actor(actor)
    major = get_major(session, major_id)
    if major.closed_at is not None:
        raise InvalidTransition(
            f"major complaint {major.id}", "closed", "closed", (), "closed: nothing to attach"
        )
    query = select(Attachment).outerjoin(Run, Run.id == Attachment.run_id)
    query = query.where(
        (Attachment.complaint_id == major.complaint_id) | (Run.complaint_id == major.complaint_id)
    )
    if isinstance(attachment, int) and not isinstance(attachment, bool):
        query = query.where(Attachment.id == attachment)
    elif isinstance(attachment, str) and attachment.strip():
        query = query.where(Attachment.sha256 == attachment.strip().lower())
    else:
        raise ValidationError(
            "acceptance", f"{attachment!r} is neither an id nor a hash", "give the file's SHA-256"
        )
    row = session.scalars(query.order_by(Attachment.id)).first()
    if row is None:
        complaint = session.get(Complaint, major.complaint_id)
        number = complaint.number if complaint else str(major.complaint_id)
        raise NotFound(f"attachment of complaint {number}", str(attachment))
    if row.media_type not in ACCEPTANCE_TYPES:
        raise ValidationError(
            "acceptance",
            f"{row.original_name} is {row.media_type}",
            "upload the signed letter as PDF or a scan/photo (PNG, JPEG), then link that file",
        )
    problem = store.check(row.sha256)
    if problem is not None:
        raise ValidationError("acceptance", f"{row.original_name}: {problem}", "upload it again")
    before = row_values(major)
    major.acceptance_attachment_id = row.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="major.acceptance",
        entity_type=MajorComplaint.__tablename__,
        entity_id=major.id,
        before=before,
        after=row_values(major),
        reason=f"customer's written acceptance: {row.original_name}",
    )
    return row
