"""Major complaints, customer replies and approved promises (results.manual_models).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approved_promise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(precision=53), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_approved_promise_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approved_promise")),
    )
    op.create_index(
        op.f("ix_approved_promise_complaint_id"), "approved_promise", ["complaint_id"], unique=False
    )
    op.create_table(
        "customer_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drafted_by", sa.String(length=100), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.String(length=100), nullable=True),
        sa.Column("follow_up_due", sa.Date(), nullable=False),
        sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_customer_reply_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_reply")),
    )
    op.create_index(
        op.f("ix_customer_reply_complaint_id"), "customer_reply", ["complaint_id"], unique=False
    )
    op.create_table(
        "major_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_by", sa.String(length=100), nullable=False),
        sa.Column("acceptance_attachment_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["acceptance_attachment_id"],
            ["attachment.id"],
            name=op.f("fk_major_complaint_acceptance_attachment_id_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_major_complaint_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_major_complaint")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_major_complaint_complaint_id")),
    )
    op.create_table(
        "containment_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("major_id", sa.Integer(), nullable=False),
        sa.Column("stock_frozen_qty", sa.Integer(), nullable=False),
        sa.Column("locations", sa.Text(), nullable=False),
        sa.Column("production_hold", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["major_id"],
            ["major_complaint.id"],
            name=op.f("fk_containment_record_major_id_major_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containment_record")),
        sa.UniqueConstraint("major_id", name=op.f("uq_containment_record_major_id")),
    )
    op.create_table(
        "emergency_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("major_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["major_id"],
            ["major_complaint.id"],
            name=op.f("fk_emergency_meeting_major_id_major_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_meeting")),
    )
    op.create_index(
        op.f("ix_emergency_meeting_major_id"), "emergency_meeting", ["major_id"], unique=False
    )
    op.create_table(
        "emergency_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("major_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["major_id"],
            ["major_complaint.id"],
            name=op.f("fk_emergency_notification_major_id_major_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_notification")),
    )
    op.create_index(
        op.f("ix_emergency_notification_major_id"),
        "emergency_notification",
        ["major_id"],
        unique=False,
    )
    op.create_table(
        "supplier_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("major_id", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["major_id"],
            ["major_complaint.id"],
            name=op.f("fk_supplier_notification_major_id_major_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_notification")),
    )
    op.create_index(
        op.f("ix_supplier_notification_major_id"),
        "supplier_notification",
        ["major_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_supplier_notification_major_id"), table_name="supplier_notification")
    op.drop_table("supplier_notification")
    op.drop_index(op.f("ix_emergency_notification_major_id"), table_name="emergency_notification")
    op.drop_table("emergency_notification")
    op.drop_index(op.f("ix_emergency_meeting_major_id"), table_name="emergency_meeting")
    op.drop_table("emergency_meeting")
    op.drop_table("containment_record")
    op.drop_table("major_complaint")
    op.drop_index(op.f("ix_customer_reply_complaint_id"), table_name="customer_reply")
    op.drop_table("customer_reply")
    op.drop_index(op.f("ix_approved_promise_complaint_id"), table_name="approved_promise")
    op.drop_table("approved_promise")
