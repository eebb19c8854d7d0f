"""Report versions, signatures and amendments (Frappe's submit/amend pattern, 21 CFR 11.50/11.70).

A report version freezes its content when created. Signing records who, when and what it means,
bound to the content hash; the ``approved`` signature locks the version for good (also enforced
by database triggers). A change after approval is a new version that references the old one and
says why (ISO/IEC 17025 7.8.8). The author of a version may not approve it. Every action is
appended to the audit chain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from results import audit
from results.eightd_models import ReportContent, ReportSignature
from results.errors import NotFound, ValidationError
from results.models import Complaint, Report, ReportStatus
from results.reports.annex import EvidenceReader, photos
from results.reports.assemble import assemble_report
from results.reports.errors import ApprovalError, ImmutableReportError
from results.reports.html import render_html
from results.reports.labels import catalogue
from results.reports.model import (
    AmendmentRef,
    ReportData,
    Signature,
    canonical_json,
    content_sha256,
    report_file_name,
    report_from_json,
)
from results.reports.pdf import render_pdf

MEANINGS = ("authored", "reviewed", "approved")


def _report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise NotFound("report", report_id)
    return report


def _next_version(session: Session, complaint_id: int, locale: str) -> int:
    latest = session.scalar(
        select(func.max(Report.version)).where(
            Report.complaint_id == complaint_id, Report.language == locale
        )
    )
    return (latest or 0) + 1


def _store(
    session: Session,
    complaint_id: int,
    data: ReportData,
    *,
    actor: str,
    now: datetime,
    amended_from: int | None,
) -> Report:
    report = Report(
        complaint_id=complaint_id,
        version=data.version,
        language=data.locale,
        status=ReportStatus.DRAFT.value,
        filename=report_file_name(data.report_no, data.locale, "pdf", data.version),
        content_hash=content_sha256(data),
        created_at=now,
        created_by=actor,
        amended_from=amended_from,
    )
    session.add(report)
    session.flush()
    session.add(
        ReportContent(
            report_id=report.id,
            content_json=canonical_json(data).decode(),
            amend_reason="" if data.amends is None else data.amends.reason,
        )
    )
    session.flush()
    return report


def create_report(
    session: Session,
    complaint_id: int,
    *,
    locale: str,
    actor: str,
    now: datetime | None = None,
) -> Report:
    """A new draft version of the complaint's report in ``locale``, frozen from the store now."""
    catalogue(locale)  # unknown language: fail before anything is written
    if session.get(Complaint, complaint_id) is None:
        raise NotFound("complaint", complaint_id)
    now = now or datetime.now(UTC)
    version = _next_version(session, complaint_id, locale)
    data = assemble_report(session, complaint_id, locale=locale, issued_at=now, version=version)
    report = _store(session, complaint_id, data, actor=actor, now=now, amended_from=None)
    audit.record(
        session,
        actor=actor,
        action="report.created",
        entity_type="report",
        entity_id=report.id,
        after={"version": version, "language": locale, "content_hash": report.content_hash},
    )
    return report


def refresh_draft(session: Session, report_id: int, *, actor: str, reason: str = "") -> Report:
    """Re-read a draft from the store (new runs, corrected 8D); refused once approved."""
    report = _report(session, report_id)
    if report.status == ReportStatus.APPROVED.value:
        raise ImmutableReportError(str(report.id), report.version)
    content = session.get(ReportContent, report.id)
    assert content is not None
    old = report_from_json(content.content_json)
    data = assemble_report(
        session,
        report.complaint_id,
        locale=report.language,
        issued_at=report.created_at,
        version=report.version,
        amends=old.amends,
    )
    before = report.content_hash
    content.content_json = canonical_json(data).decode()
    report.content_hash = content_sha256(data)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="report.refreshed",
        entity_type="report",
        entity_id=report.id,
        before={"content_hash": before},
        after={"content_hash": report.content_hash},
        reason=reason,
    )
    return report


