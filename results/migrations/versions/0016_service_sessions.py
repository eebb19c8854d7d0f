"""``service_sessions``: server-side page sessions of the QA service.

The page cookie used to be the raw API token; now it is a random session id whose SHA-256 is
kept here with its token, its absolute expiry and when it was last used (idle expiry).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_session",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["service_token.id"],
            name=op.f("fk_service_session_token_id_service_token"),
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_service_session")),
    )
    op.create_index(
        op.f("ix_service_session_token_id"), "service_session", ["token_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_session_expires_at"), "service_session", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_service_session_expires_at"), table_name="service_session")
    op.drop_index(op.f("ix_service_session_token_id"), table_name="service_session")
    op.drop_table("service_session")
