"""Customer replies: draft (en or zh_CN), edit, check, approve promises, export, send, follow up.

The rules live in ``results.replies``/``reply_rules``; these endpoints only expose them. Export
and send answer 409 with every hit (sentence, rule, why) while the text breaks a rule, so the
writer fixes all of them in one pass. Approving what the company will offer is QA's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from results.complaints import get_complaint
from results.manual_models import ApprovedPromise, CustomerReply
from results.models import Complaint
from results.replies import (
    approve_promise,
    check_reply,
    create_reply,
    export_reply,
    get_reply,
    overdue_follow_ups,
    record_follow_up,
    revise_reply,
    send_reply,
)
from service.api.body import ApiBody
from service.api.params import RowId
from service.auth import QaUser, Reader, Writer, store_of
from service.errors import issue_dict
from service.notify import channel_of
from service.views import iso

router = APIRouter(prefix="/api", tags=["customer replies"])
Letter = Annotated[str, Field(min_length=1, max_length=20_000)]
Language = Annotated[str, Field(pattern="^(en|zh_CN)$")]


class ReplyIn(ApiBody):
    language: Language
    follow_up_due: date | None = None
    body: Letter | None = None
    """Omit to have the letter drafted from the records (conclusion, disposition, advice)."""


class ReviseIn(ApiBody):
    body: Letter


class PromiseIn(ApiBody):
    amount: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = None
    currency: Annotated[str, Field(pattern="^[A-Za-z]{3}$")] | None = None
    on_date: date | None = None
    days: Annotated[int, Field(ge=1, le=3650)] | None = None
    offer: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """Compensation in kind (e.g. a free replacement), approved without an amount."""
    note: Annotated[str, Field(max_length=2000)] = ""


class SendIn(ApiBody):
    address: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


class FollowUpIn(ApiBody):
    note: Annotated[str, Field(min_length=1, max_length=4000)]


def reply_dict(session: Session, reply: CustomerReply) -> dict[str, Any]:
    complaint = session.get(Complaint, reply.complaint_id)
    return {
        "id": reply.id,
        "complaint": complaint.number if complaint else None,
        "language": reply.language,
        "status": reply.status,
        "body": reply.body,
        "drafted_at": iso(reply.drafted_at),
        "drafted_by": reply.drafted_by,
        "sent_at": iso(reply.sent_at),
        "sent_by": reply.sent_by,
        "follow_up_due": reply.follow_up_due.isoformat(),
        "followed_up_at": iso(reply.followed_up_at),
        "follow_up_note": reply.follow_up_note,
        "issues": [issue_dict(i) for i in check_reply(session, reply.id)],
    }


def promise_dict(p: ApprovedPromise) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "amount": p.amount,
        "currency": p.currency,
        "on_date": p.on_date.isoformat() if p.on_date else None,
        "days": p.days,
        "note": p.note,
        "approved_by": p.approved_by,
        "approved_at": iso(p.approved_at),
    }


@router.post("/complaints/{number}/replies", status_code=201)
def draft_reply(number: str, body: ReplyIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        reply = create_reply(
            session,
            complaint.id,
            language=body.language,
            actor=who.name,
            follow_up_due=body.follow_up_due,
            body=body.body,
        )
        return reply_dict(session, reply)


@router.get("/complaints/{number}/replies")
def list_replies(number: str, request: Request, who: Reader) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        rows = session.scalars(
            select(CustomerReply)
            .where(CustomerReply.complaint_id == complaint.id)
            .order_by(CustomerReply.id)
        )
        return [reply_dict(session, r) for r in rows]


@router.post("/complaints/{number}/promises", status_code=201)
def approve(number: str, body: PromiseIn, request: Request, who: QaUser) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint = get_complaint(session, number)
        row = approve_promise(session, complaint.id, actor=who.name, **body.model_dump())
        return promise_dict(row)


@router.get("/complaints/{number}/promises")
def list_promises(number: str, request: Request, who: Reader) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        rows = session.scalars(
            select(ApprovedPromise)
            .where(ApprovedPromise.complaint_id == complaint.id)
            .order_by(ApprovedPromise.id)
        )
        return [promise_dict(p) for p in rows]


@router.get("/replies/{reply_id}")
def show_reply(reply_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        return reply_dict(session, get_reply(session, reply_id))


@router.put("/replies/{reply_id}")
def edit_reply(reply_id: RowId, body: ReviseIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        return reply_dict(session, revise_reply(session, reply_id, body.body, actor=who.name))


@router.get("/replies/{reply_id}/check")
def check(reply_id: RowId, request: Request, who: Reader) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        issues = check_reply(session, reply_id)
    return {"ok": not issues, "issues": [issue_dict(i) for i in issues]}


@router.get("/replies/{reply_id}/export", response_class=PlainTextResponse)
def export(reply_id: RowId, request: Request, who: Writer) -> PlainTextResponse:
    with store_of(request).sessions() as session:
        text = export_reply(session, reply_id)
    return PlainTextResponse(
        text, headers={"Content-Disposition": f'attachment; filename="reply-{reply_id}.txt"'}
    )


@router.post("/replies/{reply_id}/send")
def send(reply_id: RowId, body: SendIn, request: Request, who: QaUser) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        reply = send_reply(
            session, reply_id, channel=channel_of(request), address=body.address, actor=who.name
        )
        return reply_dict(session, reply)


@router.post("/replies/{reply_id}/follow-up")
def follow_up(reply_id: RowId, body: FollowUpIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        return reply_dict(
            session, record_follow_up(session, reply_id, note=body.note, actor=who.name)
        )


@router.get("/follow-ups/overdue")
def overdue(request: Request, who: Reader) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        due = overdue_follow_ups(session, datetime.now(UTC).date())
    return [
        {
            "complaint": d.complaint_number,
            "reply_id": d.reply_id,
            "due": d.due.isoformat(),
            "days_late": d.days_late,
        }
        for d in due
    ]
