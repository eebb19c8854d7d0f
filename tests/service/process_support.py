"""Shared by the process page tests: log a user in through the cookie, count what was written,
the sales and QA managers the claims and the feedback form need (the API tests' own helpers),
a new complaint, and the message a page shows beside a field."""

from __future__ import annotations

import re

from documents import complaint_payload
from service_support import Service
from test_containment_api import _events as audit_events
from test_containment_api import _managers as add_managers
from test_manual_pages import _login as login

__all__ = ["add_managers", "audit_events", "field_error", "login", "new_complaint"]


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
