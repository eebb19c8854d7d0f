"""8D authoring: versions of a complaint's 8D, drafted, edited, signed and amended.

The same pattern as report versions (``results.reports.approval``): a draft is edited in place;
a signature records who, when and what it means, bound to the SHA-256 of the content it signs;
the ``approved`` signature freezes the version (database triggers of migration 0012 refuse any
later change) and a change after that is a new version that names the old one and says why. The
author of a version may not approve it (separation of duties, as for reports). Every change
writes an audit event; every refusal happens before the first write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.eightd_form import EightDForm
from results.eightd_models import EightDRecord, EightDSignature, EightDVersion
from results.errors import NotFound, ResultsError, ValidationError
from results.models import Complaint
from results.reports.eightd import validate_eightd
from results.reports.model import EightD, from_plain, to_plain

DRAFT = "draft"
SIGNED = "signed"
MEANINGS = ("authored", "reviewed", "approved")


class EightDStateError(ResultsError):
    """The step does not fit the version's state (edit a signed one, approve your own, ...);
    the message says what to do instead. Nothing was written."""


class SeparationOfDuties(EightDStateError):
    """The author of a version tried to approve it."""


@dataclass(frozen=True, slots=True)
class EightDView:
    """One version as the CLI and the API show it."""

    complaint_id: int
    version: int
    status: str
    content: EightD
    content_sha256: str
    created_by: str
    amended_from_version: int | None
    amend_reason: str
    signatures: tuple[dict[str, str], ...]


def _canonical(record: EightD) -> str:
    return json.dumps(to_plain(record), sort_keys=True, ensure_ascii=False)


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _complaint(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return complaint


def _latest(session: Session, complaint_id: int, *, lock: bool = False) -> EightDVersion | None:
    query = (
        select(EightDVersion)
        .where(EightDVersion.complaint_id == complaint_id)
        .order_by(EightDVersion.version.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def _version(session: Session, complaint_id: int, version: int | None) -> EightDVersion:
    if version is None:
        row = _latest(session, complaint_id, lock=True)
    else:
        row = session.scalars(
            select(EightDVersion)
            .where(EightDVersion.complaint_id == complaint_id, EightDVersion.version == version)
            .with_for_update()
        ).first()
    if row is None:
        raise NotFound("8D version", f"{complaint_id}/{version or 'latest'}")
    return row


def _content(row: EightDVersion | EightDRecord) -> EightD:
    record = from_plain(EightD, json.loads(row.content_json))
    assert isinstance(record, EightD)
    return record


def draft(
    session: Session,
    complaint_id: int,
    form: EightDForm,
    *,
    actor: str,
    now: datetime | None = None,
) -> EightDVersion:
    """Version 1 of the complaint's 8D, a draft. Refused when one exists (edit or amend it)."""
    _complaint(session, complaint_id)
    if _latest(session, complaint_id) is not None:
        raise EightDStateError(
            f"complaint {complaint_id} already has an 8D; edit its draft or amend the signed one"
        )
    clean = validate_eightd(session, complaint_id, form.to_record())
    return _store(session, complaint_id, clean, 1, actor=actor, now=now, amends=None, reason="")


def _store(
    session: Session,
    complaint_id: int,
    record: EightD,
    number: int,
    *,
    actor: str,
    now: datetime | None,
    amends: EightDVersion | None,
    reason: str,
) -> EightDVersion:
    at = now or datetime.now(UTC)
    content = _canonical(record)
    row = EightDVersion(
        complaint_id=complaint_id,
        version=number,
        status=DRAFT,
        content_json=content,
        content_sha256=_sha(content),
        created_at=at,
        created_by=actor,
        updated_at=at,
        updated_by=actor,
        amended_from=None if amends is None else amends.id,
        amend_reason=reason,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="eightd.amended" if amends else "eightd.drafted",
        entity_type="eightd",
        entity_id=complaint_id,
        after={"version": number, "content_sha256": row.content_sha256},
        reason=reason,
    )
    return row


def edit(
    session: Session,
    complaint_id: int,
    form: EightDForm,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> EightDVersion:
    """Replace the content of the latest version while it is a draft (audited before/after)."""
    _complaint(session, complaint_id)
    clean = validate_eightd(session, complaint_id, form.to_record())
    row = _version(session, complaint_id, None)
    if row.status != DRAFT:
        raise EightDStateError(
            f"8D version {row.version} of complaint {complaint_id} is signed and immutable; "
            "amend it with a reason"
        )
    before = {"version": row.version, "content": json.loads(row.content_json)}
    content = _canonical(clean)
    row.content_json = content
    row.content_sha256 = _sha(content)
    row.updated_at = now or datetime.now(UTC)
    row.updated_by = actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="eightd.edited",
        entity_type="eightd",
        entity_id=complaint_id,
        before=before,
        after={"version": row.version, "content": json.loads(content)},
        reason=reason,
    )
    return row


