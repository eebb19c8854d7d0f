"""Complaints, their status workflow, and returned units."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from results.accounts import Principal, Role
from results.calendar import Calendar
from results.complaint_form import Channel, ComplaintFormIn
from results.complaint_query import ComplaintFilter, find_complaints
from results.complaint_status import ComplaintStatus
from results.complaints import (
    ComplaintForm,
    add_returned_unit,
    get_complaint,
    register_complaint,
    set_unit_status,
)
from results.errors import NotFound
from results.models import Complaint, ReturnedUnit, Run
from results.product_models import check_product_model
from results.run_sync import runs_of_bench
from results.run_validity import invalidations
from results.sla import SlaState
from results.unit_summaries import summarise_unit
from results.workflow import allowed_from, transition
from service.api.body import ApiBody
from service.api.params import Offset, RowId
from service.auth import QA_ONLY, BenchOrReader, Reader, Writer, check_role, store_of
from service.errors import Forbidden
from service.views import complaint_dict, run_summary, sla_summary, unit_dict

router = APIRouter(prefix="/api", tags=["complaints"])
ComplaintIn = ComplaintFormIn  # the one complaint form model (results.complaint_form)


class TransitionIn(ApiBody):
    target: str
    reason: Annotated[str, Field(max_length=4000)] = ""
    decision: Annotated[str, Field(max_length=4000)] | None = None
    rationale: Annotated[str, Field(max_length=4000)] | None = None
    note: Annotated[str, Field(max_length=4000)] | None = None


class UnitIn(ApiBody):
    serial: Annotated[str, Field(max_length=100)]
    received_at: datetime
    lot: Annotated[str, Field(max_length=100)] = ""
    product_model: Annotated[str, Field(max_length=100)] = ""


class UnitStatusIn(ApiBody):
    status: str
    disposition: str | None = None
    reason: Annotated[str, Field(max_length=4000)] = ""


def _with_sla(c: Complaint, calendar: Calendar, now: datetime) -> dict[str, Any]:
    return complaint_dict(c) | {"sla": sla_summary(c, calendar, now)}


@router.post("/complaints", status_code=201)
def create_complaint(
    body: ComplaintIn,
    request: Request,
    who: Writer,
    custom_model: Annotated[
        bool,
        Query(
            description="allow a product model without a built-in pack spec (like the CLI's "
            "--custom-model); every run then needs its spec file"
        ),
    ] = False,
) -> dict[str, Any]:
    check_product_model(body.product_model, allow_unknown=custom_model)
    form = ComplaintForm(**body.form_fields())
    with store_of(request).sessions.begin() as session:
        complaint = register_complaint(session, form, actor=who.name)
        return _with_sla(complaint, Calendar.load(session), datetime.now(UTC))


@router.get("/complaints")
def list_complaints(
    request: Request,
    who: Reader,
    number: str | None = None,
    status: ComplaintStatus | None = None,
    customer: str | None = None,
    product_model: str | None = None,
    lot: str | None = None,
    symptom: str | None = None,
    severity: str | None = None,
    channel: Channel | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    sla: SlaState | None = None,
    sort: str = "-received_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The same filters as `packbench complaint list`, applied in SQL (``find_complaints``)."""
    wanted = ComplaintFilter(
        number=number,
        customer=customer,
        product_model=product_model,
        lot=lot,
        symptom=symptom,
        severity=severity,
        status=None if status is None else status.value,
        channel=None if channel is None else channel.value,
        received_from=received_from,
        received_to=received_to,
        sla=sla,
    )
    now = datetime.now(UTC)
    with store_of(request).sessions() as session:
        page = find_complaints(session, wanted, sort=sort, limit=limit, offset=offset, now=now)
        calendar = Calendar.load(session)
        return {"total": page.total, "items": [_with_sla(c, calendar, now) for c in page.items]}


