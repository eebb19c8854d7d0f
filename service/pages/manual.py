"""Page forms of the complaint manual's extras: the major-complaint path and customer replies.

Each form posts to one route here that calls the same ``results`` function as the API, then
redirects back to the complaint page (post/redirect/get). ``manual_context`` gathers what the
complaint page shows of both, so ``routes.complaint_page`` only adds it to its template context.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from results.accounts import Principal
from results.complaints import get_complaint
from results.errors import NotFound, ValidationError
from results.major import (
    Decision,
    close_major,
    escalate,
    link_acceptance,
    major_for,
    open_containment,
    record_meeting,
    record_supplier_notification,
)
from results.manual_models import MajorComplaint
from results.models import Complaint
from results.replies import (
    approve_promise,
    create_reply,
    export_reply,
    get_reply,
    record_follow_up,
    revise_reply,
    send_reply,
)
from service.api.params import RowId
from service.auth import QA_ONLY, WRITE, check_role, store_of
from service.notify import channel_of, group_of
from service.pages.render import page_user
from service.pages.routes import posted_form

router = APIRouter(include_in_schema=False)


def _back(number: str, done: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/complaints/{number}?done={done}#{anchor}", status_code=303)


def _major(session: Session, number: str) -> MajorComplaint:
    major = major_for(session, get_complaint(session, number).id)
    if major is None:
        raise NotFound("major complaint of", number)
    return major


def _when(field: str, text: str) -> datetime:
    """A ``datetime-local`` value (no zone): the pages show and take UTC throughout."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, f"{text!r} is not a date and time", "pick one") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(field: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, f"{text!r} is not a date", "pick one") from None


def _decisions(text: str) -> list[Decision]:
    """One decision a line, ``what | owner``: the form stays a plain textarea (no script)."""
    decisions = []
    for line in text.splitlines():
        if not line.strip():
            continue
        what, _, owner = line.rpartition("|")
        if not what.strip():
            raise ValidationError(
                "decisions", f"{line.strip()!r} has no owner", "write 'decision | owner'"
            )
        decisions.append(Decision(what.strip(), owner.strip()))
    return decisions


async def _act(request: Request, roles: frozenset[Any], work: Any) -> None:
    user, fields = await posted_form(request)
    check_role(user, roles)
    store = store_of(request)

    def write() -> None:
        with store.sessions.begin() as session:
            work(session, user, fields)

    await run_in_threadpool(write)


