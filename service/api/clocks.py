"""Complaint classes, clocks, pauses and the quality targets (issue 14, items 2 and 9).

Reading is open to every role; recording a pause or a clock event is a writer's job (sales or
QA enter them); setting the class is QA's decision. Store refusals (unknown class, a pause never
started) come back as 422 naming the field, and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, Field

from results.clock_records import (
    ClockEventKind,
    PauseKind,
    end_pause,
    pause_sentences,
    pauses_of,
    record_clock_event,
    start_pause,
)
from results.clocks import complaint_clocks
from results.complaint_class import ClassFacts, propose_class, set_class
from results.complaints import get_complaint
from results.kpi import kpi
from service.api.body import ApiBody
from service.auth import QaUser, Reader, Writer, store_of
from service.i18n import Locale

router = APIRouter(prefix="/api", tags=["complaint clocks"])
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class ClassIn(ApiBody):
    complaint_class: Annotated[str, Field(min_length=1, max_length=32)]
    reason: Text


class PauseStartIn(ApiBody):
    kind: PauseKind
    reason: Text
    started_at: AwareDatetime
    sales_informed: bool
    customer_informed: bool


class PauseEndIn(ApiBody):
    ended_at: AwareDatetime


class EventIn(ApiBody):
    kind: ClockEventKind
    at: AwareDatetime
    note: Annotated[str, Field(max_length=2000)] = ""


@router.post("/complaints/{number}/class/proposal")
def class_proposal(
    number: str,
    facts: ClassFacts,
    request: Request,
    who: Reader,
    window_days: Annotated[int, Query(ge=1, le=3650)] = 90,
) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        proposal = propose_class(session, complaint.id, facts, window_days=window_days)
        return {
            "complaint": number,
            "class": complaint.severity,
            "proposed": proposal.complaint_class.value,
            "deck_class": proposal.deck_class.value,
            "reasons": list(proposal.reasons),
            "repeats": list(proposal.repeats),
        }


@router.put("/complaints/{number}/class")
def put_class(number: str, body: ClassIn, request: Request, who: QaUser) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        set_class(session, complaint.id, body.complaint_class, actor=who.name, reason=body.reason)
        return {"complaint": number, "class": complaint.severity}


@router.get("/complaints/{number}/clocks")
def clocks(number: str, request: Request, who: Reader) -> dict[str, Any]:
    """The containment clock shows no completion until ``results.containment`` is wired in."""
    now = datetime.now(UTC)
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        return {
            "complaint": number,
            "clocks": [c.as_dict(now) for c in complaint_clocks(session, complaint.id)],
        }


@router.get("/complaints/{number}/pauses")
def pauses(number: str, request: Request, who: Reader, lang: Locale = "en") -> dict[str, Any]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        sentences = pause_sentences(session, complaint.id, lang)
        rows = [
            {
                "id": p.id,
                "kind": p.kind,
                "reason": p.reason,
                "started_at": p.started_at,
                "ended_at": p.ended_at,
                "sales_informed": p.sales_informed,
                "customer_informed": p.customer_informed,
            }
            for p in pauses_of(session, complaint.id)
        ]
        return {"complaint": number, "pauses": rows, "sentences": sentences}


@router.post("/complaints/{number}/pauses", status_code=201)
def pause_start(number: str, body: PauseStartIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        pause = start_pause(
            session,
            complaint.id,
            kind=body.kind,
            reason=body.reason,
            started_at=body.started_at,
            sales_informed=body.sales_informed,
            customer_informed=body.customer_informed,
            actor=who.name,
        )
        return {"complaint": number, "pause": pause.id}


@router.post("/complaints/{number}/pauses/end")
def pause_end(number: str, body: PauseEndIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        pause = end_pause(session, complaint.id, ended_at=body.ended_at, actor=who.name)
        return {"complaint": number, "pause": pause.id, "ended_at": pause.ended_at}


@router.post("/complaints/{number}/clock-events", status_code=201)
def clock_event(number: str, body: EventIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        event = record_clock_event(
            session, complaint.id, body.kind, body.at, actor=who.name, note=body.note
        )
        return {"complaint": number, "event": event.id}


@router.get("/kpi")
def quality_targets(
    request: Request,
    who: Reader,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    complaint_class: Annotated[str | None, Query(alias="class", max_length=32)] = None,
    complaint_type: Annotated[str | None, Query(alias="type", max_length=32)] = None,
) -> dict[str, Any]:
    """``type``: ``product`` or ``non-product`` (unknown values: 422 naming the choices)."""
    with store_of(request).sessions() as session:
        found = kpi(
            session, first, last, complaint_class=complaint_class, complaint_type=complaint_type
        )
    classes = [k.as_dict() for k in found]
    return {"from": first, "to": last, "type": complaint_type, "classes": classes}
