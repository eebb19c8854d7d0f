"""Named users of each role and their tokens, for the service benchmarks and tests.

``make bench`` must run on a fresh clone without the test suite, so the user table and the token
issuing live here, in the benchmarks package; ``tests/service/accounts_setup.py`` re-exports them.
"""

from __future__ import annotations

from results.accounts import Role, create_user, issue_token
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
