"""Major complaints (fire, explosion, leakage, severe from a key customer): the emergency path.

Escalation and closure are QA's decisions; the records in between (containment, meeting,
supplier notice, the acceptance letter) may be entered by a technician or QA. Closing is refused
with 409 naming every missing record, so the caller learns the whole list at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, Field
from sqlalchemy.orm import Session

from results.complaints import get_complaint
from results.errors import NotFound
from results.major import (
    Decision,
    MajorCategory,
    close_major,
    escalate,
    has_containment,
    link_acceptance,
    major_for,
    open_containment,
    record_meeting,
    record_supplier_notification,
)
from results.manual_models import MajorComplaint
from service.api.body import ApiBody
from service.auth import QaUser, Reader, Writer, store_of
from service.errors import Conflict
from service.major_view import major_dict
from service.notify import channel_of, group_of

router = APIRouter(prefix="/api", tags=["major complaints"])
Short = Annotated[str, Field(min_length=1, max_length=200)]
Long = Annotated[str, Field(min_length=1, max_length=4000)]


class EscalateIn(ApiBody):
    key_customer: bool = False
    category: MajorCategory | None = None


class ContainmentIn(ApiBody):
    stock_frozen_qty: Annotated[int, Field(ge=0, le=1_000_000_000)]
    locations: Long
    production_hold: bool


class DecisionIn(ApiBody):
    text: Long
    owner: Short
    due: AwareDatetime | None = None


class MeetingIn(ApiBody):
    held_at: AwareDatetime
    attendees: Annotated[list[Short], Field(min_length=1, max_length=100)]
    decisions: Annotated[list[DecisionIn], Field(min_length=1, max_length=100)]


class SupplierIn(ApiBody):
    supplier: Short
    reference: Annotated[str, Field(max_length=100)] = ""
    content: Long
    address: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    """When given, the notice is also sent through the service's channel to this address."""


class AcceptanceIn(ApiBody):
    sha256: Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


def major_of(session: Session, number: str) -> MajorComplaint:
    complaint = get_complaint(session, number)
    major = major_for(session, complaint.id)
    if major is None:
        raise NotFound("major complaint of", number)
    return major


def _answer(request: Request, session: Session, major: MajorComplaint) -> dict[str, Any]:
    return major_dict(session, major, store_of(request).evidence, datetime.now(UTC))


@router.post("/complaints/{number}/major", status_code=201)
def escalate_complaint(
    number: str, body: EscalateIn, request: Request, who: QaUser
) -> dict[str, Any]:
    group = group_of(request)
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        if major_for(session, complaint.id) is not None:
            raise Conflict(f"complaint {number} is already a major complaint; use its record")
        major = escalate(
            session,
            complaint.id,
            group=group,
            channel=channel_of(request),
            actor=who.name,
            key_customer=body.key_customer,
            category=body.category,
        )
        return _answer(request, session, major)


@router.get("/complaints/{number}/major")
def show_major(number: str, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return _answer(request, session, major_of(session, number))


@router.post("/complaints/{number}/major/containment", status_code=201)
def containment(number: str, body: ContainmentIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        major = major_of(session, number)
        if major.closed_at is not None:
            raise Conflict(f"the major complaint of {number} is closed; nothing to record")
        if has_containment(session, major.complaint_id):
            raise Conflict(
                f"containment of {number} is already open; add or release its actions through "
                f"/api/complaints/{number}/containment"
            )
        open_containment(
            session,
            major.id,
            stock_frozen_qty=body.stock_frozen_qty,
            locations=body.locations,
            production_hold=body.production_hold,
            actor=who.name,
        )
        return _answer(request, session, major)


@router.post("/complaints/{number}/major/meetings", status_code=201)
def meeting(number: str, body: MeetingIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        major = major_of(session, number)
        if major.closed_at is not None:
            raise Conflict(f"the major complaint of {number} is closed; nothing to record")
        record_meeting(
            session,
            major.id,
            held_at=body.held_at,
            attendees=body.attendees,
            decisions=[Decision(d.text, d.owner, d.due) for d in body.decisions],
            actor=who.name,
        )
        return _answer(request, session, major)


@router.post("/complaints/{number}/major/supplier", status_code=201)
def supplier(number: str, body: SupplierIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        major = major_of(session, number)
        if major.closed_at is not None:
            raise Conflict(f"the major complaint of {number} is closed; nothing to record")
        record_supplier_notification(
            session,
            major.id,
            supplier=body.supplier,
            reference=body.reference,
            content=body.content,
            actor=who.name,
            channel=channel_of(request) if body.address else None,
            address=body.address,
        )
        return _answer(request, session, major)


@router.post("/complaints/{number}/major/acceptance")
def acceptance(number: str, body: AcceptanceIn, request: Request, who: Writer) -> dict[str, Any]:
    """Link a letter uploaded through ``POST /api/complaints/{number}/attachments`` by its hash."""
    store = store_of(request)
    with store.sessions.begin() as session:
        major = major_of(session, number)
        link_acceptance(session, store.evidence, major.id, body.sha256, actor=who.name)
        return _answer(request, session, major)


@router.post("/complaints/{number}/major/close")
def close(number: str, request: Request, who: QaUser) -> dict[str, Any]:
    store = store_of(request)
    with store.sessions.begin() as session:
        major = major_of(session, number)
        close_major(session, major.id, actor=who.name, store=store.evidence)
        return _answer(request, session, major)
