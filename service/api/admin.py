"""Administration (users, tokens, working-day calendar), the audit trail and ``verify``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import select

from results import verify
from results.accounts import (
    ServiceToken,
    ServiceUser,
    create_user,
    issue_token,
    revoke_token,
)
from results.calendar import set_calendar_day
from results.models import AuditEvent
from service.api.body import ApiBody
from service.api.params import RowId
from service.auth import Admin, Auditor, BenchOrReader, store_of
from service.views import iso

router = APIRouter(prefix="/api", tags=["admin"])


class UserIn(ApiBody):
    name: Annotated[str, Field(max_length=100)]
    role: str
    printed_name: Annotated[str, Field(max_length=200)]


class TokenIn(ApiBody):
    label: Annotated[str, Field(max_length=200)] = ""


class CalendarDayIn(ApiBody):
    is_workday: bool
    note: Annotated[str, Field(max_length=200)] = ""
    reason: Annotated[str, Field(max_length=2000)] = ""


@router.get("/me")
def me(who: BenchOrReader) -> dict[str, Any]:
    """Who the token belongs to; a bench may ask too (its setup checks its token with this)."""
    return {"name": who.name, "printed_name": who.printed_name, "role": who.role.value}


@router.post("/admin/users", status_code=201)
def add_user(body: UserIn, request: Request, who: Admin) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        user = create_user(
            session, body.name, role=body.role, printed_name=body.printed_name, actor=who.name
        )
        return {"name": user.name, "role": user.role, "printed_name": user.printed_name}


@router.get("/admin/users")
def list_users(request: Request, who: Admin) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        users = session.scalars(select(ServiceUser).order_by(ServiceUser.name))
        return [
            {"name": u.name, "role": u.role, "printed_name": u.printed_name, "active": u.active}
            for u in users
        ]


@router.post("/admin/users/{name}/tokens", status_code=201)
def new_token(name: str, body: TokenIn, request: Request, who: Admin) -> dict[str, Any]:
    """The token text is in this answer only; the service keeps just its SHA-256."""
    with store_of(request).sessions.begin() as session:
        raw, token_id = issue_token(session, name, actor=who.name, label=body.label)
    return {"id": token_id, "user": name, "token": raw}


@router.get("/admin/tokens")
def list_tokens(request: Request, who: Admin) -> list[dict[str, Any]]:
    with store_of(request).sessions() as session:
        rows = session.scalars(select(ServiceToken).order_by(ServiceToken.id))
        return [
            {
                "id": t.id,
                "user": t.user_name,
                "label": t.label,
                "created_at": iso(t.created_at),
                "revoked_at": iso(t.revoked_at),
            }
            for t in rows
        ]


@router.delete("/admin/tokens/{token_id}", status_code=204)
def delete_token(token_id: RowId, request: Request, who: Admin) -> None:
    with store_of(request).sessions.begin() as session:
        revoke_token(session, token_id, actor=who.name)


@router.put("/admin/calendar/{day}")
def put_calendar_day(
    day: date, body: CalendarDayIn, request: Request, who: Admin
) -> dict[str, Any]:
    with store_of(request).sessions.begin() as session:
        row = set_calendar_day(
            session, day, body.is_workday, actor=who.name, note=body.note, reason=body.reason
        )
        return {"day": row.day.isoformat(), "is_workday": row.is_workday, "note": row.note}


@router.get("/audit")
def audit_trail(
    request: Request,
    who: Auditor,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    after_seq: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    query = select(AuditEvent).where(AuditEvent.seq > after_seq).order_by(AuditEvent.seq)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    with store_of(request).sessions() as session:
        return [
            {
                "seq": e.seq,
                "at": iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "reason": e.reason,
                "before": e.before_json,
                "after": e.after_json,
                "hash": e.hash,
            }
            for e in session.scalars(query.limit(limit))
        ]


@router.get("/verify")
def verify_store(request: Request, who: Auditor) -> dict[str, Any]:
    store = store_of(request)
    with store.sessions() as session:
        report = verify.verify_store(session, store.evidence.root)
    return {
        "ok": report.ok,
        "audit_events": report.audit_events,
        "pending_events": report.pending_events,
        "records": report.records,
        "measurements": report.measurements,
        "steps": report.steps,
        "traces": report.traces,
        "evidence_files": report.evidence_files,
        "problems": [{"kind": p.kind, "ref": p.ref, "detail": p.detail} for p in report.problems],
    }