def sign(
    session: Session,
    report_id: int,
    *,
    signer: str,
    printed_name: str,
    meaning: str,
    now: datetime | None = None,
) -> ReportSignature:
    if meaning not in MEANINGS:
        raise ApprovalError(f"signature meaning {meaning!r} unknown; use one of {MEANINGS}")
    if not signer.strip() or not printed_name.strip():
        raise ApprovalError("a signature needs the signer's id and printed name (21 CFR 11.50)")
    report = _report(session, report_id)
    if report.status == ReportStatus.APPROVED.value:
        raise ImmutableReportError(str(report.id), report.version)
    existing = list(
        session.scalars(select(ReportSignature).where(ReportSignature.report_id == report.id))
    )
    if any(s.signer == signer and s.meaning == meaning for s in existing):
        raise ApprovalError(f"{signer} already signed report {report.id} as {meaning}")
    if meaning == "approved":
        authors = {report.created_by} | {s.signer for s in existing if s.meaning == "authored"}
        if signer in authors:
            raise ApprovalError(
                f"{signer} authored report {report.id} version {report.version} and cannot "
                f"approve it; another QA engineer must approve (separation of duties)"
            )
    now = now or datetime.now(UTC)
    assert report.content_hash is not None
    signature = ReportSignature(
        report_id=report.id,
        signer=signer,
        printed_name=printed_name,
        meaning=meaning,
        signed_at=now,
        content_sha256=report.content_hash,
    )
    session.add(signature)
    if meaning == "approved":
        report.status = ReportStatus.APPROVED.value
        report.approved_by = signer
        report.approved_at = now
    session.flush()
    audit.record(
        session,
        actor=signer,
        action=f"report.{meaning}",
        entity_type="report",
        entity_id=report.id,
        after={
            "printed_name": printed_name,
            "meaning": meaning,
            "signed_at": now,
            "content_hash": report.content_hash,
        },
    )
    return signature


def approve(
    session: Session, report_id: int, *, signer: str, printed_name: str, now: datetime | None = None
) -> ReportSignature:
    return sign(
        session, report_id, signer=signer, printed_name=printed_name, meaning="approved", now=now
    )


def amend(
    session: Session, report_id: int, *, actor: str, reason: str, now: datetime | None = None
) -> Report:
    """A new draft version that replaces an approved one, saying why; the old stays readable."""
    if not reason.strip():
        raise ValidationError("reason", "an amendment needs a reason", "say what changed and why")
    original = _report(session, report_id)
    if original.status != ReportStatus.APPROVED.value:
        raise ApprovalError(
            f"report {original.id} is still a draft; refresh it instead of amending"
        )
    old = report_data(session, original.id)
    now = now or datetime.now(UTC)
    version = _next_version(session, original.complaint_id, original.language)
    data = assemble_report(
        session,
        original.complaint_id,
        locale=original.language,
        issued_at=now,
        version=version,
        amends=AmendmentRef(old.report_no, original.version, reason),
    )
    report = _store(
        session, original.complaint_id, data, actor=actor, now=now, amended_from=original.id
    )
    audit.record(
        session,
        actor=actor,
        action="report.amended",
        entity_type="report",
        entity_id=report.id,
        after={"amends": original.id, "version": version, "content_hash": report.content_hash},
        reason=reason,
    )
    return report


def report_data(session: Session, report_id: int) -> ReportData:
    """The frozen content of a version with its signatures, oldest first."""
    content = session.get(ReportContent, report_id)
    if content is None:
        raise NotFound("report", report_id)
    signatures = tuple(
        Signature(s.printed_name, s.meaning, s.signed_at, s.content_sha256)
        for s in session.scalars(
            select(ReportSignature)
            .where(ReportSignature.report_id == report_id)
            .order_by(ReportSignature.signed_at, ReportSignature.id)
        )
    )
    return report_from_json(content.content_json, signatures)


def render(
    session: Session,
    report_id: int,
    kind: Literal["html", "pdf"],
    *,
    evidence: EvidenceReader | None = None,
) -> bytes:
    """The stored version as a file; with ``evidence`` (the evidence store) photos are embedded."""
    data = report_data(session, report_id)
    images = None if evidence is None else photos(data, evidence)
    if kind == "pdf":
        return render_pdf(data, images=images)
    return render_html(data, images=images).encode()


def latest_version(
    session: Session, complaint_id: int, locale: str, *, approved_only: bool = False
) -> Report | None:
    """The newest stored version of the complaint's report in ``locale`` (only approved ones if
    ``approved_only``): what the service shows is what ``packbench report`` writes."""
    query = select(Report).where(Report.complaint_id == complaint_id, Report.language == locale)
    if approved_only:
        query = query.where(Report.status == ReportStatus.APPROVED.value)
    return session.scalars(query.order_by(Report.version.desc()).limit(1)).first()
