"""``returns_inspection``: return notices, receipts, inspection requests, unit paths.

New tables only (``results.returns_models``): the ``returned_unit`` row and its audited snapshot
stay as they are, so ``verify`` keeps passing on stores upgraded from earlier revisions. The unit
path's new statuses (dismantled, reworked, replaced) are text values of the existing column.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "return_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("quantity_expected", sa.Integer(), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("carrier_ref", sa.String(length=100), nullable=False),
        sa.Column("sales_person", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_return_notice_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_notice")),
    )
    op.create_index(
        op.f("ix_return_notice_complaint_id"), "return_notice", ["complaint_id"], unique=False
    )
    op.create_table(
        "return_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("discrepancies", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["return_notice.id"],
            name=op.f("fk_return_receipt_notice_id_return_notice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_receipt")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_return_receipt_notice_id")),
    )
    op.create_table(
        "inspection_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("analyses", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_inspection_request_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["return_notice.id"],
            name=op.f("fk_inspection_request_notice_id_return_notice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_request")),
    )
    op.create_index(
        op.f("ix_inspection_request_complaint_id"),
        "inspection_request",
        ["complaint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inspection_request_notice_id"), "inspection_request", ["notice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inspection_request_notice_id"), table_name="inspection_request")
    op.drop_index(op.f("ix_inspection_request_complaint_id"), table_name="inspection_request")
    op.drop_table("inspection_request")
    op.drop_table("return_receipt")
    op.drop_index(op.f("ix_return_notice_complaint_id"), table_name="return_notice")
    op.drop_table("return_notice")