def _bench_may_read(
    session: Session, who: Principal, *, complaint_id: int | None = None, unit_id: int | None = None
) -> None:
    """A bench reads only the complaint and units it synced runs for (403 for anything else)."""
    if who.role is not Role.BENCH:
        return
    runs = runs_of_bench(session, who.name)
    if any(
        (complaint_id is not None and r.complaint_id == complaint_id)
        or (unit_id is not None and r.unit_id == unit_id)
        for r in runs
    ):
        return
    raise Forbidden(f"bench {who.name!r} reads only the complaints and units it ran tests for")


@router.get("/complaints/{number}")
def show_complaint(number: str, request: Request, who: BenchOrReader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        c = get_complaint(session, number)
        _bench_may_read(session, who, complaint_id=c.id)
        units = session.scalars(
            select(ReturnedUnit).where(ReturnedUnit.complaint_id == c.id).order_by(ReturnedUnit.id)
        )
        runs = list(session.scalars(select(Run).where(Run.complaint_id == c.id).order_by(Run.id)))
        invalid = invalidations(session, (r.id for r in runs))
        return _with_sla(c, Calendar.load(session), datetime.now(UTC)) | {
            "allowed_transitions": [s.value for s in allowed_from(c.status)],
            "units": [unit_dict(u) for u in units],
            "runs": [run_summary(r, invalid.get(r.id)) for r in runs],
        }


@router.post("/complaints/{number}/transition")
def transition_complaint(
    number: str, body: TransitionIn, request: Request, who: Writer
) -> dict[str, Any]:
    if body.target == ComplaintStatus.DECIDED.value:
        check_role(who, QA_ONLY)  # the decision is QA's (records-and-reports.md §1.4)
    with store_of(request).sessions.begin() as session:
        c = get_complaint(session, number)
        c = transition(
            session,
            c.id,
            body.target,
            actor=who.name,
            reason=body.reason,
            decision=body.decision,
            rationale=body.rationale,
            note=body.note,
        )
        return _with_sla(c, Calendar.load(session), datetime.now(UTC))


@router.post("/complaints/{number}/units", status_code=201)
def add_unit(number: str, body: UnitIn, request: Request, who: Writer) -> dict[str, Any]:
    if body.product_model:  # empty: the complaint's model (as `packbench unit add`)
        check_product_model(body.product_model)
    with store_of(request).sessions.begin() as session:
        c = get_complaint(session, number)
        unit = add_returned_unit(
            session,
            c.id,
            serial=body.serial,
            received_at=body.received_at,
            actor=who.name,
            lot=body.lot,
            product_model=body.product_model,
        )
        return unit_dict(unit)


@router.get("/units/{unit_id}")
def show_unit(unit_id: RowId, request: Request, who: BenchOrReader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        unit = session.get(ReturnedUnit, unit_id)
        if unit is None:
            raise NotFound("returned unit", unit_id)
        _bench_may_read(session, who, unit_id=unit.id)
        runs = list(session.scalars(select(Run).where(Run.unit_id == unit_id).order_by(Run.id)))
        invalid = invalidations(session, (r.id for r in runs))
        summary = summarise_unit(runs, invalid)
        return unit_dict(unit) | {
            "runs": [run_summary(r, invalid.get(r.id)) for r in runs],
            "results": [
                {"procedure": r.procedure, "run_id": r.run_id, "verdict": r.verdict}
                for r in summary.results
            ],
        }


@router.post("/units/{unit_id}/status")
def change_unit_status(
    unit_id: RowId, body: UnitStatusIn, request: Request, who: Writer
) -> dict[str, Any]:
    if body.status == "dispositioned":
        check_role(who, QA_ONLY)
    with store_of(request).sessions.begin() as session:
        unit = set_unit_status(
            session,
            unit_id,
            body.status,
            actor=who.name,
            disposition=body.disposition,
            reason=body.reason,
        )
        return unit_dict(unit)
