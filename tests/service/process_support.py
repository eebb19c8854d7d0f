"""Shared by the process page tests: log a user in through the cookie, count what was written,
and the sales and QA managers the claims and the feedback form need."""

from __future__ import annotations

import re

from documents import complaint_payload
from service_support import Service
from sqlalchemy import func, select

from results.accounts import Role, create_user, issue_token
from results.models import AuditEvent
from service.auth import SESSION_COOKIE, csrf_token

MANAGERS = {
    "zhou.rsm": Role.REGIONAL_SALES_MANAGER,
    "wu.sgm": Role.SALES_GENERAL_MANAGER,
    "sun.qam": Role.QA_MANAGER,
}


def login(svc: Service, user: str) -> str:
    """Log ``user`` in on the test client; returns the CSRF token of their forms."""
    svc.client.cookies.set(SESSION_COOKIE, svc.tokens[user])
    return csrf_token(svc.tokens[user])


def add_managers(svc: Service) -> None:
    with svc.store.sessions.begin() as session:
        for name, role in MANAGERS.items():
            create_user(session, name, role=role.value, printed_name=name, actor="test")
            svc.tokens[name], _ = issue_token(session, name, actor="test")


def audit_events(svc: Service) -> int:
    with svc.store.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def new_complaint(svc: Service, **overrides: object) -> str:
    r = svc.client.post(
        "/api/complaints", json=complaint_payload(**overrides), headers=svc.auth("wang.wei")
    )
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def field_error(html: str, field: str) -> str:
    """The message shown beside ``field`` (empty when there is none)."""
    found = re.search(rf'data-field="{re.escape(field)}"[^>]*>([^<]*)<', html)
    return found.group(1) if found else ""
