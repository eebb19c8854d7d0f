"""8D authoring over the API: read, pre-fill, draft, edit, sign, approve, amend.

The body is ``results.eightd_form.EightDForm``, the same model the CLI reads from ``--from FILE``,
so both entry points accept exactly the same content. Approval is QA's and not the author's
(403, as for reports); a step that does not fit the version's state is 409.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from results.accounts import Principal
from results.complaints import get_complaint
from results.eightd_form import EightDForm
from results.eightd_prefill import prefill_from_records
from results.eightd_versions import (
    EightDStateError,
    SeparationOfDuties,
    amend,
    draft,
    edit,
    sign,
    view,
)
from results.reports.model import to_plain
from service.api.body import ApiBody
from service.auth import QaUser, Reader, Writer, store_of
from service.errors import Conflict, Forbidden

router = APIRouter(prefix="/api", tags=["eightd"])
Reason = Annotated[str, Field(max_length=4000)]


class EditIn(ApiBody):
    content: EightDForm
    reason: Reason = ""


class SignIn(ApiBody):
    meaning: Literal["authored", "reviewed"]


class AmendIn(ApiBody):
    reason: Reason
    content: EightDForm | None = None


def _dict(session: Session, complaint_id: int) -> dict[str, Any]:
    found = view(session, complaint_id)
    return dataclasses.asdict(found) | {"content": to_plain(found.content)}


def _sign(session: Session, complaint_id: int, who: Principal, meaning: str) -> None:
    try:
        sign(
            session,
            complaint_id,
            signer=who.name,
            printed_name=who.printed_name,
            meaning=meaning,
        )
    except SeparationOfDuties as exc:
        raise Forbidden(str(exc)) from exc
    except EightDStateError as exc:
        raise Conflict(str(exc)) from exc


@router.get("/complaints/{number}/eightd")
def show_eightd(
    number: str,
    request: Request,
    who: Reader,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    with store_of(request).sessions() as session:
        complaint_id = get_complaint(session, number).id
        found = view(session, complaint_id, version)
        return dataclasses.asdict(found) | {"content": to_plain(found.content)}


@router.get("/complaints/{number}/eightd/prefill")
def prefill_eightd(number: str, request: Request, who: Reader, lang: str = "en") -> dict[str, Any]:
    """A proposed 8D from the complaint and its runs (nothing written)."""
    with store_of(request).sessions() as session:
        form = prefill_from_records(session, get_complaint(session, number).id, lang)
    return form.model_dump(mode="json")


@router.post("/complaints/{number}/eightd", status_code=201)
def draft_eightd(number: str, body: EightDForm, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint_id = get_complaint(session, number).id
        try:
            draft(session, complaint_id, body, actor=who.name)
        except EightDStateError as exc:
            raise Conflict(str(exc)) from exc
        return _dict(session, complaint_id)


@router.put("/complaints/{number}/eightd")
def edit_eightd(number: str, body: EditIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint_id = get_complaint(session, number).id
        try:
            edit(session, complaint_id, body.content, actor=who.name, reason=body.reason)
        except EightDStateError as exc:
            raise Conflict(str(exc)) from exc
        return _dict(session, complaint_id)


@router.post("/complaints/{number}/eightd/sign")
def sign_eightd(number: str, body: SignIn, request: Request, who: Writer) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint_id = get_complaint(session, number).id
        _sign(session, complaint_id, who, body.meaning)
        return _dict(session, complaint_id)


@router.post("/complaints/{number}/eightd/approve")
def approve_eightd(number: str, request: Request, who: QaUser) -> dict[str, Any]:
    """Approve (QA only, not the author): the version is frozen from then on."""
    with store_of(request).sessions.begin() as session:
        complaint_id = get_complaint(session, number).id
        _sign(session, complaint_id, who, "approved")
        return _dict(session, complaint_id)


@router.post("/complaints/{number}/eightd/amend", status_code=201)
def amend_eightd(number: str, body: AmendIn, request: Request, who: QaUser) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        complaint_id = get_complaint(session, number).id
        try:
            amend(session, complaint_id, actor=who.name, reason=body.reason, form=body.content)
        except EightDStateError as exc:
            raise Conflict(str(exc)) from exc
        return _dict(session, complaint_id)
