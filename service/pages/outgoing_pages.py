"""Outgoing inspection reports (出货检验报告) on pages: a complaint's list, one report with its
versions and approval state, and approval.

Everything goes through the functions the API calls (``results.reports.outgoing_approval``):
approval by QA only, never by the user who froze the version (separation of duties), an
approved version final; the store writes the same audit rows whichever side asked.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from results.accounts import Principal, Role
from results.complaints import get_complaint
from results.models import Complaint, ReturnedUnit
from results.outgoing_models import OutgoingReport
from results.reports.errors import ApprovalError, ImmutableReportError
from results.reports.outgoing_approval import (
    APPROVED,
    approve_outgoing_report,
    get_outgoing_report,
    outgoing_reports_of,
    render_stored_outgoing,
)
from service.api.params import RowId
from service.auth import QA_ONLY, check_role, store_of
from service.pages.render import page, page_user
from service.pages.routes import posted_form
from service.report_files import report_response

router = APIRouter(include_in_schema=False)


def _serials(session: Session, rows: list[OutgoingReport]) -> dict[int, str]:
    ids = {r.unit_id for r in rows}
    if not ids:
        return {}
    units = session.scalars(select(ReturnedUnit).where(ReturnedUnit.id.in_(ids)))
    return {u.id: u.serial for u in units}


@router.get("/complaints/{number}/outgoing", response_class=HTMLResponse)
def outgoing_list(number: str, request: Request) -> HTMLResponse:
    user, token = page_user(request)
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        rows = outgoing_reports_of(session, complaint.id)
        return page(
            request,
            "outgoing.html",
            user=user,
            session_token=token,
            c=complaint,
            rows=rows,
            serials=_serials(session, rows),
        )


def _show(
    request: Request,
    user: Principal,
    token: str,
    report_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with store_of(request).sessions() as session:
        row = get_outgoing_report(session, report_id)
        complaint = session.get(Complaint, row.complaint_id)
        assert complaint is not None  # foreign key
        versions = [
            r for r in outgoing_reports_of(session, complaint.id) if r.unit_id == row.unit_id
        ]
        return page(
            request,
            "outgoing_report.html",
            user=user,
            session_token=token,
            status_code=status_code,
            c=complaint,
            row=row,
            versions=versions,
            serials=_serials(session, versions),
            can_approve=user.role is Role.QA and row.status != APPROVED,
            own=row.created_by == user.name,
            error=error,
            message=request.query_params.get("done"),
        )


@router.get("/outgoing/{report_id}", response_class=HTMLResponse)
def outgoing_page(report_id: RowId, request: Request) -> HTMLResponse:
    user, token = page_user(request)
    return _show(request, user, token, report_id)


@router.get("/outgoing/{report_id}/{kind}", response_class=Response)
def outgoing_document(report_id: RowId, kind: Literal["html", "pdf"], request: Request) -> Response:
    page_user(request)
    with store_of(request).sessions() as session:
        row = get_outgoing_report(session, report_id)
        body = render_stored_outgoing(row, kind)
    return report_response(body, kind, row.report_no)


@router.post("/outgoing/{report_id}/approve")
async def outgoing_approve(report_id: RowId, request: Request) -> Response:
    """The API's approval (``POST /api/outgoing-reports/{id}/approve``) from the page's form."""
    user, _fields = await posted_form(request)
    check_role(user, QA_ONLY)
    store = store_of(request)

    def approve() -> None:
        with store.sessions.begin() as session:
            approve_outgoing_report(
                session, report_id, signer=user.name, printed_name=user.printed_name
            )

    try:
        await run_in_threadpool(approve)
    except (ApprovalError, ImmutableReportError) as exc:
        _user, token = page_user(request)
        with store.sessions() as session:
            row = get_outgoing_report(session, report_id)
            own, final = row.created_by == user.name, row.status == APPROVED
        # the page says it in its language; the store's English names the case for the log
        error = "own" if own else ("final" if final else str(exc))
        return _show(request, user, token, report_id, error=error, status_code=403 if own else 409)
    return RedirectResponse(f"/outgoing/{report_id}?done=approve", status_code=303)
