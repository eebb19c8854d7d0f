"""The complaint process on one page per complaint: the returns (notice, receipt, inspection
request that creates the units) and the units' path, containment, pauses, claims with their
sign-offs, the customer feedback form, the status and closure.

Each form posts to ``/complaints/{number}/process/{action}``; the action validates the fields
with the API's body model and calls the same ``results`` function as the API (which audits), so
there is no second implementation of any rule here. A refusal re-renders the page with each
message beside its field (422, nothing written); success redirects back (post/redirect/get).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from results.accounts import Principal, Role
from results.claims import (
    SettlementWay,
    approve_claim,
    claims_of,
    confirm_claim,
    open_claim,
    reject_claim,
    requirement_code,
    settle_claim,
)
from results.clock_records import (
    PauseKind,
    end_pause,
    events_of,
    pause_sentences,
    pauses_of,
    start_pause,
)
from results.clocks import complaint_clocks
from results.closure import closure_blocker_messages
from results.complaint_status import ComplaintStatus
from results.complaints import (
    DISPOSITIONS,
    get_complaint,
    set_unit_status,
)
from results.containment import (
    ActionKind,
    Area,
    containment_actions,
    containment_checks,
    open_action,
    record_check,
    release_action,
)
from results.errors import NotFound, ValidationError
from results.feedback import approve_feedback, close_complaint, feedback_of, write_feedback
from results.messages import Message
from results.models import Complaint, UnitStatus
from results.returns import (
    NoticeForm,
    ReceiptForm,
    create_notice,
    create_request,
    get_notice,
    receive,
    returns_of,
)
from results.unit_path import allowed_next
from results.workflow import allowed_from, transition
from service.api.clocks import PauseEndIn, PauseStartIn
from service.api.complaints import TransitionIn, UnitStatusIn
from service.api.containment import (
    CLAIMS,
    CLOSING,
    CONTAINMENT,
    SIGN_OFF,
    ActionIn,
    CheckIn,
    ClaimIn,
    CloseIn,
    FeedbackIn,
    RejectIn,
    ReleaseIn,
    SettleIn,
)
from service.api.returns import RequestIn, request_data
from service.auth import QA_ONLY, WRITE, check_role, store_of
from service.i18n import Translator, translator
from service.pages.forms import (
    FORM_LEVEL,
    FormRefused,
    Posted,
    as_int,
    as_utc,
    checkbox,
    checked,
    filled,
    guarded,
    placed,
    read_posted,
    shown_errors,
    upload_text,
)
from service.pages.render import locale_of, page, page_user

router = APIRouter(include_in_schema=False)
QA_MANAGER = frozenset({Role.QA_MANAGER})
TYPED_UNIT_ROWS = 5
"""Blank serial/lot rows the request form offers for typing (more go in the scan field)."""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------- the process page


def blocker_kind(message: Message) -> str:
    """The heading a closure blocker is listed under: its key names it
    (``closure.claim_open`` -> ``claim``)."""
    return message.key.removeprefix("closure.").split("_")[0]


NUMBERED_CLOCK = re.compile(r"(?P<name>[a-z_]+?)_(?P<n>[0-9]+)")
"""A clock there is one of per event (``analysis_after_new_info_2``: the second new information
from the customer), labelled by its base name with the number."""


def clock_label(t: Translator, name: str) -> str:
    """The row label of a ``results.clocks.complaint_clocks`` clock in the page's language."""
    numbered = NUMBERED_CLOCK.fullmatch(name)
    if numbered is not None:
        return t(f"clock.{numbered['name']}", n=numbered["n"])
    return t.enum("clock", name)


def field_label(t: Translator, name: str) -> str:
    """A store field a refusal names (``confirmed_by``) as the process page labels it, where the
    page has a label of that name; otherwise the name itself."""
    key = f"proc.{name}"
    return t(key) if key in t.own else name


