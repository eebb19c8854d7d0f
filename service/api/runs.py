"""Runs: submission by benches, and read-back with steps, measurements and traces."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from results.errors import NotFound
from results.models import Attachment, Run, Step, Trace
from results.reports.labels import catalogue
from results.run_validity import REASON_LIMIT, invalidate_run, invalidations
from service.api.body import ApiBody, JsonBodyRoute
from service.api.params import RowId
from service.auth import BenchUser, QaUser, Reader, store_of
from service.plotting import trace_data, trace_svg
from service.run_document import RunDocument, store_run
from service.views import attachment_dict, run_summary, step_dict

router = APIRouter(prefix="/api", tags=["runs"], route_class=JsonBodyRoute)


@router.post("/runs", status_code=201)
async def submit_run(doc: RunDocument, request: Request, who: BenchUser) -> dict[str, Any]:
    store = store_of(request)
    run_id = await run_in_threadpool(store_run, store.sessions, store.evidence, doc, actor=who.name)
    return {"id": run_id, "url": f"/api/runs/{run_id}"}


def load_run_row(request: Request, run_id: int) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        run = session.scalars(
            select(Run)
            .where(Run.id == run_id)
            .options(
                selectinload(Run.steps).selectinload(Step.measurements),
                selectinload(Run.steps).selectinload(Step.traces).selectinload(Trace.channels),
            )
        ).one_or_none()
        if run is None:
            raise NotFound("run", run_id)
        files = session.scalars(
            select(Attachment).where(Attachment.run_id == run_id).order_by(Attachment.id)
        )
        invalid = invalidations(session, [run_id]).get(run_id)
        return run_summary(run, invalid) | {
            "steps": [step_dict(s) for s in run.steps],
            "attachments": [attachment_dict(a) for a in files],
        }


@router.get("/runs/{run_id}")
def show_run(run_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    return load_run_row(request, run_id)


class InvalidateIn(ApiBody):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_LIMIT)]


@router.post("/runs/{run_id}/invalidate")
def invalidate(run_id: RowId, body: InvalidateIn, request: Request, who: QaUser) -> dict[str, Any]:
    """QA declares a run invalid (audited): it stays in the record, shown as invalid, and leaves
    the customer report's evidence annex and the unit summaries. Other roles get 403."""
    with store_of(request).sessions.begin() as session:
        invalidate_run(session, run_id, reason=body.reason, actor=who.name)
    return load_run_row(request, run_id)


@router.get("/traces/{trace_id}")
def trace_samples(trace_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        data = trace_data(session, trace_id)
    return {
        "name": data.name,
        "time_s": list(data.time_s),
        "channels": {c.name: {"unit": c.unit, "values": list(c.values)} for c in data.channels},
    }


@router.get("/traces/{trace_id}/svg", response_class=Response)
def trace_plot(trace_id: RowId, request: Request, who: Reader) -> Response:
    with store_of(request).sessions() as session:
        body = trace_svg(session, trace_id, catalogue("en")["trace.time"])
    return Response(body, media_type="image/svg+xml")
