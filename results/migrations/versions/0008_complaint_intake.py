"""``complaint_intake``: intake fields of a complaint (channel, type, fault stage, form fields).

The new columns are nullable: complaints registered before this revision keep NULL (not known)
rather than an invented channel. The indexes serve the filters of ``complaint list``.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("channel", sa.String(length=16)),
    ("complaint_type", sa.String(length=16)),
    ("fault_stage", sa.String(length=32)),
    ("customer_tests", sa.Text()),
    ("assembly_process", sa.Text()),
    ("replacement_needed", sa.Boolean()),
    ("samples_returned", sa.Boolean()),
)
_INDEXES = (
    ("ix_complaint_channel", "complaint", ["channel"]),
    ("ix_complaint_received_at_id", "complaint", ["received_at", "id"]),
    ("ix_complaint_customer", "complaint", ["customer"]),
    ("ix_complaint_product_model", "complaint", ["product_model"]),
    ("ix_complaint_symptom", "complaint", ["symptom"]),
    ("ix_complaint_severity", "complaint", ["severity"]),
    ("ix_returned_unit_lot", "returned_unit", ["lot"]),
)


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("complaint") as batch:
        for name, _type in reversed(_COLUMNS):
            batch.drop_column(name)
