"""``verify_checkpoint``: where a routine ``packbench verify`` starts.

See ``results.verify_checkpoint``.

Each row records the audit chain head and the highest run, step and attachment ids a verify that
found no problem had checked, hash-linked to the row before it. No backfill: the first verify after
the upgrade has no checkpoint and checks everything.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verify_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_hash", sa.String(length=64), nullable=False),
        sa.Column("max_run_id", sa.Integer(), nullable=False),
        sa.Column("max_step_id", sa.Integer(), nullable=False),
        sa.Column("max_attachment_id", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verify_checkpoint")),
        sa.UniqueConstraint("hash", name=op.f("uq_verify_checkpoint_hash")),
    )


def downgrade() -> None:
    op.drop_table("verify_checkpoint")
