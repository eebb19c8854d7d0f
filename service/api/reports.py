"""Report versions (create, refresh, sign, approve, amend, render) and Pareto analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from results.complaints import get_complaint
from results.eightd_models import ReportSignature
from results.errors import NotFound
from results.models import Report
from results.reports.analytics import Dimension, Filters, pareto
from results.reports.approval import amend, create_report, refresh_draft, report_data
from service.api.body import ApiBody
from service.api.params import RowId
from service.approvals import sign_as
from service.auth import QaUser, Reader, Writer, store_of
from service.errors import BadInput
from service.report_files import render_report as render_file
from service.report_files import report_response
from service.views import iso

router = APIRouter(prefix="/api", tags=["reports"])
Reason = Annotated[str, Field(max_length=4000)]


class ReportIn(ApiBody):
    locale: Annotated[str, Field(max_length=16)] = "en"


class SignIn(ApiBody):
    meaning: Literal["authored", "reviewed"]


class AmendIn(ApiBody):
    reason: Reason


class RefreshIn(ApiBody):
    reason: Reason = ""


def report_dict(session: Any, r: Report) -> dict[str, Any]:
    signatures = session.scalars(
        select(ReportSignature)
        .where(ReportSignature.report_id == r.id)
        .order_by(ReportSignature.id)
    )
    return {
        "id": r.id,
        "complaint_id": r.complaint_id,
        "report_no": r.filename.removesuffix(".pdf").removesuffix(f"-v{r.version}-{r.language}"),
        "filename": r.filename,
        "version": r.version,
        "language": r.language,
        "status": r.status,
        "content_hash": r.content_hash,
        "created_at": iso(r.created_at),
        "created_by": r.created_by,
        "approved_by": r.approved_by,
        "approved_at": iso(r.approved_at),
        "amended_from": r.amended_from,
        "signatures": [
            {
                "signer": s.signer,
                "printed_name": s.printed_name,
                "meaning": s.meaning,
                "signed_at": iso(s.signed_at),
                "content_sha256": s.content_sha256,
            }
            for s in signatures
        ],
        "html": f"/api/reports/{r.id}/html",
        "pdf": f"/api/reports/{r.id}/pdf",
    }


def _get(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("report", report_id)
    return report


@router.post("/complaints/{number}/reports", status_code=201)
def new_report(number: str, body: ReportIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        report = create_report(session, complaint.id, locale=body.locale, actor=who.name)
        return report_dict(session, report)


@router.get("/complaints/{number}/reports")
def list_reports(number: str, request: Request, who: Reader) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        rows = session.scalars(
            select(Report).where(Report.complaint_id == complaint.id).order_by(Report.id)
        )
        return [report_dict(session, r) for r in rows]


@router.get("/reports/{report_id}")
def show_report(report_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return report_dict(session, _get(session, report_id))


@router.get("/reports/{report_id}/{kind}", response_class=Response)
def render_report(
    report_id: RowId,
    kind: Literal["html", "pdf"],
    request: Request,
    who: Reader,
) -> Response:
    with store_of(request).sessions() as session:
        report = _get(session, report_id)
        report_data(session, report_id)  # 404 before rendering when the content is missing
        body = render_file(store_of(request), session, report_id, kind)
    return report_response(body, kind, report.filename.removesuffix(".pdf"))


@router.post("/reports/{report_id}/refresh")
def refresh_report(
    report_id: RowId, body: RefreshIn, request: Request, who: Writer
) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        report = refresh_draft(session, report_id, actor=who.name, reason=body.reason)
        return report_dict(session, report)


@router.post("/reports/{report_id}/sign")
def sign_report(report_id: RowId, body: SignIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        sign_as(session, report_id, who, body.meaning)
        return report_dict(session, _get(session, report_id))


@router.post("/reports/{report_id}/approve")
def approve_report(report_id: RowId, request: Request, who: QaUser) -> dict[str, Any]:
    """Approve (QA only). The report's author gets 403: separation of duties is about who."""
    with store_of(request).sessions.begin() as session:
        sign_as(session, report_id, who, "approved")
        return report_dict(session, _get(session, report_id))


@router.post("/reports/{report_id}/amend", status_code=201)
def amend_report(report_id: RowId, body: AmendIn, request: Request, who: QaUser) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        report = amend(session, report_id, actor=who.name, reason=body.reason)
        return report_dict(session, report)


@router.get("/analytics/pareto")
def pareto_chart(
    request: Request,
    who: Reader,
    dimension: Dimension = "symptom",
    product_model: str | None = None,
    lot: str | None = None,
    customer: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> list[dict[str, Any]]:
    for label, value in (("received_from", received_from), ("received_to", received_to)):
        if value is not None and value.tzinfo is None:
            raise BadInput(
                f"{label} has no time zone; give it in UTC, e.g. 2026-03-01T00:00:00Z",
                field=label,
            )
    filters = Filters(
        product_model=product_model,
        lot=lot,
        customer=customer,
        received_from=received_from,
        received_to=received_to,
    )
    with store_of(request).sessions() as session:
        rows = pareto(session, dimension, filters)
    return [
        {
            "category": r.category,
            "count": r.count,
            "percent": r.percent,
            "cumulative_percent": r.cumulative_percent,
        }
        for r in rows
    ]
