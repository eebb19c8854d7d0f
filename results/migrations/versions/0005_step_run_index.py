"""Drop ``ix_step_run_id``: the unique (run_id, idx) index already serves every run_id lookup.

Each recorded step is one small transaction, and on SQLite its COMMIT writes every page it dirtied;
the redundant index was one more page per step (about 12 us of a 60-90 us step on the reference
machine, results benchmark). The unique constraint's index has ``run_id`` as its leading column,
so lookups and ordering by run (``Run.steps``, the foreign-key check) use it on both backends.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_step_run_id", table_name="step")


def downgrade() -> None:
    op.create_index("ix_step_run_id", "step", ["run_id"], unique=False)
