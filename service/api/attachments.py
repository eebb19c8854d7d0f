"""Evidence uploads (streamed, size-limited, typed by content) and downloads by hash."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from results.accounts import Principal
from results.complaints import get_complaint
from results.errors import NotFound
from results.models import Attachment
from service.api.params import RowId, Sha256
from service.attaching import Owner, attach_upload
from service.auth import Attacher, Reader, store_of
from service.uploads import read_upload
from service.views import attachment_dict

router = APIRouter(prefix="/api", tags=["attachments"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "reason": {"type": "string", "maxLength": 2000},
                    },
                }
            }
        },
    }
}


async def _upload(request: Request, owner: Owner, who: Principal) -> dict[str, Any]:
    store = store_of(request)
    upload = await read_upload(request, max_bytes=store.evidence.max_bytes)

    def write() -> dict[str, Any]:
        with store.sessions.begin() as session:
            return attachment_dict(
                attach_upload(session, store.evidence, owner, upload, actor=who.name)
            )

    return await run_in_threadpool(write)


@router.post("/complaints/{number}/attachments", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_to_complaint(number: str, request: Request, who: Attacher) -> dict[str, Any]:
    return await _upload(request, Owner("complaint", number), who)


@router.post("/units/{unit_id}/attachments", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_to_unit(unit_id: RowId, request: Request, who: Attacher) -> dict[str, Any]:
    return await _upload(request, Owner("unit", str(unit_id)), who)


@router.post("/runs/{run_id}/attachments", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_to_run(run_id: RowId, request: Request, who: Attacher) -> dict[str, Any]:
    return await _upload(request, Owner("run", str(run_id)), who)


@router.get("/complaints/{number}/attachments")
def list_complaint_attachments(number: str, request: Request, who: Reader) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        rows = session.scalars(
            select(Attachment)
            .where(Attachment.complaint_id == complaint.id)
            .order_by(Attachment.id)
        )
        return [attachment_dict(a) for a in rows]


def _safe_filename(name: str) -> str:
    kept = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    return kept.strip("._") or "evidence"


@router.get("/attachments/{sha256}", response_class=Response)
def download(sha256: Sha256, request: Request, who: Reader) -> Response:
    store = store_of(request)
    with store.sessions() as session:
        row = session.scalars(select(Attachment).where(Attachment.sha256 == sha256)).first()
        if row is None:
            raise NotFound("attachment", sha256)
        data = store.evidence.read(sha256)
    return Response(
        data,
        media_type=row.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{_safe_filename(row.original_name)}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )
