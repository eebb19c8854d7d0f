"""The 8D editor page: D0-D8 as one form per discipline, pre-filled, evidence picked by link.

The form's field names are the paths of ``results.eightd_form.EightDForm`` (``causes.0.kind``), so
the model's own refusal lands beside the input that caused it. A complaint without an 8D opens
with ``results.eightd_prefill``'s proposal; saving writes version 1 (``draft``) or edits the
draft; sign, approve and amend call ``results.eightd_versions`` as the API does, with the same
roles (approve and amend are QA's; the author may not approve).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from results.accounts import Principal, Role
from results.complaints import get_complaint
from results.eightd_form import EightDForm
from results.eightd_models import EightDVersion
from results.eightd_prefill import prefill_from_records
from results.eightd_versions import (
    EightDStateError,
    EightDView,
    SeparationOfDuties,
    amend,
    draft,
    edit,
    sign,
)
from results.reports.compose_eightd import CONTAINMENT_COLUMNS
from results.reports.labels import catalogue
from results.reports.model import to_plain
from service.auth import QA_ONLY, WRITE, check_role, store_of
from service.i18n import translator
from service.pages.eightd_view import current_eightd, evidence_choices
from service.pages.forms import (
    FORM_LEVEL,
    FormRefused,
    Posted,
    as_utc,
    checked,
    guarded,
    read_posted,
    shown_errors,
)
from service.pages.render import locale_of, page, page_user

router = APIRouter(include_in_schema=False)

BLANK_ROWS = 2
"""Empty rows each list offers for a new entry (save, and two more appear)."""
LISTS: dict[str, tuple[str, ...]] = {
    "team": ("name", "department", "role"),
    "containment": CONTAINMENT_COLUMNS,  # the same columns the report's D3 table shows
    "causes": ("kind", "description", "status", "method", "category"),
    "actions": ("phase", "description", "owner", "due", "done", "verification"),
}
CHOICES = {"role", "kind", "status", "phase"}
"""Select fields: they always carry a value, so they do not make a blank row an entry."""
WITH_EVIDENCE = ("causes", "actions")
PROBLEM = ("what", "where", "when", "who", "why", "how", "how_many")
CLOSURE = ("criteria", "closed_by", "closed_at", "customer_acceptance")


def flatten(form: EightDForm) -> dict[str, Any]:
    """The form's values under the editor's field names (evidence as ``kind:ref`` keys)."""
    plain = form.model_dump(mode="json")
    values: dict[str, Any] = {}
    for name in PROBLEM:
        values[f"problem.{name}"] = plain["problem"][name]
    for name in CLOSURE:
        value = plain["closure"][name]
        if name == "closed_at" and value:
            value = str(value)[:16]
        if name == "customer_acceptance":
            value = "" if value is None else ("yes" if value else "no")
        values[f"closure.{name}"] = value if value is not None else ""
    for group, names in LISTS.items():
        for i, row in enumerate(plain[group]):
            for name in names:
                value = row[name]
                if name == "frozen":
                    value = "on" if value else ""
                values[f"{group}.{i}.{name}"] = "" if value is None else str(value)
            for ref in row.get("evidence", []):
                values[f"{group}.{i}.evidence.{ref['kind']}:{ref['ref']}"] = "on"
    return values


def _row_count(values: dict[str, Any], group: str) -> int:
    indexes = [int(k.split(".")[1]) for k in values if k.startswith(group + ".")]
    return max(indexes, default=-1) + 1


def unflatten(fields: dict[str, str]) -> dict[str, Any]:
    """The posted editor as ``EightDForm`` data: blank rows and blank optional fields dropped."""
    data: dict[str, Any] = {
        "problem": {n: fields.get(f"problem.{n}", "") for n in PROBLEM},
        "closure": {},
    }
    for name in CLOSURE:
        value = fields.get(f"closure.{name}", "").strip()
        if value:
            data["closure"][name] = as_utc(value) if name == "closed_at" else value
    for group, names in LISTS.items():
        rows: list[dict[str, Any]] = []
        for i in range(_row_count(fields, group)):
            row: dict[str, Any] = {}
            for name in names:
                value = fields.get(f"{group}.{i}.{name}", "").strip()
                if name == "frozen":
                    row[name] = value == "on"
                elif value:
                    row[name] = value
            prefix = f"{group}.{i}.evidence."
            evidence = [
                dict(zip(("kind", "ref"), k[len(prefix) :].split(":", 1), strict=True))
                for k, v in fields.items()
                if k.startswith(prefix) and v == "on" and ":" in k[len(prefix) :]
            ]
            if group in WITH_EVIDENCE:
                row["evidence"] = evidence
            content = [k for k in row if k not in CHOICES and k != "frozen" and row[k]]
            if content or row.get("frozen"):
                rows.append(row)
        data[group] = rows
    return data


def _store_field(field: str) -> str:
    """The store names list entries ``causes[0]``; the editor's fields are ``causes.0``."""
    return re.sub(r"\[(\d+)\]", r".\1", field)


def _editor(
    request: Request,
    user: Principal,
    token: str,
    number: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with store_of(request).sessions() as session:
        complaint = get_complaint(session, number)
        current = current_eightd(session, complaint.id)
        prefilled = current is None and values is None
        if values is None:
            form = (
                prefill_from_records(session, complaint.id, locale_of(request))
                if current is None
                else EightDForm.model_validate(_form_plain(current))
            )
            values = flatten(form)
        versions = list(
            session.scalars(
                select(EightDVersion)
                .where(EightDVersion.complaint_id == complaint.id)
                .order_by(EightDVersion.version)
            )
        )
        rows = {g: range(_row_count(values, g) + BLANK_ROWS) for g in LISTS if g != "actions"}
        return page(
            request,
            "eightd.html",
            lang_path=f"/complaints/{number}/8d",
            user=user,
            session_token=token,
            status_code=status_code,
            c=complaint,
            current=current,
            versions=versions,
            prefilled=prefilled,
            values={"eightd": values},
            errors={"eightd": {_store_field(k): v for k, v in (errors or {}).items()}},
            rows=rows,
            action_count=_row_count(values, "actions"),
            blank_rows=BLANK_ROWS,
            evidence=evidence_choices(session, complaint.id, catalogue(locale_of(request))),
            can_write=user.role in WRITE,
            is_qa=user.role is Role.QA,
            message=request.query_params.get("done"),
        )


def _form_plain(current: EightDView) -> dict[str, Any]:
    plain = to_plain(current.content)
    assert isinstance(plain, dict)  # an EightD dataclass is a mapping in plain form
    for group in WITH_EVIDENCE:
        for row in plain.get(group, []):
            for ref in row.get("evidence", []):
                ref.pop("sha256", None)  # the store fills it from the attachment again
    return plain


@router.get("/complaints/{number}/8d", response_class=HTMLResponse)
def eightd_page(number: str, request: Request) -> HTMLResponse:
    user, token = page_user(request)
    return _editor(request, user, token, number)


async def _run(request: Request, number: str, posted: Posted, work: Any) -> Response | None:
    """Run ``work(session, complaint_id)``; a refusal re-renders the editor with the messages."""
    store = store_of(request)

    def write() -> None:
        try:
            with store.sessions.begin() as session:
                work(session, get_complaint(session, number).id)
        except SeparationOfDuties as exc:  # the API's answers: 403 and 409, at the form
            raise FormRefused({FORM_LEVEL: str(exc)}, 403) from exc
        except EightDStateError as exc:
            raise FormRefused({FORM_LEVEL: str(exc)}, 409) from exc

    try:
        await run_in_threadpool(guarded, write)
    except FormRefused as refused:
        _user, token = page_user(request)
        return _editor(
            request,
            posted.user,
            token,
            number,
            values={k: v for k, v in posted.fields.items() if k != "csrf_token"},
            errors=shown_errors(refused, translator(locale_of(request))),
            status_code=refused.status,
        )
    return None


def _back(number: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/complaints/{number}/8d?done={done}", status_code=303)


@router.post("/complaints/{number}/8d")
async def save_eightd(number: str, request: Request) -> Response:
    """Save: the first version as a draft, or the draft edited; ``op=amend`` (QA) starts a new
    version after the signed one with this content and the reason."""
    posted = await read_posted(request)
    op = posted.fields.get("op", "save")
    check_role(posted.user, QA_ONLY if op == "amend" else WRITE)
    actor = posted.user.name
    reason = posted.fields.get("reason", "")

    def work(session: Session, complaint_id: int) -> None:
        form = checked(EightDForm, unflatten(posted.fields))
        if op == "amend":
            amend(session, complaint_id, actor=actor, reason=reason, form=form)
        elif current_eightd(session, complaint_id) is None:
            draft(session, complaint_id, form, actor=actor)
        else:
            edit(session, complaint_id, form, actor=actor, reason=reason)

    refused = await _run(request, number, posted, work)
    return refused or _back(number, "amended" if op == "amend" else "saved")


@router.post("/complaints/{number}/8d/sign")
async def sign_eightd(number: str, request: Request) -> Response:
    """Sign the latest draft: ``authored``/``reviewed`` by a writer, ``approved`` by QA only
    (and not its author), which freezes the version."""
    posted = await read_posted(request)
    meaning = posted.fields.get("meaning", "")
    check_role(posted.user, QA_ONLY if meaning == "approved" else WRITE)
    who = posted.user

    def work(session: Session, complaint_id: int) -> None:
        sign(session, complaint_id, signer=who.name, printed_name=who.printed_name, meaning=meaning)

    refused = await _run(request, number, posted, work)
    return refused or _back(number, "signed")