def sign(
    session: Session,
    complaint_id: int,
    *,
    signer: str,
    printed_name: str,
    meaning: str,
    version: int | None = None,
    now: datetime | None = None,
) -> EightDSignature:
    """Sign a draft version; ``approved`` freezes it. The author may not approve it."""
    if meaning not in MEANINGS:
        raise ValidationError("meaning", f"unknown meaning {meaning!r}", f"use one of {MEANINGS}")
    if not printed_name.strip():
        raise ValidationError("printed_name", "empty", "give the signer's printed name")
    row = _version(session, complaint_id, version)
    if row.status != DRAFT:
        raise EightDStateError(
            f"8D version {row.version} of complaint {complaint_id} is already approved; "
            "amend it to sign a new version"
        )
    if meaning == "approved" and signer in (row.created_by, row.updated_by):
        raise SeparationOfDuties(
            f"{signer} wrote 8D version {row.version} and may not approve it "
            "(separation of duties); another person must approve"
        )
    at = now or datetime.now(UTC)
    signature = EightDSignature(
        version_id=row.id,
        signer=signer,
        printed_name=printed_name.strip(),
        meaning=meaning,
        signed_at=at,
        content_sha256=row.content_sha256,
    )
    session.add(signature)
    if meaning == "approved":
        row.status = SIGNED
    session.flush()
    audit.record(
        session,
        actor=signer,
        action="eightd.signed",
        entity_type="eightd",
        entity_id=complaint_id,
        after={
            "version": row.version,
            "meaning": meaning,
            "printed_name": signature.printed_name,
            "content_sha256": row.content_sha256,
        },
    )
    return signature


def amend(
    session: Session,
    complaint_id: int,
    *,
    actor: str,
    reason: str,
    form: EightDForm | None = None,
    now: datetime | None = None,
) -> EightDVersion:
    """A new draft version after the approved latest one, with its reason (content copied from
    the approved version unless ``form`` is given)."""
    if not reason.strip():
        raise ValidationError("reason", "an amendment needs a reason", "say what changes and why")
    _complaint(session, complaint_id)
    clean = None if form is None else validate_eightd(session, complaint_id, form.to_record())
    latest = _version(session, complaint_id, None)
    if latest.status != SIGNED:
        raise EightDStateError(
            f"8D version {latest.version} of complaint {complaint_id} is a draft; edit it instead"
        )
    record = _content(latest) if clean is None else clean
    return _store(
        session,
        complaint_id,
        record,
        latest.version + 1,
        actor=actor,
        now=now,
        amends=latest,
        reason=reason.strip(),
    )


def view(session: Session, complaint_id: int, version: int | None = None) -> EightDView:
    """One version (latest by default) with its signatures; a signature whose hash no longer
    matches the content (the draft changed after it) is shown as ``stale``."""
    _complaint(session, complaint_id)
    row = _version(session, complaint_id, version)
    previous = None if row.amended_from is None else session.get(EightDVersion, row.amended_from)
    signatures = session.scalars(
        select(EightDSignature)
        .where(EightDSignature.version_id == row.id)
        .order_by(EightDSignature.id)
    ).all()
    return EightDView(
        complaint_id=complaint_id,
        version=row.version,
        status=row.status,
        content=_content(row),
        content_sha256=row.content_sha256,
        created_by=row.created_by,
        amended_from_version=None if previous is None else previous.version,
        amend_reason=row.amend_reason,
        signatures=tuple(
            {
                "signer": s.signer,
                "printed_name": s.printed_name,
                "meaning": s.meaning,
                "signed_at": s.signed_at.isoformat(),
                "valid": "yes" if s.content_sha256 == row.content_sha256 else "stale",
            }
            for s in signatures
        ),
    )


def for_report(session: Session, complaint_id: int) -> tuple[EightD | None, bool]:
    """The 8D a report shows and whether it is a draft: the latest signed version, else the
    latest draft, else the 8D saved before versions existed (shown as it always was)."""
    signed = session.scalars(
        select(EightDVersion)
        .where(EightDVersion.complaint_id == complaint_id, EightDVersion.status == SIGNED)
        .order_by(EightDVersion.version.desc())
        .limit(1)
    ).first()
    if signed is not None:
        return _content(signed), False
    latest = _latest(session, complaint_id)
    if latest is not None:
        return _content(latest), True
    return _legacy_record(session, complaint_id), False


def _legacy_record(session: Session, complaint_id: int) -> EightD | None:
    """The 8D saved as one ``eightd_record`` row before versions existed (migration 0012 made
    each such row version 1; a row written by the old save after that is still shown). Only
    this API reads the old table; nothing writes it any more."""
    row = session.scalars(
        select(EightDRecord).where(EightDRecord.complaint_id == complaint_id)
    ).one_or_none()
    return None if row is None else _content(row)
