"""The QA pages: login, complaint list with SLA, complaint, run, uploads, report approval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
)
from sqlalchemy import select

from results.accounts import Principal, Role
from results.calendar import Calendar, sla_clocks
from results.complaint_status import ComplaintStatus
from results.complaints import get_complaint
from results.eightd_models import ReportSignature
from results.errors import NotFound
from results.models import (
    Attachment,
    Complaint,
    Report,
    Run,
)
from results.read_model import RunRead, StepRead, TraceRead, UnitRead
from results.readback import load_complaint
from results.reports.approval import amend, create_report, refresh_draft
from results.reports.assemble import measurement_row
from results.reports.compose import (
    comparison_text,
    limits_note,
    measurement_cells,
    measurement_codes,
    measurement_headers,
    verdict_reason,
)
from results.reports.fonts import font_path
from results.reports.labels import catalogue
from results.run_validity import invalidate_run, invalidations, standing
from results.unit_summaries import summarise_unit
from service.api.params import RowId, Sha256
from service.approvals import sign_as
from service.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    QA_ONLY,
    SESSION_COOKIE,
    WRITE,
    check_role,
    csrf_ok,
    log_in,
    log_out,
    login_csrf_ok,
    new_login_csrf,
    secure_request,
    set_session_cookie,
    store_of,
)
from service.errors import (
    Forbidden,
    TooManyRequests,
    Unauthenticated,
)
from service.i18n import translator
from service.pages.eightd_view import current_eightd
from service.pages.manual_view import list_context, manual_context
from service.pages.render import locale_of, page, page_user
from service.plotting import trace_svg
from service.report_files import render_report
from service.security_headers import REPORT_CSP
from service.views import sla_summary

router = APIRouter(include_in_schema=False)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def posted_form(request: Request) -> tuple[Principal, dict[str, str]]:
    """A posted urlencoded form of a logged-in user, with its CSRF token checked."""
    user, token = page_user(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not csrf_ok(token, fields.get("csrf_token")):
        raise Forbidden("the form's CSRF token is missing or stale; reload the page and retry")
    return user, fields


@router.get("/static/cjk.ttf")
def cjk_font() -> FileResponse:
    """The report's shipped CJK font, so Chinese pages render on hosts without CJK fonts."""
    return FileResponse(
        font_path(), media_type="font/ttf", headers={"Cache-Control": "max-age=86400"}
    )


def _login_page(
    request: Request, *, status_code: int = 200, problem: str | None = None
) -> HTMLResponse:
    """The login form with a fresh double-submit CSRF token (cookie and hidden field agree)."""
    csrf = new_login_csrf()
    response = page(request, "login.html", status_code=status_code, csrf=csrf, problem=problem)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=secure_request(request),
        max_age=3600,
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    """Token and user name in, a new server-side session out (the old one dropped)."""
    form = await request.form()
    fields = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    if not login_csrf_ok(request, fields.get(CSRF_FIELD)):
        return _login_page(request, status_code=403, problem="login.stale")
    try:
        opened = await run_in_threadpool(
            log_in, request, fields.get("user", ""), fields.get("token", "")
        )
    except TooManyRequests as exc:
        refused = _login_page(request, status_code=429, problem="login.throttled")
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if opened is None:
        return _login_page(request, status_code=401, problem="login.failed")
    response = _see_other("/")
    set_session_cookie(response, request, opened[0])
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await posted_form(request)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(log_out, request, session_id)
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def complaint_list(request: Request, status: ComplaintStatus | None = None) -> HTMLResponse:
    user, token = page_user(request)
    now = datetime.now(UTC)
    query = select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc())
    if status is not None:
        query = query.where(Complaint.status == status.value)
    with store_of(request).sessions() as session:
        calendar = Calendar.load(session)
        rows = [(c, sla_summary(c, calendar, now)) for c in session.scalars(query.limit(500))]
        extras = list_context(session, now)
    return page(
        request, "complaints.html", user=user, session_token=token, rows=rows, now=now, **extras
    )


