"""Runs synced by benches that record offline: exactly once per run UUID (``results.run_sync``).

A run's big parts (trace arrays, photos) are uploaded first as content-addressed blobs, in
chunks a bench can resume after a cut (``results.sync_blobs``): ``HEAD`` says how many bytes of a
blob arrived, ``PUT`` with ``Upload-Offset`` and ``Upload-Length`` appends the next chunk. The run
document then names them by SHA-256. A batch of runs may instead carry the small blobs its runs
name (``blobs``, base64 by SHA-256, each of at most ``INLINE_BLOB_BYTES``): no request, staged
file or second hash per blob.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from results.sync_blobs import MAX_BLOB_BYTES, BlobStage, OffsetMismatch
from service.api.body import ApiBody, JsonBodyRoute
from service.auth import BenchUser, store_of
from service.errors import Conflict, PayloadTooLarge
from service.sync_document import SyncBatch, SyncDocument, store_synced, store_synced_batch

router = APIRouter(prefix="/api", tags=["sync"], route_class=JsonBodyRoute)

MAX_CHUNK_BYTES = 16 * 1024 * 1024
"""One request's body at most; a bench sends 4 MiB chunks."""
Sha = Annotated[str, Path(pattern="^[0-9a-f]{64}$")]


def _stage(request: Request) -> BlobStage:
    return BlobStage(store_of(request).evidence.root)


class BlobNames(ApiBody):
    sha256: Annotated[list[Annotated[str, Field(pattern="^[0-9a-f]{64}$")]], Field(max_length=4000)]


@router.post("/sync/blobs/state")
async def blobs_state(names: BlobNames, request: Request, who: BenchUser) -> dict[str, Any]:
    """``HEAD`` for many blobs in one request: which are whole, and where the others resume."""
    stage = _stage(request)
    states = await run_in_threadpool(lambda: {sha: stage.state(sha) for sha in names.sha256})
    return {
        "blobs": {
            sha: {"complete": state.complete, "received": state.received}
            for sha, state in states.items()
        }
    }


@router.head("/sync/blobs/{sha}")
async def blob_state(sha: Sha, request: Request, who: BenchUser) -> Response:
    """200 when the blob is whole here, else 404; ``Upload-Offset``: where to resume."""
    state = await run_in_threadpool(_stage(request).state, sha)
    return Response(
        status_code=200 if state.complete else 404,
        headers={"Upload-Offset": str(state.received)},
    )


@router.put("/sync/blobs/{sha}")
async def put_blob_chunk(
    sha: Sha,
    request: Request,
    response: Response,
    who: BenchUser,
    upload_length: Annotated[int, Header(ge=1, le=MAX_BLOB_BYTES)],
    upload_offset: Annotated[int, Header(ge=0, le=MAX_BLOB_BYTES)] = 0,
) -> dict[str, Any]:
    """Append the body at ``Upload-Offset``: 201 once the blob is whole (its SHA-256 checked),
    202 while more is expected, 409 when the offset is not where the blob ends here."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CHUNK_BYTES:
            raise PayloadTooLarge(f"send chunks of at most {MAX_CHUNK_BYTES} bytes")
    try:
        state = await run_in_threadpool(
            _stage(request).append,
            sha,
            offset=upload_offset,
            total=upload_length,
            data=bytes(body),
        )
    except OffsetMismatch as exc:
        raise Conflict(f"{exc}; Upload-Offset {exc.expected}") from None
    response.status_code = 201 if state.complete else 202
    response.headers["Upload-Offset"] = str(state.received)
    return {"sha256": sha, "complete": state.complete, "received": state.received}


@router.post("/sync/runs", status_code=201)
async def sync_run(
    doc: SyncDocument, request: Request, response: Response, who: BenchUser
) -> dict[str, Any]:
    """201 when the run is recorded now, 200 when this UUID arrived before (nothing written);
    409 when a blob it names was not uploaded; 422 when its values are not the ones its bench
    sealed."""
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


@router.post("/sync/runs/batch")
async def sync_runs(batch: SyncBatch, request: Request, who: BenchUser) -> dict[str, Any]:
    """Several runs at once, each recorded (or refused) as ``POST /api/sync/runs`` would record
    it alone; 200 with one answer per run, in order (``service.sync_document.store_synced_batch``).
    422 naming ``blobs.SHA`` when a carried blob is not base64 or not the bytes its name says.
    """
    store = store_of(request)
    answers = await run_in_threadpool(
        lambda: store_synced_batch(
            store.sessions, store.evidence, batch.runs, actor=who.name, blobs=batch.blobs
        )
    )
    for answer in answers:
        if "id" in answer:
            answer["url"] = f"/api/runs/{answer['id']}"
    return {"runs": answers}
