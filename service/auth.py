"""Who may call what: bearer tokens for the API, a token cookie for the pages, CSRF for forms.

The API takes the token only from the ``Authorization`` header, so a browser's cookie can never
authorise an API call made by another site. Pages take it only from the HttpOnly, SameSite=Strict
cookie, and every form post must also carry a CSRF token derived from the session token: a
third-party page can neither read the cookie nor compute the form token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from results.accounts import Principal, Role, authenticate
from service.errors import Forbidden, Unauthenticated
from service.store import Store

SESSION_COOKIE = "packbench_session"
CSRF_FIELD = "csrf_token"

READ = frozenset(Role) - {Role.BENCH}
"""Every person's role may read; writing is what the roles separate. A bench reads only the
complaint and units it synced runs for (``BenchOrReader``, checked per record)."""
BENCH_OR_READ = READ | {Role.BENCH}
WRITE = frozenset({Role.TECHNICIAN, Role.QA})
QA_ONLY = frozenset({Role.QA})
BENCH = frozenset({Role.BENCH})
ATTACH = frozenset({Role.TECHNICIAN, Role.QA, Role.BENCH})
ADMIN = frozenset({Role.ADMIN})
AUDIT = frozenset({Role.QA, Role.ADMIN})

_bearer = HTTPBearer(auto_error=False, description="API token (create one: python -m service)")


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def principal_for(store: Store, token: str | None) -> Principal | None:
    if not token:
        return None
    with store.sessions() as session:
        return authenticate(session, token)


def check_role(principal: Principal, allowed: frozenset[Role]) -> Principal:
    if principal.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(
            f"user {principal.name!r} has role {principal.role.value!r}; this needs one of: {names}"
        )
    return principal


def require(allowed: frozenset[Role]) -> Callable[..., Principal]:
    """Dependency: the API caller, who must hold one of ``allowed`` roles (else 401/403)."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("no API token: send 'Authorization: Bearer <token>'")
        principal = principal_for(store_of(request), credentials.credentials)
        if principal is None:
            raise Unauthenticated("the API token is unknown or revoked; ask an admin for a new one")
        return check_role(principal, allowed)

    return dependency


def csrf_token(session_token: str) -> str:
    """The form token of one login session: a keyed hash of the (secret, HttpOnly) cookie."""
    return hmac.new(session_token.encode(), b"packbench-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(session_token), presented)


Reader = Annotated[Principal, Depends(require(READ))]
BenchOrReader = Annotated[Principal, Depends(require(BENCH_OR_READ))]
Writer = Annotated[Principal, Depends(require(WRITE))]
QaUser = Annotated[Principal, Depends(require(QA_ONLY))]
BenchUser = Annotated[Principal, Depends(require(BENCH))]
Attacher = Annotated[Principal, Depends(require(ATTACH))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
Auditor = Annotated[Principal, Depends(require(AUDIT))]
