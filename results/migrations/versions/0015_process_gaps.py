"""``process_gaps``: the stored, approvable outgoing inspection report (``outgoing_report``).

A new table only: the outgoing inspection run stays an ordinary run, and the report rendered on
demand from it (``packbench report --kind outgoing``) is unchanged; this table holds the frozen
versions a second user approves.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("report_no", sa.String(length=255), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit_status", sa.String(length=32), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_printed_name", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_outgoing_report_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["returned_unit.id"],
            name=op.f("fk_outgoing_report_unit_id_returned_unit"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_outgoing_report_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_report")),
        sa.UniqueConstraint("run_id", "language", name=op.f("uq_outgoing_report_run_id_language")),
    )
    op.create_index(
        op.f("ix_outgoing_report_complaint_id"), "outgoing_report", ["complaint_id"], unique=False
    )
    op.create_index(
        op.f("ix_outgoing_report_unit_id"), "outgoing_report", ["unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outgoing_report_unit_id"), table_name="outgoing_report")
    op.drop_index(op.f("ix_outgoing_report_complaint_id"), table_name="outgoing_report")
    op.drop_table("outgoing_report")
