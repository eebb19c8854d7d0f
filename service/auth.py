"""Who may call what: bearer tokens for the API, a server-side session for the pages, CSRF.

The API takes the token only from the ``Authorization`` header, so a browser's cookie can never
authorise an API call made by another site. Pages take a random session id (never the token,
``results.web_sessions``) only from the HttpOnly, SameSite=Strict cookie, and every form post must
also carry a CSRF token derived from the session id: a third-party page can neither read the
cookie nor compute the form token. Bad tokens and failed logins are throttled
(``service.ratelimit``): 429 with ``Retry-After`` per client address and per account.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from results.accounts import TOKEN_PREFIX, Principal, Role, authenticate
from results.web_sessions import LIFETIME, end_session, open_session, resolve_session
from service.errors import Forbidden, Unauthenticated
from service.ratelimit import Throttles
from service.settings import Settings
from service.store import Store

SESSION_COOKIE = "packbench_session"
LOGIN_CSRF_COOKIE = "packbench_login_csrf"
CSRF_FIELD = "csrf_token"
log = logging.getLogger("packbench.service.auth")

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


def throttles_of(request: Request) -> Throttles:
    throttles: Throttles = request.app.state.throttles
    return throttles


def client_address(request: Request) -> str:
    """The peer address (behind a proxy: run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client is not None else "unknown"


def principal_for(store: Store, token: str | None) -> Principal | None:
    """The token's principal, read on a Core connection: every API request runs this, and an
    ORM session cost twice the CPU for the one statement (0.85 -> 0.41 ms, issue #18).

    The one SELECT runs in autocommit: no transaction to begin and end, two round trips to the
    database fewer on every request (0.55-0.76 -> 0.42 ms of the worker's CPU, PostgreSQL,
    2,000 checks). Nor does it end in the ROLLBACK a plain ``connect()`` ends in: psycopg
    forgets every statement it prepared on a connection at a ROLLBACK (and sends
    ``DEALLOCATE ALL``), so a rolled-back token check before each request left the run import's
    statements parsed and planned anew on every submission; with no transaction open there is
    nothing to roll back."""
    if not token:
        return None
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return authenticate(connection, token)


def session_user(request: Request) -> tuple[Principal, str] | None:
    """The user of the request's page session and its id, or ``None`` (no or dead session)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    with store_of(request).sessions.begin() as session:
        principal = resolve_session(session, session_id, now=datetime.now(UTC))
    return None if principal is None else (principal, session_id)


def log_in(request: Request, user_name: str, token: str) -> tuple[str, Principal] | None:
    """A new page session if ``token`` is a valid token of ``user_name`` (else ``None``, counted
    against the address and the account); 429 once either has failed too often."""
    throttles = throttles_of(request)
    address = client_address(request)
    account = user_name.strip().lower()[:100]
    throttles.login_address.check(address, "logins from this address")
    throttles.login_account.check(account, f"logins for {user_name.strip()[:100]!r}")
    with store_of(request).sessions.begin() as session:
        principal = authenticate(session, token)
        if principal is None or principal.name.lower() != account:
            principal = None
        else:
            session_id = open_session(
                session,
                principal,
                now=datetime.now(UTC),
                replaces=request.cookies.get(SESSION_COOKIE),
            )
    if principal is None:
        throttles.login_address.fail(address)
        throttles.login_account.fail(account)
        # A token pasted into the user field must not land in the log.
        named = "<a token>" if user_name.strip().startswith(TOKEN_PREFIX) else user_name[:100]
        log.warning("failed login for %r from %s", named, address)
        return None
    log.info("login of %s from %s", principal.name, address)
    return session_id, principal


def log_out(request: Request, session_id: str) -> None:
    with store_of(request).sessions.begin() as session:
        end_session(session, session_id)


def secure_request(request: Request) -> bool:
    """Cookies get ``Secure`` when the service says it is behind HTTPS or the request is HTTPS."""
    settings: Settings = request.app.state.settings
    return settings.secure_cookies or request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=secure_request(request),
        max_age=int(LIFETIME.total_seconds()),
        path="/",
    )


def new_login_csrf() -> str:
    """The login form's token, also set as a cookie (double submit: no session exists yet)."""
    return secrets.token_urlsafe(32)


def login_csrf_ok(request: Request, presented: str | None) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(cookie) and presented is not None and hmac.compare_digest(cookie or "", presented)


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
        throttle = throttles_of(request).tokens
        address = client_address(request)
        throttle.check(address, "API tokens from this address")
        principal = principal_for(store_of(request), credentials.credentials)
        if principal is None:
            throttle.fail(address)
            log.warning("unknown or revoked API token from %s", address)
            raise Unauthenticated("the API token is unknown or revoked; ask an admin for a new one")
        return check_role(principal, allowed)

    return dependency


def csrf_token(session_id: str) -> str:
    """The form token of one login session: a keyed hash of the (secret, HttpOnly) session id,
    so it changes with every login (rotation) and dies with the session."""
    return hmac.new(session_id.encode(), b"packbench-csrf", hashlib.sha256).hexdigest()


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
