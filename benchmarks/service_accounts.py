"""Named users of each role, their tokens and the page login, for the service benchmarks and
tests.

``make bench`` must run on a fresh clone without the test suite, so the user table and the token
issuing live here, in the benchmarks package; ``tests/service/accounts_setup.py`` re-exports them.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from results.accounts import Role, create_user, issue_token
from service.auth import SESSION_COOKIE, csrf_token
from service.store import Store

USERS = {
    "admin": ("Ada Admin", Role.ADMIN),
    "wang.wei": ("Wang Wei", Role.TECHNICIAN),
    "zhao.min": ("Zhao Min", Role.QA),
    "qian.li": ("Qian Li", Role.QA),
    "viewer": ("Vera Viewer", Role.VIEWER),
    "bench-3": ("Bench 3", Role.BENCH),
}


def make_users(store: Store) -> dict[str, str]:
    """Create every user of ``USERS`` with one token each; returns name -> raw token."""
    tokens = {}
    with store.sessions.begin() as session:
        for name, (printed, role) in USERS.items():
            create_user(session, name, role=role.value, printed_name=printed, actor="test")
            tokens[name], _ = issue_token(session, name, actor="test")
    return tokens


LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client: TestClient, user: str, token: str) -> str:
    """The login form fetched (its CSRF token read from the page), then posted; the client keeps
    the session cookie. Returns the CSRF token of the session's forms."""
    form = client.get("/login")
    found = LOGIN_CSRF.search(form.text)
    assert found is not None, "the login form has no CSRF field"
    answer = client.post(
        "/login",
        data={"user": user, "token": token, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    session_id = client.cookies.get(SESSION_COOKIE)
    assert session_id and session_id != token
    return csrf_token(session_id)
