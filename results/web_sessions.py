"""Server-side page sessions: the browser holds a random id, never an API token.

A login presents an API token once; the page cookie then carries a fresh 32-byte random id whose
SHA-256 alone is stored (``service_session``), like the tokens themselves. A session ends at a
fixed time after login (``LIFETIME``) however active it is, after ``IDLE`` without a request, at
logout, and as soon as the token it was made with is revoked or its user deactivated. Each login
makes a new id and drops the one the browser came with (rotation), so an id planted before login
is worthless after it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from results.accounts import Principal, Role
from results.service_models import ServiceSession, ServiceToken, ServiceUser

LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)
_TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often, so reading pages is not a write per request."""


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(
    session: Session, principal: Principal, *, now: datetime, replaces: str | None = None
) -> str:
    """The id of a new session of ``principal`` (authenticated by its token just now); the
    session the browser came with (``replaces``) is dropped."""
    if replaces:
        end_session(session, replaces)
    session.execute(delete(ServiceSession).where(ServiceSession.expires_at <= now))
    raw = secrets.token_urlsafe(32)
    session.add(
        ServiceSession(
            sha256=_digest(raw),
            token_id=principal.token_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
        )
    )
    session.flush()
    return raw


def resolve_session(session: Session, session_id: str | None, *, now: datetime) -> Principal | None:
    """The user of a live session; an expired, idle or orphaned one is deleted: ``None``."""
    if not session_id or len(session_id) > 200:
        return None
    row = session.execute(
        select(ServiceSession, ServiceToken, ServiceUser)
        .join(ServiceToken, ServiceToken.id == ServiceSession.token_id)
        .join(ServiceUser, ServiceUser.name == ServiceToken.user_name)
        .where(ServiceSession.sha256 == _digest(session_id))
    ).one_or_none()
    if row is None:
        return None
    live, token, user = row
    dead = (
        now >= live.expires_at
        or now - live.last_seen_at >= IDLE
        or token.revoked_at is not None
        or not user.active
    )
    if dead:
        session.delete(live)
        return None
    if now - live.last_seen_at >= _TOUCH_EVERY:
        live.last_seen_at = now
    return Principal(user.name, user.printed_name, Role(user.role), token.id)


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(ServiceSession).where(ServiceSession.sha256 == _digest(session_id)))