def _latest_finished(runs: list[RunRead]) -> RunRead | None:
    finished = [r for r in runs if r.status == "finished"]
    return max(finished, key=lambda r: (r.started_at, r.id)) if finished else None


@router.get("/complaints/{number}", response_class=HTMLResponse)
def complaint_page(number: str, request: Request) -> HTMLResponse:
    user, token = page_user(request)
    now = datetime.now(UTC)
    with store_of(request).sessions() as session:
        complaint = load_complaint(session, get_complaint(session, number).id)
        calendar = Calendar.load(session)
        clocks = [(c, c.state(now)) for c in sla_clocks(complaint, calendar)]
        runs_by_unit: dict[int, list[RunRead]] = {}
        for run in complaint.runs:
            runs_by_unit.setdefault(run.unit_id, []).append(run)
        units = [
            (u, sorted(runs_by_unit.get(u.id, []), key=lambda r: (r.started_at, r.id)))
            for u in sorted(complaint.units, key=lambda u: (u.serial, u.id))
        ]
        invalid = invalidations(session, (r.id for r in complaint.runs))
        standings = {r.id: standing(r, invalid.get(r.id)).value for r in complaint.runs}
        summaries = {u.id: summarise_unit(runs, invalid) for u, runs in units}
        plots: list[tuple[UnitRead, RunRead, StepRead, TraceRead]] = []
        for unit, runs in units:
            latest = _latest_finished([r for r in runs if standings[r.id] == "valid"])
            if latest is not None:
                for step in latest.steps:
                    plots.extend((unit, latest, step, trace) for trace in step.traces)
        run_ids = [r.id for r in complaint.runs]
        attachments = list(
            session.scalars(
                select(Attachment)
                .where(
                    (Attachment.complaint_id == complaint.id)
                    | (Attachment.run_id.in_(run_ids) if run_ids else False)
                )
                .order_by(Attachment.id)
            )
        )
        reports = list(
            session.scalars(
                select(Report).where(Report.complaint_id == complaint.id).order_by(Report.id)
            )
        )
        signatures: dict[int, list[ReportSignature]] = {}
        for s in session.scalars(
            select(ReportSignature).where(ReportSignature.report_id.in_([r.id for r in reports]))
        ):
            signatures.setdefault(s.report_id, []).append(s)
        html = page(
            request,
            "complaint.html",
            user=user,
            session_token=token,
            c=complaint,
            sla=sla_summary(complaint, calendar, now),
            clocks=clocks,
            units=units,
            summaries=summaries,
            standings=standings,
            invalid=invalid,
            plots=plots,
            attachments=attachments,
            reports=reports,
            signatures=signatures,
            can_write=user.role in WRITE,
            can_attach=user.role in (Role.TECHNICIAN, Role.QA, Role.BENCH),
            is_qa=user.role is Role.QA,
            max_bytes=store_of(request).evidence.max_bytes,
            message=request.query_params.get("done"),
            eightd=current_eightd(session, complaint.id),
            **manual_context(session, complaint, store_of(request), now),
        )
    return html


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: RowId, request: Request) -> HTMLResponse:
    user, token = page_user(request)
    with store_of(request).sessions() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound("run", run_id)
        rows = [
            measurement_row(str(run.id), step.name, m, m.comparison)
            for step in run.steps
            for m in step.measurements
        ]
        attachments = list(session.scalars(select(Attachment).where(Attachment.run_id == run.id)))
        t_report = catalogue(locale_of(request))
        table = [
            (
                measurement_cells(row, t_report),
                f"v-{row.verdict.name.lower()}",
                comparison_text(row, t_report),
                verdict_reason(row, t_report.locale),
                limits_note(row, t_report),
                measurement_codes(row, t_report),
            )
            for row in rows
        ]
        return page(
            request,
            "run.html",
            user=user,
            session_token=token,
            run=run,
            invalidation=invalidations(session, [run.id]).get(run.id),
            run_standing=standing(run, invalidations(session, [run.id]).get(run.id)).value,
            is_qa=user.role is Role.QA,
            unit=run.unit,
            complaint=run.complaint,
            headers=measurement_headers(t_report),
            table=table,
            attachments=attachments,
        )


