"""Containment on every complaint, claims and the feedback form that closes a complaint (issue 14,
items 3, 7 and 8).

Containment is QA's record; claims are the sales side's, with the two sign-offs above RMB 25,000
reserved to the regional sales manager (approve) and the sales general manager (confirm), whose
roles ``results.claims`` checks against the store; the feedback form is approved by the QA
manager. Closing answers 409 naming every blocker (``results.closure``), so the caller learns
the whole list at once. Amounts travel as strings ("38000.50"): JSON numbers are floats.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, Field
from sqlalchemy.orm import Session

from results.accounts import Principal, Role
from results.claims import (
    ClaimView,
    SettlementWay,
    approve_claim,
    claims_of,
    confirm_claim,
    open_claim,
    reject_claim,
    settle_claim,
)
from results.closure import closure_blockers
from results.complaints import get_complaint
from results.containment import (
    ActionKind,
    Area,
    open_action,
    record_check,
    release_action,
)
from results.containment_status import containment_status
from results.feedback import approve_feedback, close_complaint, feedback_of, write_feedback
from results.models import Complaint
from service.api.body import ApiBody
from service.api.params import RowId
from service.auth import Reader, require, store_of

router = APIRouter(prefix="/api", tags=["containment, claims, closure"])

CONTAINMENT = frozenset({Role.QA, Role.QA_MANAGER, Role.TECHNICIAN})
"""Who records checks and measures: QA and its technicians (the warehouse reports through them)."""
CLAIMS = frozenset(
    {Role.QA, Role.QA_MANAGER, Role.REGIONAL_SALES_MANAGER, Role.SALES_GENERAL_MANAGER}
)
"""Who opens, settles and rejects claims; the sign-offs need their own role on top."""
SIGN_OFF = frozenset({Role.REGIONAL_SALES_MANAGER, Role.SALES_GENERAL_MANAGER})
CLOSING = frozenset({Role.QA, Role.QA_MANAGER})
Containing = Annotated[Principal, Depends(require(CONTAINMENT))]
Claiming = Annotated[Principal, Depends(require(CLAIMS))]
SigningOff = Annotated[Principal, Depends(require(SIGN_OFF))]
Closing = Annotated[Principal, Depends(require(CLOSING))]
QaManager = Annotated[Principal, Depends(require(frozenset({Role.QA_MANAGER})))]

Count = Annotated[int, Field(ge=0, le=2_147_483_647)]
Short = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(max_length=4000)]
Required = Annotated[str, Field(min_length=1, max_length=4000)]


class CheckIn(ApiBody):
    area: Area
    qty_checked: Count
    qty_bad: Count
    note: Text = ""
    at: AwareDatetime | None = None


class ActionIn(ApiBody):
    kind: ActionKind
    owner: Short
    qty_affected: Count
    location: Text = ""
    description: Text = ""
    at: AwareDatetime | None = None


class ReleaseIn(ApiBody):
    note: Required
    qty_released: Count | None = None
    at: AwareDatetime | None = None


class ClaimIn(ApiBody):
    complaint_number: Annotated[str, Field(min_length=1, max_length=32)]
    amount_rmb: Annotated[str, Field(pattern=r"^\s*\d{1,12}(\.\d{1,2})?\s*$")]
    basis: Required
    settlement_way: SettlementWay
    case_description: Annotated[str, Field(max_length=20000)] = ""


class SettleIn(ApiBody):
    reference: Annotated[str, Field(min_length=1, max_length=2000)]


class RejectIn(ApiBody):
    reason: Required


class FeedbackIn(ApiBody):
    proposed_solution: Annotated[str, Field(min_length=1, max_length=20000)]


class CloseIn(ApiBody):
    note: Text | None = None


def _containment(session: Session, number: str) -> dict[str, Any]:
    return containment_status(session, get_complaint(session, number), datetime.now(UTC))


def _claim(view: ClaimView) -> dict[str, Any]:
    values = asdict(view)
    values["amount_rmb"] = str(view.amount_rmb)
    values["missing_for_settlement"] = list(view.missing_for_settlement)
    return values


def _claim_of(session: Session, claim_id: int, complaint_id: int) -> dict[str, Any]:
    [view] = [v for v in claims_of(session, complaint_id) if v.id == claim_id]
    return _claim(view)


@router.get("/complaints/{number}/containment")
def show_containment(number: str, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return _containment(session, number)


@router.post("/complaints/{number}/containment/checks", status_code=201)
def add_check(number: str, body: CheckIn, request: Request, who: Containing) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        record_check(
            session,
            complaint.id,
            area=body.area,
            qty_checked=body.qty_checked,
            qty_bad=body.qty_bad,
            note=body.note,
            actor=who.name,
            at=body.at,
        )
        return _containment(session, number)


@router.post("/complaints/{number}/containment/actions", status_code=201)
def add_action(number: str, body: ActionIn, request: Request, who: Containing) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        open_action(
            session,
            complaint.id,
            kind=body.kind,
            owner=body.owner,
            qty_affected=body.qty_affected,
            location=body.location,
            description=body.description,
            actor=who.name,
            at=body.at,
        )
        return _containment(session, number)


@router.post("/containment/actions/{action_id}/release")
def release(action_id: RowId, body: ReleaseIn, request: Request, who: Containing) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = release_action(
            session,
            action_id,
            actor=who.name,
            note=body.note,
            qty_released=body.qty_released,
            at=body.at,
        )
        complaint = session.get(Complaint, row.complaint_id)
        assert complaint is not None  # foreign key
        return _containment(session, complaint.number)


@router.get("/complaints/{number}/claims")
def list_claims(number: str, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        return {
            "complaint": number,
            "claims": [_claim(v) for v in claims_of(session, complaint.id)],
        }


@router.post("/claims", status_code=201)
def new_claim(body: ClaimIn, request: Request, who: Claiming) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = open_claim(
            session,
            body.complaint_number,
            amount_rmb=Decimal(body.amount_rmb.strip()),
            basis=body.basis,
            settlement_way=body.settlement_way,
            case_description=body.case_description,
            actor=who.name,
        )
        return _claim_of(session, row.id, row.complaint_id)


@router.post("/claims/{claim_id}/approve")
def approve(claim_id: RowId, request: Request, who: SigningOff) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = approve_claim(session, claim_id, actor=who.name)
        return _claim_of(session, row.id, row.complaint_id)


@router.post("/claims/{claim_id}/confirm")
def confirm(claim_id: RowId, request: Request, who: SigningOff) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = confirm_claim(session, claim_id, actor=who.name)
        return _claim_of(session, row.id, row.complaint_id)


@router.post("/claims/{claim_id}/settle")
def settle(claim_id: RowId, body: SettleIn, request: Request, who: Claiming) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = settle_claim(session, claim_id, actor=who.name, reference=body.reference)
        return _claim_of(session, row.id, row.complaint_id)


@router.post("/claims/{claim_id}/reject")
def reject(claim_id: RowId, body: RejectIn, request: Request, who: Claiming) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = reject_claim(session, claim_id, actor=who.name, reason=body.reason)
        return _claim_of(session, row.id, row.complaint_id)


def _closure(session: Session, number: str) -> dict[str, Any]:
    complaint = get_complaint(session, number)
    form = feedback_of(session, complaint.id)
    return {
        "complaint": number,
        "status": complaint.status,
        "feedback": None
        if form is None
        else {
            "proposed_solution": form.proposed_solution,
            "drafted_by": form.drafted_by,
            "drafted_at": form.drafted_at,
            "approved_by": form.approved_by,
            "approved_at": form.approved_at,
        },
        "blockers": closure_blockers(session, complaint.id),
    }


@router.get("/complaints/{number}/closure")
def show_closure(number: str, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return _closure(session, number)


@router.put("/complaints/{number}/feedback")
def put_feedback(number: str, body: FeedbackIn, request: Request, who: Closing) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        write_feedback(
            session, complaint.id, proposed_solution=body.proposed_solution, actor=who.name
        )
        return _closure(session, number)


@router.post("/complaints/{number}/feedback/approve")
def approve_form(number: str, request: Request, who: QaManager) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        approve_feedback(session, complaint.id, actor=who.name)
        return _closure(session, number)


@router.post("/complaints/{number}/close")
def close(number: str, body: CloseIn, request: Request, who: Closing) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        close_complaint(session, complaint.id, actor=who.name, note=body.note)
        return _closure(session, number)
