"""Runs synced by benches that record offline: exactly once per run UUID (``results.run_sync``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.auth import BenchUser, store_of
from service.sync_document import SyncDocument, store_synced

router = APIRouter(prefix="/api", tags=["sync"])


@router.post("/sync/runs", status_code=201)
async def sync_run(
    doc: SyncDocument, request: Request, response: Response, who: BenchUser
) -> dict[str, Any]:
    """201 when the run is recorded now, 200 when this UUID arrived before (nothing written);
    422 when its values are not the ones its bench sealed."""
    store = store_of(request)
    accepted = await run_in_threadpool(
        store_synced, store.sessions, store.evidence, doc, actor=who.name
    )
    if not accepted.created:
        response.status_code = 200
    return {
        "id": accepted.run_id,
        "url": f"/api/runs/{accepted.run_id}",
        "uuid": doc.origin.run_uuid,
        "created": accepted.created,
    }
