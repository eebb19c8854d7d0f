"""The page that registers a complaint: every field of the maker's complaint form.

The post is read by ``results.complaint_form.ComplaintFormIn``, the model the API's body and the
CLI's form file use, and written by ``register_complaint`` (audited); a refusal is shown beside
its field in the page's language, the typed values kept, nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from results.accounts import Principal
from results.complaint_form import Channel, ComplaintFormIn, ComplaintType, FaultStage
from results.complaints import ComplaintForm, register_complaint
from results.models import Severity, Symptom
from service.auth import WRITE, check_role, store_of
from service.i18n import translator
from service.pages.forms import (
    FormRefused,
    as_utc,
    checked,
    filled,
    guarded,
    read_posted,
    shown_errors,
)
from service.pages.render import locale_of, page, page_user

router = APIRouter(include_in_schema=False)
REGISTER_FIELDS = tuple(ComplaintFormIn.model_fields)


def _register_page(
    request: Request,
    user: Principal,
    token: str,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "register.html",
        lang_path="/complaints/new",  # a refused post re-renders here: switch to the form
        user=user,
        session_token=token,
        status_code=status_code,
        values={"register": values},
        errors={"register": errors or {}},
        symptoms=[s.value for s in Symptom],
        severities=[s.value for s in Severity],
        channels=[c.value for c in Channel],
        complaint_types=[c.value for c in ComplaintType],
        fault_stages=[f.value for f in FaultStage],
    )


@router.get("/complaints/new", response_class=HTMLResponse)
def register_form(request: Request) -> HTMLResponse:
    user, token = page_user(request)
    check_role(user, WRITE)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    return _register_page(
        request, user, token, values={"received_by": user.name, "received_at": now}
    )


def complaint_data(fields: dict[str, str]) -> dict[str, str]:
    """The posted complaint form as ``ComplaintFormIn`` reads it (blank optional fields left out,
    the receipt time taken as UTC)."""
    data = filled(fields, REGISTER_FIELDS)
    if "received_at" in data:
        data["received_at"] = as_utc(data["received_at"])
    return data


@router.post("/complaints/new")
async def register(request: Request) -> Response:
    posted = await read_posted(request)
    check_role(posted.user, WRITE)
    store = store_of(request)

    def write() -> str:
        body = checked(ComplaintFormIn, complaint_data(posted.fields))
        with store.sessions.begin() as session:
            form = ComplaintForm(**body.form_fields())
            return register_complaint(session, form, actor=posted.user.name).number

    try:
        number = await run_in_threadpool(guarded, write)
    except FormRefused as refused:
        _user, token = page_user(request)
        return _register_page(
            request,
            posted.user,
            token,
            values=posted.fields,
            errors=shown_errors(refused, translator(locale_of(request))),
            status_code=refused.status,
        )
    return RedirectResponse(f"/complaints/{number}?done=registered", status_code=303)