@router.get("/traces/{trace_id}.svg")
def trace_image(trace_id: RowId, request: Request) -> Response:
    page_user(request)
    with store_of(request).sessions() as session:
        t = translator(locale_of(request))
        body = trace_svg(
            session, trace_id, t("trace.time"), lambda name: t.enum("trace_channel", name)
        )
    return Response(body, media_type="image/svg+xml", headers={"Cache-Control": "private"})


@router.get("/files/{sha256}")
def file_download(sha256: Sha256, request: Request) -> Response:
    page_user(request)
    store = store_of(request)
    with store.sessions() as session:
        row = session.scalars(select(Attachment).where(Attachment.sha256 == sha256)).first()
        if row is None:
            raise NotFound("attachment", sha256)
        data = store.evidence.read(sha256)
    return Response(data, media_type=row.media_type, headers={"X-Content-Type-Options": "nosniff"})


@router.post("/complaints/{number}/reports")
async def create_report_page(number: str, request: Request) -> Response:
    user, fields = await posted_form(request)
    check_role(user, WRITE)
    locale = fields.get("locale", "en")

    def write() -> None:
        with store_of(request).sessions.begin() as session:
            complaint = get_complaint(session, number)
            create_report(session, complaint.id, locale=locale, actor=user.name)

    await run_in_threadpool(write)
    return _see_other(f"/complaints/{number}?done=report_created#reports")


async def _report_action(request: Request, report_id: int, action: str) -> Response:
    user, fields = await posted_form(request)

    def write() -> str:
        with store_of(request).sessions.begin() as session:
            report = session.get(Report, report_id)
            if report is None:
                raise NotFound("report", report_id)
            if action == "approve":
                check_role(user, QA_ONLY)
                sign_as(session, report_id, user, "approved")
            elif action == "amend":
                # A new draft version that says why; ``amend`` refuses an empty reason (422)
                # and audits the change. The approved version stays as it was.
                check_role(user, QA_ONLY)
                amend(session, report_id, actor=user.name, reason=fields.get("reason", ""))
            else:
                check_role(user, WRITE)
                refresh_draft(session, report_id, actor=user.name)
            complaint = session.get(Complaint, report.complaint_id)
            assert complaint is not None
            return complaint.number

    number = await run_in_threadpool(write)
    done = {"approve": "approved", "amend": "amended", "refresh": "refreshed"}[action]
    return _see_other(f"/complaints/{number}?done={done}#reports")


@router.post("/runs/{run_id}/invalidate")
async def invalidate_page(run_id: RowId, request: Request) -> Response:
    """QA's form on the run page: the run stays in the record, marked invalid with the reason
    (an empty reason is refused, 422; another role gets 403)."""
    user, fields = await posted_form(request)
    check_role(user, QA_ONLY)

    def write() -> None:
        with store_of(request).sessions.begin() as session:
            invalidate_run(session, run_id, reason=fields.get("reason", ""), actor=user.name)

    await run_in_threadpool(write)
    return _see_other(f"/runs/{run_id}")


@router.post("/reports/{report_id}/approve")
async def approve_page(report_id: RowId, request: Request) -> Response:
    return await _report_action(request, report_id, "approve")


@router.post("/reports/{report_id}/refresh")
async def refresh_page(report_id: RowId, request: Request) -> Response:
    return await _report_action(request, report_id, "refresh")


@router.post("/reports/{report_id}/amend")
async def amend_page(report_id: RowId, request: Request) -> Response:
    return await _report_action(request, report_id, "amend")


@router.get("/reports/{report_id}")
def report_page(
    report_id: RowId, request: Request, format: Literal["html", "pdf"] = "html"
) -> Response:
    page_user(request)
    kind = format
    with store_of(request).sessions() as session:
        if session.get(Report, report_id) is None:
            raise NotFound("report", report_id)
        body = render_report(store_of(request), session, report_id, kind)
    media = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
    return Response(body, media_type=media, headers={"Content-Security-Policy": REPORT_CSP})


__all__ = ["Unauthenticated", "router"]