def process_context(session: Session, complaint: Complaint, locale: str) -> dict[str, Any]:
    """Everything the process page shows of one complaint, read through the same functions
    as the API's GET answers."""
    checks = containment_checks(session, complaint.id)
    now = datetime.now(UTC)

    t = translator(locale)
    claims = claims_of(session, complaint.id)
    return {
        "c": complaint,
        "returns": returns_of(session, complaint.number),
        "units": [
            (u, [s.value for s in allowed_next(u.status)])
            for u in sorted(complaint.units, key=lambda u: (u.serial, u.id))
        ],
        "dispositions": DISPOSITIONS,
        "checks": checks,
        "actions": containment_actions(session, complaint.id),
        "pauses": pauses_of(session, complaint.id),
        "clock_events": events_of(session, complaint.id),
        "deadlines": [
            (c, c.state(now), clock_label(t, c.name))
            for c in complaint_clocks(session, complaint.id)
        ],
        "pause_sentences": pause_sentences(session, complaint.id, locale),
        "claims": claims,
        "claim_missing": {
            k.id: [t(f"claim_missing.{requirement_code(m)}") for m in k.missing_for_settlement]
            for k in claims
        },
        "feedback": feedback_of(session, complaint.id),
        "blockers": [
            (blocker_kind(b), t.message(b)) for b in closure_blocker_messages(session, complaint.id)
        ],
        "areas": [a.value for a in Area],
        "action_kinds": [k.value for k in ActionKind],
        "pause_kinds": [k.value for k in PauseKind],
        "settlement_ways": [w.value for w in SettlementWay],
        "typed_rows": range(TYPED_UNIT_ROWS),
        "next_statuses": [
            s.value for s in allowed_from(complaint.status) if s is not ComplaintStatus.CLOSED
        ],
    }


