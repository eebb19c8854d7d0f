"""Stored outgoing inspection reports (出货检验报告): freeze, list, fetch, render and approve.

The approval path is the analysis report's: QA approves, and the user who froze the version gets
403 (separation of duties is about who, as ``service.approvals`` answers for analysis reports);
an approved version is final (409). The rules live in ``results.reports.outgoing_approval``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.orm import Session

from results.complaints import get_complaint
from results.models import Complaint
from results.outgoing_models import OutgoingReport
from results.reports.errors import ApprovalError
from results.reports.outgoing_approval import (
    approve_outgoing_report,
    create_outgoing_report,
    get_outgoing_report,
    outgoing_reports_of,
    render_stored_outgoing,
)
from service.api.body import ApiBody
from service.api.params import RowId
from service.auth import QaUser, Reader, Writer, store_of
from service.errors import Forbidden
from service.report_files import report_response
from service.views import iso

router = APIRouter(prefix="/api", tags=["outgoing inspection reports"])


class OutgoingIn(ApiBody):
    serial: Annotated[str, Field(min_length=1, max_length=100)]
    locale: Annotated[str, Field(max_length=16)] = "en"


def outgoing_dict(row: OutgoingReport, number: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "complaint": number,
        "report_no": row.report_no,
        "run_id": row.run_id,
        "language": row.language,
        "decision": row.decision,
        "status": row.status,
        "content_hash": row.content_hash,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "approved_by": row.approved_by,
        "approved_at": iso(row.approved_at),
        "html": f"/api/outgoing-reports/{row.id}/html",
        "pdf": f"/api/outgoing-reports/{row.id}/pdf",
    }


def _shown(session: Session, row: OutgoingReport) -> dict[str, Any]:
    complaint = session.get(Complaint, row.complaint_id)
    assert complaint is not None  # foreign key
    return outgoing_dict(row, complaint.number)


@router.post("/complaints/{number}/outgoing-reports", status_code=201)
def new_outgoing(number: str, body: OutgoingIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = create_outgoing_report(
            session, number, body.serial, locale=body.locale, actor=who.name
        )
        return outgoing_dict(row, number)


@router.get("/complaints/{number}/outgoing-reports")
def list_outgoing(number: str, request: Request, who: Reader) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        return [outgoing_dict(r, number) for r in outgoing_reports_of(session, complaint.id)]


@router.get("/outgoing-reports/{report_id}")
def show_outgoing(report_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return _shown(session, get_outgoing_report(session, report_id))


@router.get("/outgoing-reports/{report_id}/{kind}", response_class=Response)
def render_outgoing(
    report_id: RowId, kind: Literal["html", "pdf"], request: Request, who: Reader
) -> Response:
    with store_of(request).sessions() as session:
        row = get_outgoing_report(session, report_id)
        body = render_stored_outgoing(row, kind)
    return report_response(body, kind, row.report_no)


@router.post("/outgoing-reports/{report_id}/approve")
def approve_outgoing(report_id: RowId, request: Request, who: QaUser) -> dict[str, Any]:
    """Approve (QA only); the user who froze this version gets 403."""
    with store_of(request).sessions.begin() as session:
        try:
            row = approve_outgoing_report(
                session, report_id, signer=who.name, printed_name=who.printed_name
            )
        except ApprovalError as exc:
            if get_outgoing_report(session, report_id).created_by == who.name:
                raise Forbidden(str(exc)) from exc
            raise
        return _shown(session, row)
