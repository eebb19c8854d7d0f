"""The evidence upload of the complaint page and the script that shows its progress.

The type of an uploaded file is read from its bytes, never from the browser's label: browsers
call a ``.log`` ``text/x-log`` (or nothing), which the API's strict "declared type must match"
rule refused with 415 although the file was a plain log. A refusal (a program renamed ``.log``,
a file over the limit, an extension that lies) says why in the page's language.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from results.accounts import Role
from results.attachments import FileRefused
from results.complaints import get_complaint
from results.errors import NotFound
from results.models import Run
from service.attaching import Owner, attach_upload
from service.auth import csrf_ok, store_of
from service.errors import (
    BadInput,
    Forbidden,
    PayloadTooLarge,
    ServiceError,
    UnsupportedMediaType,
    results_status,
)
from service.i18n import translator
from service.pages.render import locale_of, page, page_user
from service.uploads import read_upload

router = APIRouter(include_in_schema=False)


@router.get("/static/upload.js")
def upload_script() -> Response:
    script = (resources.files("service.pages") / "static" / "upload.js").read_bytes()
    return Response(
        script, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


def _refusal_text(request: Request, exc: Exception, max_bytes: int) -> tuple[int, str]:
    """Status and the reader's-language sentence for a refused upload."""
    t = translator(locale_of(request))
    if isinstance(exc, FileRefused):
        values = {k: str(v) for k, v in exc.values.items()}
        if "limit" in values:
            values["mb"] = f"{max_bytes / 1048576:.1f}"
        return results_status(exc), t(f"upload.refused.{exc.reason}", **values)
    if isinstance(exc, PayloadTooLarge):
        # Cut off while streaming: the file's name was not kept, so say "the file".
        mb = f"{max_bytes / 1048576:.1f}"
        return exc.status, t("upload.refused.too_large", name=t("upload.the_file"), mb=mb)
    assert isinstance(exc, ServiceError)
    return exc.status, t("upload.refused.malformed", detail=exc.message)


@router.post("/complaints/{number}/attachments")
async def upload_page(number: str, request: Request) -> Response:
    """The page's upload. The type is read from the bytes, never from the browser's label (a
    browser calls a ``.log`` ``text/x-log``, another nothing at all): the label is dropped and the
    evidence store derives the type as it does for every file. A refusal says why in the page's
    language, as JSON to the page's script (which shows upload progress) or as an error page."""
    user, token = page_user(request)
    if user.role not in (Role.TECHNICIAN, Role.QA, Role.BENCH):
        raise Forbidden(f"user {user.name!r} ({user.role.value}) may not attach files")
    store = store_of(request)
    max_bytes = store.evidence.max_bytes
    try:
        upload = await read_upload(request, max_bytes=max_bytes)
    except (PayloadTooLarge, BadInput, UnsupportedMediaType) as exc:
        return _refused(request, *_refusal_text(request, exc, max_bytes))
    if not csrf_ok(token, upload.fields.get("csrf_token")):
        raise Forbidden("the form's CSRF token is missing or stale; reload the page and retry")
    upload.declared_type = None
    target = upload.fields.get("target", "complaint")
    owner = Owner("complaint", number)
    if target.startswith("run:") and target[4:].isdigit():
        owner = Owner("run", target[4:])
    elif target.startswith("unit:") and target[5:].isdigit():
        owner = Owner("unit", target[5:])

    def write() -> None:
        with store.sessions.begin() as session:
            if owner.kind != "complaint":  # the run or unit must belong to this complaint
                complaint = get_complaint(session, number)
                model = Run if owner.kind == "run" else None
                row: Any = session.get(model, int(owner.key)) if model else None
                if model is not None and (row is None or row.complaint_id != complaint.id):
                    raise NotFound("run", owner.key)
            attach_upload(session, store.evidence, owner, upload, actor=user.name)

    try:
        await run_in_threadpool(write)
    except FileRefused as exc:
        return _refused(request, *_refusal_text(request, exc, max_bytes))
    return RedirectResponse(f"/complaints/{number}?done=uploaded#attachments", status_code=303)


def _refused(request: Request, status: int, message: str) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"status": status, "detail": message}, status)
    return page(request, "error.html", status=status, message=message, status_code=status)