def _process_page(
    request: Request,
    user: Principal,
    token: str,
    number: str,
    *,
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        context = process_context(session, complaint, locale_of(request))
        return page(
            request,
            "process.html",
            lang_path=f"/complaints/{number}/process",
            user=user,
            session_token=token,
            status_code=status_code,
            values={} if form is None else {form: values or {}},
            errors={} if form is None else {form: errors or {}},
            role=user.role,
            can_write=user.role in WRITE,
            can_contain=user.role in CONTAINMENT,
            can_claim=user.role in CLAIMS,
            can_sign_off=user.role in SIGN_OFF,
            can_close=user.role in CLOSING,
            is_qa_manager=user.role is Role.QA_MANAGER,
            message=request.query_params.get("done"),
            **context,
        )


@router.get("/complaints/{number}/process", response_class=HTMLResponse)
def process_page(number: str, request: Request) -> HTMLResponse:
    user, token = page_user(request)
    return _process_page(request, user, token, number)


# ---------------------------------------------------------------- the actions


@dataclass(frozen=True)
class Action:
    """One form of the process page: who may post it, what it writes, where it lands."""

    roles: frozenset[Role]
    work: Callable[[Session, Complaint, Posted], None]
    anchor: str


def _row_id(posted: Posted) -> int:
    text = posted.fields.get("row", "")
    if not text.isdigit():
        raise FormRefused({FORM_LEVEL: "the form names no record; reload the page"})
    return int(text)


def _notice_id(session: Session, complaint: Complaint, posted: Posted) -> int:
    notice = get_notice(session, _row_id(posted))
    if notice.complaint_id != complaint.id:
        raise NotFound("return notice of " + complaint.number, notice.id)
    return notice.id


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _notice(session: Session, complaint: Complaint, posted: Posted) -> None:
    f = posted.fields
    form = checked(
        NoticeForm,
        {
            "quantity_expected": as_int(f.get("quantity_expected", "")),
            "lots": _lines(f.get("lots", "")),
            **filled(f, ("carrier_ref", "sales_person", "note")),
        },
    )
    create_notice(session, complaint.number, form.model_dump(), actor=posted.user.name)


def _receipt(session: Session, complaint: Complaint, posted: Posted) -> None:
    f = posted.fields
    data: dict[str, Any] = {"quantity_received": as_int(f.get("quantity_received", ""))}
    data |= filled(f, ("discrepancies",))
    if f.get("received_at", "").strip():
        data["received_at"] = as_utc(f["received_at"])
    form = checked(ReceiptForm, data)
    receive(
        session, _notice_id(session, complaint, posted), form.model_dump(), actor=posted.user.name
    )


def _typed_units(fields: dict[str, str]) -> list[dict[str, str]]:
    rows = []
    for i in range(TYPED_UNIT_ROWS):
        serial = fields.get(f"units.{i}.serial", "").strip()
        lot = fields.get(f"units.{i}.lot", "").strip()
        if serial or lot:
            rows.append({"serial": serial, "lot": lot})
    return rows


def _inspection_request(session: Session, complaint: Complaint, posted: Posted) -> None:
    f = posted.fields
    body = checked(
        RequestIn,
        {
            "units": _typed_units(f),
            "scanned": f.get("scanned", ""),
            "csv": f.get("csv", ""),
            "analyses": _lines(f.get("analyses", "").replace(",", "\n")),
            "override_reason": f.get("override_reason", ""),
        },
    )
    notice_id = _notice_id(session, complaint, posted)
    try:
        data = request_data(body)
    except ValidationError as exc:  # the scan field or the file, named as the page names them
        where = "csv_file" if exc.field.startswith("csv") else "scanned"
        raise FormRefused({where: f"{exc.field}: {exc.problem}; {exc.fix}"}) from None
    create_request(session, notice_id, data, actor=posted.user.name)


def _unit_status(session: Session, complaint: Complaint, posted: Posted) -> None:
    """A unit along its path (``results.unit_path`` guards each move); the disposition is QA's."""
    unit_id = _row_id(posted)
    if unit_id not in {u.id for u in complaint.units}:
        raise NotFound("returned unit of " + complaint.number, unit_id)
    body = checked(UnitStatusIn, filled(posted.fields, ("status", "disposition", "reason")))
    if body.status == UnitStatus.DISPOSITIONED.value:
        check_role(posted.user, QA_ONLY)
    set_unit_status(session, unit_id, **body.model_dump(), actor=posted.user.name)


def _check(session: Session, complaint: Complaint, posted: Posted) -> None:
    f = posted.fields
    body = checked(CheckIn, filled(f, ("area", "qty_checked", "qty_bad", "note")))
    record_check(session, complaint.id, **body.model_dump(), actor=posted.user.name)


def _open_action(session: Session, complaint: Complaint, posted: Posted) -> None:
    names = ("kind", "owner", "qty_affected", "location", "description")
    body = checked(ActionIn, filled(posted.fields, names))
    open_action(session, complaint.id, **body.model_dump(), actor=posted.user.name)


def _release(session: Session, complaint: Complaint, posted: Posted) -> None:
    action_id = _row_id(posted)
    if action_id not in {a.id for a in containment_actions(session, complaint.id)}:
        raise NotFound("containment action of " + complaint.number, action_id)
    body = checked(ReleaseIn, filled(posted.fields, ("note", "qty_released")))
    release_action(session, action_id, **body.model_dump(), actor=posted.user.name)


def _pause_start(session: Session, complaint: Complaint, posted: Posted) -> None:
    f = posted.fields
    data: dict[str, Any] = filled(f, ("kind", "reason"))
    if f.get("started_at", "").strip():
        data["started_at"] = as_utc(f["started_at"])
    data["sales_informed"] = checkbox(f, "sales_informed")
    data["customer_informed"] = checkbox(f, "customer_informed")
    body = checked(PauseStartIn, data)
    start_pause(session, complaint.id, **body.model_dump(), actor=posted.user.name)


def _pause_end(session: Session, complaint: Complaint, posted: Posted) -> None:
    f = posted.fields
    data = {"ended_at": as_utc(f["ended_at"])} if f.get("ended_at", "").strip() else {}
    body = checked(PauseEndIn, data)
    end_pause(session, complaint.id, ended_at=body.ended_at, actor=posted.user.name)


def _claim_open(session: Session, complaint: Complaint, posted: Posted) -> None:
    names = ("amount_rmb", "basis", "settlement_way", "case_description")
    body = checked(ClaimIn, {"complaint_number": complaint.number} | filled(posted.fields, names))
    open_claim(
        session,
        body.complaint_number,
        amount_rmb=Decimal(body.amount_rmb.strip()),
        basis=body.basis,
        settlement_way=body.settlement_way,
        case_description=body.case_description,
        actor=posted.user.name,
    )


def _claim_id(session: Session, complaint: Complaint, posted: Posted) -> int:
    claim_id = _row_id(posted)
    if claim_id not in {c.id for c in claims_of(session, complaint.id)}:
        raise NotFound("claim of " + complaint.number, claim_id)
    return claim_id


def _claim_approve(session: Session, complaint: Complaint, posted: Posted) -> None:
    approve_claim(session, _claim_id(session, complaint, posted), actor=posted.user.name)


def _claim_confirm(session: Session, complaint: Complaint, posted: Posted) -> None:
    confirm_claim(session, _claim_id(session, complaint, posted), actor=posted.user.name)


def _claim_settle(session: Session, complaint: Complaint, posted: Posted) -> None:
    claim_id = _claim_id(session, complaint, posted)
    body = checked(SettleIn, filled(posted.fields, ("reference",)))
    settle_claim(session, claim_id, actor=posted.user.name, reference=body.reference)


def _claim_reject(session: Session, complaint: Complaint, posted: Posted) -> None:
    claim_id = _claim_id(session, complaint, posted)
    body = checked(RejectIn, filled(posted.fields, ("reason",)))
    reject_claim(session, claim_id, actor=posted.user.name, reason=body.reason)


def _feedback(session: Session, complaint: Complaint, posted: Posted) -> None:
    body = checked(FeedbackIn, filled(posted.fields, ("proposed_solution",)))
    write_feedback(
        session, complaint.id, proposed_solution=body.proposed_solution, actor=posted.user.name
    )


def _feedback_approve(session: Session, complaint: Complaint, posted: Posted) -> None:
    approve_feedback(session, complaint.id, actor=posted.user.name)


def _transition(session: Session, complaint: Complaint, posted: Posted) -> None:
    names = ("target", "reason", "decision", "rationale")
    body = checked(TransitionIn, filled(posted.fields, names))
    if body.target == ComplaintStatus.DECIDED.value:
        check_role(posted.user, QA_ONLY)  # the decision is QA's, as over the API
    transition(session, complaint.id, **body.model_dump(), actor=posted.user.name)


def _close(session: Session, complaint: Complaint, posted: Posted) -> None:
    body = checked(CloseIn, filled(posted.fields, ("note",)))
    close_complaint(session, complaint.id, actor=posted.user.name, note=body.note)


ACTIONS: dict[str, Action] = {
    "notice": Action(WRITE, _notice, "returns"),
    "receipt": Action(WRITE, _receipt, "returns"),
    "request": Action(WRITE, _inspection_request, "returns"),
    "unit_status": Action(WRITE, _unit_status, "units"),
    "check": Action(CONTAINMENT, _check, "containment"),
    "action": Action(CONTAINMENT, _open_action, "containment"),
    "release": Action(CONTAINMENT, _release, "containment"),
    "pause_start": Action(WRITE, _pause_start, "pauses"),
    "pause_end": Action(WRITE, _pause_end, "pauses"),
    "claim": Action(CLAIMS, _claim_open, "claims"),
    "claim_approve": Action(SIGN_OFF, _claim_approve, "claims"),
    "claim_confirm": Action(SIGN_OFF, _claim_confirm, "claims"),
    "claim_settle": Action(CLAIMS, _claim_settle, "claims"),
    "claim_reject": Action(CLAIMS, _claim_reject, "claims"),
    "feedback": Action(CLOSING, _feedback, "closure"),
    "feedback_approve": Action(QA_MANAGER, _feedback_approve, "closure"),
    "transition": Action(WRITE, _transition, "closure"),
    "close": Action(CLOSING, _close, "closure"),
}


def form_key(action: str, fields: dict[str, str]) -> str:
    """The form's name on the page: a per-row form (release, a claim's steps) carries its row."""
    row = fields.get("row", "")
    return f"{action}-{row}" if row else action


@router.post("/complaints/{number}/process/{action}")
async def process_action(number: str, action: str, request: Request) -> Response:
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise NotFound("process action", action)
    posted = await read_posted(request)
    check_role(posted.user, chosen.roles)
    store = store_of(request)

    def write() -> None:
        with store.sessions.begin() as session:
            chosen.work(session, get_complaint(session, number), posted)

    try:
        csv_text = await upload_text(posted, "csv_file")
        if csv_text:
            posted.fields["csv"] = csv_text
        await run_in_threadpool(guarded, write)
    except FormRefused as refused:
        _user, token = page_user(request)
        shown = {k: v for k, v in posted.fields.items() if k not in ("csrf_token", "csv")}
        t = translator(locale_of(request))
        shown_text = shown_errors(refused, t)
        errors = placed(shown_text, [*posted.fields, *posted.files], partial(field_label, t))
        return _process_page(
            request,
            posted.user,
            token,
            number,
            form=form_key(action, posted.fields),
            values=shown,
            errors=errors,
            status_code=refused.status,
        )
    return _see_other(f"/complaints/{number}/process?done={action}#{chosen.anchor}")
