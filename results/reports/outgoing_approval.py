"""Stored versions of the outgoing inspection report and their approval by a second user.

The same rule as the analysis report (``results.reports.approval``): a version freezes its
content when created and binds it to a SHA-256; the approval signs that hash; the user who
created the version may not approve it (separation of duties); an approved version never
changes (a new inspection run gives a new version). Every change is audited with the row's
whole state (``results.record_fields.audit_row``), so ``verify`` catches a row edited behind the
store's back.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.complaints import get_complaint
from results.errors import NotFound
from results.outgoing_models import OutgoingReport
from results.record_fields import audit_row, checked_actor
from results.reports.errors import ApprovalError, ImmutableReportError
from results.reports.labels import catalogue
from results.reports.model import Signature, canonical_json, report_from_json
from results.reports.outgoing import (
    OutgoingReportData,
    assemble_outgoing,
    decision_of,
    render_outgoing_html,
    render_outgoing_pdf,
)

DRAFT, APPROVED = "draft", "approved"


def create_outgoing_report(
    session: Session,
    complaint_number: str,
    serial: str,
    *,
    locale: str,
    actor: str,
    now: datetime | None = None,
) -> OutgoingReport:
    """Freeze the report of the unit's latest valid outgoing run as a draft version.

    Refused (naming the existing version) when that run already has one in ``locale``: a
    version is never re-frozen; a new inspection run makes the next one.
    """
    actor = checked_actor(actor)
    catalogue(locale)  # unknown language: fail before anything is written
    complaint = get_complaint(session, complaint_number)
    now = now or datetime.now(UTC)
    data = assemble_outgoing(session, complaint.id, serial, locale=locale, issued_at=now)
    run_id = int(data.run.run_id)
    existing = session.scalars(
        select(OutgoingReport).where(
            OutgoingReport.run_id == run_id, OutgoingReport.language == locale
        )
    ).one_or_none()
    if existing is not None:
        raise ApprovalError(
            f"run {data.run.run_id} of unit {serial} already has outgoing report {existing.id} "
            f"({existing.status}) in {locale}; approve that one, or inspect the unit again for "
            "a new version"
        )
    content = canonical_json(data.as_report_data())
    unit = next(u for u in complaint.units if u.serial == serial)
    row = OutgoingReport(
        complaint_id=complaint.id,
        unit_id=unit.id,
        run_id=run_id,
        language=locale,
        report_no=data.report_no,
        decision=decision_of(data.run).value,
        status=DRAFT,
        unit_status=data.unit_status,
        content_json=content.decode(),
        content_hash=hashlib.sha256(content).hexdigest(),
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit_row(session, actor, "outgoing_report.created", row, f"outgoing report {row.report_no}")
    return row


def get_outgoing_report(session: Session, report_id: int, *, lock: bool = False) -> OutgoingReport:
    row = session.get(OutgoingReport, report_id, with_for_update=lock)
    if row is None:
        raise NotFound("outgoing report", report_id)
    return row


def approve_outgoing_report(
    session: Session,
    report_id: int,
    *,
    signer: str,
    printed_name: str,
    now: datetime | None = None,
) -> OutgoingReport:
    """The second user's approval of the frozen content (never its creator's)."""
    signer = checked_actor(signer)
    if not printed_name.strip():
        raise ApprovalError("a signature needs the signer's printed name (21 CFR 11.50)")
    row = get_outgoing_report(session, report_id, lock=True)
    if row.status == APPROVED:
        raise ImmutableReportError(row.report_no, 1)
    if signer == row.created_by:
        raise ApprovalError(
            f"{signer} created outgoing report {row.id} and cannot approve it; another QA "
            "engineer must approve (separation of duties)"
        )
    if hashlib.sha256(row.content_json.encode()).hexdigest() != row.content_hash:
        raise ApprovalError(
            f"outgoing report {row.id}: the stored content does not match its hash; run "
            "`packbench verify` before anyone signs it"
        )
    row.status = APPROVED
    row.approved_by = signer
    row.approved_printed_name = printed_name.strip()
    row.approved_at = now or datetime.now(UTC)
    session.flush()
    audit_row(session, signer, "outgoing_report.approved", row, f"outgoing report {row.report_no}")
    return row


def outgoing_reports_of(session: Session, complaint_id: int) -> list[OutgoingReport]:
    return list(
        session.scalars(
            select(OutgoingReport)
            .where(OutgoingReport.complaint_id == complaint_id)
            .order_by(OutgoingReport.id)
        )
    )


def stored_outgoing_data(row: OutgoingReport) -> OutgoingReportData:
    """The frozen content with its approval, as the renderers take it."""
    frozen = report_from_json(row.content_json)
    signatures: tuple[Signature, ...] = ()
    if row.approved_at is not None and row.approved_printed_name is not None:
        signatures = (
            Signature(row.approved_printed_name, "approved", row.approved_at, row.content_hash),
        )
    assert frozen.issued_at is not None  # frozen from assemble_outgoing, which sets it
    return OutgoingReportData(
        report_no=frozen.report_no,
        locale=frozen.locale,
        complaint=frozen.complaint,
        unit=frozen.units[0],
        unit_status=row.unit_status,
        issued_at=frozen.issued_at,
        signatures=signatures,
    )


def render_stored_outgoing(row: OutgoingReport, kind: Literal["html", "pdf"]) -> bytes:
    data = stored_outgoing_data(row)
    if kind == "pdf":
        return render_outgoing_pdf(data)
    return render_outgoing_html(data).encode()