@router.post("/complaints/{number}/major/escalate")
async def escalate_page(number: str, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        complaint = get_complaint(session, number)
        escalate(
            session,
            complaint.id,
            group=group_of(request),
            channel=channel_of(request),
            actor=user.name,
            key_customer=fields.get("key_customer") == "on",
        )

    await _act(request, QA_ONLY, work)
    return _back(number, "escalated", "major")


@router.post("/complaints/{number}/major/containment")
async def containment_page(number: str, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        qty = fields.get("stock_frozen_qty", "").strip()
        if not qty.isdigit():
            raise ValidationError("stock_frozen_qty", f"{qty!r}", "give a count (0 or more)")
        open_containment(
            session,
            _major(session, number).id,
            stock_frozen_qty=int(qty),
            locations=fields.get("locations", ""),
            production_hold=fields.get("production_hold") == "on",
            actor=user.name,
        )

    await _act(request, WRITE, work)
    return _back(number, "contained", "major")


@router.post("/complaints/{number}/major/meeting")
async def meeting_page(number: str, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        record_meeting(
            session,
            _major(session, number).id,
            held_at=_when("held_at", fields.get("held_at", "")),
            attendees=fields.get("attendees", "").split(","),
            decisions=_decisions(fields.get("decisions", "")),
            actor=user.name,
        )

    await _act(request, WRITE, work)
    return _back(number, "meeting_recorded", "major")


@router.post("/complaints/{number}/major/supplier")
async def supplier_page(number: str, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        address = fields.get("address", "").strip() or None
        record_supplier_notification(
            session,
            _major(session, number).id,
            supplier=fields.get("supplier", ""),
            reference=fields.get("reference", ""),
            content=fields.get("content", ""),
            actor=user.name,
            channel=channel_of(request) if address else None,
            address=address,
        )

    await _act(request, WRITE, work)
    return _back(number, "supplier_notified", "major")


@router.post("/complaints/{number}/major/acceptance")
async def acceptance_page(number: str, request: Request) -> Response:
    store = store_of(request)

    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        sha = fields.get("sha256", "")
        link_acceptance(session, store.evidence, _major(session, number).id, sha, actor=user.name)

    await _act(request, WRITE, work)
    return _back(number, "acceptance_linked", "major")


@router.post("/complaints/{number}/major/close")
async def close_page(number: str, request: Request) -> Response:
    store = store_of(request)

    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        close_major(session, _major(session, number).id, actor=user.name, store=store.evidence)

    await _act(request, QA_ONLY, work)
    return _back(number, "major_closed", "major")


@router.post("/complaints/{number}/replies")
async def draft_page(number: str, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        body = fields.get("body", "")
        create_reply(
            session,
            get_complaint(session, number).id,
            language=fields.get("language", "en"),
            actor=user.name,
            follow_up_due=_day("follow_up_due", fields.get("follow_up_due", "")),
            body=body if body.strip() else None,
        )

    await _act(request, WRITE, work)
    return _back(number, "reply_drafted", "replies")


@router.post("/complaints/{number}/promises")
async def promise_page(number: str, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        kind, value = fields.get("kind", ""), fields.get("value", "").strip()
        complaint_id = get_complaint(session, number).id
        note = fields.get("note", "")
        if kind == "amount":
            try:
                amount = float(value)
            except ValueError:
                raise ValidationError("amount", f"{value!r}", "give a number like 200") from None
            currency = fields.get("currency", "")
            approve_promise(
                session, complaint_id, actor=user.name, amount=amount, currency=currency, note=note
            )
        elif kind == "date":
            approve_promise(
                session, complaint_id, actor=user.name, on_date=_day("on_date", value), note=note
            )
        elif kind == "days" and value.isdigit():
            approve_promise(session, complaint_id, actor=user.name, days=int(value), note=note)
        else:
            raise ValidationError("promise", f"{kind!r} {value!r}", "pick amount, date or days")

    await _act(request, QA_ONLY, work)
    return _back(number, "promise_approved", "replies")


def _reply_number(session: Session, reply_id: int) -> str:
    complaint = session.get(Complaint, get_reply(session, reply_id).complaint_id)
    return complaint.number if complaint else ""


async def _reply_act(request: Request, reply_id: int, roles: frozenset[Any], work: Any) -> str:
    numbers: list[str] = []

    def wrapped(session: Session, user: Principal, fields: dict[str, str]) -> None:
        numbers.append(_reply_number(session, reply_id))
        work(session, user, fields)

    await _act(request, roles, wrapped)
    return numbers[0]


@router.post("/replies/{reply_id}/edit")
async def edit_page(reply_id: RowId, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        revise_reply(session, reply_id, fields.get("body", ""), actor=user.name)

    number = await _reply_act(request, reply_id, WRITE, work)
    return _back(number, "reply_saved", f"reply-{reply_id}")


@router.post("/replies/{reply_id}/send")
async def send_page(reply_id: RowId, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        send_reply(
            session,
            reply_id,
            channel=channel_of(request),
            address=fields.get("address", "").strip(),
            actor=user.name,
        )

    number = await _reply_act(request, reply_id, QA_ONLY, work)
    return _back(number, "reply_sent", f"reply-{reply_id}")


@router.post("/replies/{reply_id}/follow-up")
async def follow_up_page(reply_id: RowId, request: Request) -> Response:
    def work(session: Session, user: Principal, fields: dict[str, str]) -> None:
        record_follow_up(session, reply_id, note=fields.get("note", ""), actor=user.name)

    number = await _reply_act(request, reply_id, WRITE, work)
    return _back(number, "followed_up", f"reply-{reply_id}")


@router.get("/replies/{reply_id}/export")
def export_page(reply_id: RowId, request: Request) -> Response:
    """The letter as a text download; a broken rule shows the error page (409) with every hit."""
    user, _ = page_user(request)
    check_role(user, WRITE)
    with store_of(request).sessions() as session:
        text = export_reply(session, reply_id)
    return PlainTextResponse(
        text, headers={"Content-Disposition": f'attachment; filename="reply-{reply_id}.txt"'}
    )
