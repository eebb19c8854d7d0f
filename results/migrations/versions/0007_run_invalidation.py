"""``run_invalidation``: QA's audited decision that a run is not evidence.

A table of its own rather than columns of ``run``, so the run row and its audited snapshot stay
exactly as recorded (``verify`` keeps passing on stores upgraded from earlier revisions).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_invalidation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("invalidated_by", sa.String(length=100), nullable=False),
        sa.Column("invalidated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_invalidation_run_id_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_invalidation")),
        sa.UniqueConstraint("run_id", name=op.f("uq_run_invalidation_run_id")),
    )


def downgrade() -> None:
    op.drop_table("run_invalidation")
