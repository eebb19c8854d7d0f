"""QA service accounts: users and API token hashes (results.service_models).

Before this revision the service created these two tables itself with ``create_all``; a store
that already has them (same columns: the models did not change when they moved) is adopted as it
is, so upgrading an existing installation keeps every user and token.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _existing_tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    existing = _existing_tables()
    if "service_user" not in existing:
        op.create_table(
            "service_user",
            sa.Column("name", sa.String(length=100), nullable=False),
            sa.Column("printed_name", sa.String(length=200), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("created_by", sa.String(length=100), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("name", name=op.f("pk_service_user")),
        )
    if "service_token" not in existing:
        op.create_table(
            "service_token",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_name", sa.String(length=100), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("label", sa.String(length=200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("created_by", sa.String(length=100), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["user_name"],
                ["service_user.name"],
                name=op.f("fk_service_token_user_name_service_user"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_service_token")),
            sa.UniqueConstraint("sha256", name=op.f("uq_service_token_sha256")),
        )
        op.create_index(
            op.f("ix_service_token_user_name"), "service_token", ["user_name"], unique=False
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_service_token_user_name"), table_name="service_token")
    op.drop_table("service_token")
    op.drop_table("service_user")
