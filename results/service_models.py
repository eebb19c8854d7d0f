"""Tables of the QA service's accounts: users and their API tokens (hashes only).

They live on the results ``Base`` so that Alembic owns them like every other table: a schema made
by ``create_all`` outside the migrations cannot be upgraded or downgraded, and two workers racing to
create it needed a lock of their own. The rules (roles, token issue and revocation, audit) stay in
``results.accounts``; this module is only the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class ServiceUser(Base):
    __tablename__ = "service_user"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    printed_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # 16 until migration 0010
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class ServiceToken(Base):
    __tablename__ = "service_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("service_user.name"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the token text; the text itself is shown once and never stored."""
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]


class ServiceSession(Base):
    """A page login: the browser holds a random id, the store only its SHA-256.

    The session points at the token that was presented at login, so revoking that token (or
    deactivating its user) ends every page session made with it at the next request.
    """

    __tablename__ = "service_session"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("service_token.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    """Absolute end of the session: a login is never extended past it, however active."""
