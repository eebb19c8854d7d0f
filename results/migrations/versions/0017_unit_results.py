"""``unit_results``: each returned unit's stored primary and first result (``unit_result``).

The dashboards' per-unit aggregates (root-cause and cause-category Pareto, first pass per model)
group by these columns instead of ranking every run on each request. The backfill derives every
unit's row from its runs with ``results.unit_results`` (the definition the write paths and
``packbench verify`` use too), so an upgraded store and a new one hold the same rows.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from results.unit_results import refresh_unit_results

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_result",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("primary_run_id", sa.Integer(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("cause_category", sa.Text(), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("first_verdict", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["returned_unit.id"]),
        sa.ForeignKeyConstraint(["primary_run_id"], ["run.id"]),
        sa.ForeignKeyConstraint(["first_run_id"], ["run.id"]),
        sa.PrimaryKeyConstraint("unit_id"),
    )
    op.create_index("ix_unit_result_root_cause", "unit_result", ["root_cause"])
    op.create_index("ix_unit_result_cause_category", "unit_result", ["cause_category"])
    op.create_index("ix_unit_result_first_verdict", "unit_result", ["first_verdict"])
    refresh_unit_results(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_table("unit_result")
