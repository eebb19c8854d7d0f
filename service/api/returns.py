"""Returns (notice, receipt, inspection request) and the unit path after analysis.

The bodies are the store's own forms (``results.returns``), so the API and the command line
refuse the same input with the same words; the inspection request also takes the serials as the
scanner typed them (one per line) or as a CSV text, like ``packbench return request``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field

from results import audit
from results.complaints import set_unit_status
from results.errors import NotFound
from results.models import ReturnedUnit
from results.returns import (
    Analysis,
    LongText,
    NoticeForm,
    ReceiptForm,
    UnitLine,
    create_notice,
    create_request,
    notice_dict,
    receipt_dict,
    receive,
    request_dict,
    returns_of,
    serials_from_csv,
    serials_from_lines,
)
from results.unit_path import allowed_next, status_of_step
from service.api.body import ApiBody
from service.api.params import RowId
from service.auth import Reader, Writer, store_of

router = APIRouter(prefix="/api", tags=["returns"])


class RequestIn(ApiBody):
    """Units as a list, as scanned lines (``serial`` or ``serial,lot``), or as CSV text."""

    units: Annotated[list[UnitLine], Field(max_length=10_000, default_factory=list)]
    scanned: Annotated[str, Field(max_length=1_000_000)] = ""
    csv: Annotated[str, Field(max_length=1_000_000)] = ""
    analyses: Annotated[list[Analysis], Field(min_length=1, max_length=50)]
    override_reason: LongText = ""


class MoveIn(ApiBody):
    step: Annotated[str, Field(max_length=32)]
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


def request_data(body: RequestIn) -> dict[str, Any]:
    """The request's units from all three ways of giving them, as ``create_request`` takes them
    (the QA page's form reads the same ``RequestIn`` and calls this too)."""
    units = list(body.units)
    if body.scanned:
        units += serials_from_lines(body.scanned)
    if body.csv:
        units += serials_from_csv(body.csv)
    return {
        "units": [u.model_dump() for u in units],
        "analyses": list(body.analyses),
        "override_reason": body.override_reason,
    }


@router.post("/complaints/{number}/return-notices", status_code=201)
def post_notice(number: str, body: NoticeForm, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        return notice_dict(create_notice(session, number, body.model_dump(), actor=who.name))


@router.post("/return-notices/{notice_id}/receipt", status_code=201)
def post_receipt(
    notice_id: RowId, body: ReceiptForm, request: Request, who: Writer
) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        return receipt_dict(receive(session, notice_id, body.model_dump(), actor=who.name))


@router.post("/return-notices/{notice_id}/inspection-requests", status_code=201)
def post_request(
    notice_id: RowId, body: RequestIn, request: Request, who: Writer
) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        return request_dict(create_request(session, notice_id, request_data(body), actor=who.name))


@router.get("/complaints/{number}/returns")
def get_returns(number: str, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return returns_of(session, number)


def _path(request: Request, unit_id: int) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        unit = session.get(ReturnedUnit, unit_id)
        if unit is None:
            raise NotFound("returned unit", unit_id)
        return {
            "unit_id": unit.id,
            "serial": unit.serial,
            "status": unit.status,
            "disposition": unit.disposition,
            "allowed_next": [s.value for s in allowed_next(unit.status)],
            "history": [
                {
                    "at": e.at.isoformat(),
                    "by": e.actor,
                    "status": json.loads(e.after_json or "{}").get("status"),
                    "reason": e.reason,
                }
                for e in audit.history(session, "unit", unit.id)
                if e.action in ("unit.received", "unit.status")
            ],
        }


@router.get("/units/{unit_id}/path")
def get_path(unit_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    return _path(request, unit_id)


@router.post("/units/{unit_id}/move")
def post_move(unit_id: RowId, body: MoveIn, request: Request, who: Writer) -> dict[str, Any]:
    target = status_of_step(body.step)
    with store_of(request).sessions.begin() as session:
        set_unit_status(session, unit_id, target, actor=who.name, reason=body.reason)
    return _path(request, unit_id)
