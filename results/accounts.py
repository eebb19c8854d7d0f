"""Service users and their API tokens; a token is stored only as the SHA-256 of its text.

The raw token (32 random bytes, URL-safe) is shown once when created and never kept: a leaked
database reveals no usable token. Lookup is by hash, and the stored hash is then compared in
constant time so the comparison leaks nothing about how close a guess was. Every change is
appended to the results audit chain. The tables are ``results.service_models`` (migrated with the
rest of the store); ``ServiceUser`` and ``ServiceToken`` are re-exported here for the API.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from results import audit
from results.errors import NotFound, ValidationError
from results.service_models import ServiceToken, ServiceUser

TOKEN_PREFIX = "pbt_"
__all__ = ["Principal", "Role", "ServiceToken", "ServiceUser"]


class Role(enum.StrEnum):
    BENCH = "bench"
    TECHNICIAN = "technician"
    QA = "qa"
    VIEWER = "viewer"
    ADMIN = "admin"
    QA_MANAGER = "qa_manager"
    REGIONAL_SALES_MANAGER = "regional_sales_manager"
    SALES_GENERAL_MANAGER = "sales_general_manager"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user name is the actor written into every audit event."""

    name: str
    printed_name: str
    role: Role
    token_id: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationError("role", f"unknown role {value!r}", f"use one of: {allowed}") from None


def _name(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit or any(ord(c) < 32 for c in value):
        raise ValidationError(field, f"{value!r} is not usable", f"give 1-{limit} printable chars")
    return value


def create_user(
    session: Session, name: str, *, role: str, printed_name: str, actor: str
) -> ServiceUser:
    name = _name("name", name, 100)
    if session.get(ServiceUser, name) is not None:
        raise ValidationError("name", f"user {name!r} exists", "pick another name")
    user = ServiceUser(
        name=name,
        printed_name=_name("printed_name", printed_name, 200),
        role=_role(role).value,
        created_at=datetime.now(UTC),
        created_by=actor,
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="service_user.created",
        entity_type="service_user",
        entity_id=name,
        after={"name": name, "role": user.role, "printed_name": user.printed_name},
    )
    return user


def issue_token(
    session: Session, user_name: str, *, actor: str, label: str = ""
) -> tuple[str, int]:
    """A new token for ``user_name``: (raw token to hand over once, token id)."""
    user = session.get(ServiceUser, user_name)
    if user is None or not user.active:
        raise NotFound("service user", user_name)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ServiceToken(
        user_name=user.name,
        sha256=token_hash(raw),
        label=label[:200],
        created_at=datetime.now(UTC),
        created_by=actor,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="service_token.issued",
        entity_type="service_token",
        entity_id=row.id,
        after={"user": user.name, "label": row.label},  # never the token nor its hash
    )
    return raw, row.id


def revoke_token(session: Session, token_id: int, *, actor: str, reason: str = "") -> None:
    row = session.get(ServiceToken, token_id, with_for_update=True)
    if row is None:
        raise NotFound("service token", token_id)
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="service_token.revoked",
            entity_type="service_token",
            entity_id=row.id,
            after={"user": row.user_name},
            reason=reason,
        )


def authenticate(session: Session | Connection, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token of an active user; ``None`` otherwise.

    A Core ``Connection`` does for a caller that reads nothing else (the API's token check on
    every request: half the CPU of an ORM session's execution of the same statement)."""
    if not token or len(token) > 200:
        return None
    digest = token_hash(token)
    row = session.execute(_TOKEN_QUERY, {"digest": digest}).one_or_none()
    if row is None:
        return None
    if not hmac.compare_digest(row.sha256, digest):
        return None
    if row.revoked_at is not None or not row.active:
        return None
    return Principal(row.name, row.printed_name, Role(row.role), row.id)


_TOKEN_QUERY = (
    select(
        ServiceToken.id,
        ServiceToken.sha256,
        ServiceToken.revoked_at,
        ServiceUser.name,
        ServiceUser.printed_name,
        ServiceUser.role,
        ServiceUser.active,
    )
    .join(ServiceUser, ServiceUser.name == ServiceToken.user_name)
    .where(ServiceToken.sha256 == bindparam("digest"))
)
"""``authenticate``'s query, built once and reading only the columns it checks: every API
request runs it, and loading both rows as ORM objects (statement built per call) cost about
a millisecond of each run submission's CPU (issue #18)."""


def bootstrap_admin(
    session: Session, name: str = "admin", printed_name: str = "Administrator"
) -> str:
    """The first admin and its token (print it once); refused once any admin exists."""
    existing = session.scalars(
        select(ServiceUser).where(ServiceUser.role == Role.ADMIN.value)
    ).first()
    if existing is not None:
        raise ValidationError(
            "admin",
            f"an administrator ({existing.name}) already exists",
            "ask them to issue a token (POST /api/admin/users/<name>/tokens)",
        )
    create_user(session, name, role=Role.ADMIN.value, printed_name=printed_name, actor="bootstrap")
    raw, _id = issue_token(session, name, actor="bootstrap", label="bootstrap")
    return raw


def user_with_role(session: Session, name: str, role: Role, *, field: str) -> ServiceUser:
    """The active user ``name`` holding ``role``, for sign-offs the documents reserve to a role.

    The role is read from the store, not taken from the caller's word, so the CLI and the API
    enforce the same rule: the QA manager approves the feedback form, the regional sales manager
    approves and the sales general manager confirms a large claim.
    """
    user = session.get(ServiceUser, name.strip()) if name and name.strip() else None
    if user is None or not user.active:
        raise ValidationError(
            field,
            f"{name!r} is not an active user",
            f"sign as a user with role {role.value!r} (create one: packbench token / admin API)",
        )
    if user.role != role.value:
        raise ValidationError(
            field,
            f"user {user.name!r} has role {user.role!r}",
            f"this needs a user with role {role.value!r}",
        )
    return user
