"""``containment_claims_closure``: containment on every complaint, claims, feedback form.

Tables of ``results.containment_models``; ``service_user.role`` widened to 32 characters for the
sales and QA manager roles. The major complaints' own ``containment_record`` moves onto the new
``containment_action`` rows every complaint has (stock frozen: ``freeze_outgoing_stock`` with
its quantity and locations; production hold: ``stop_production``), open as they were, and the old
table is dropped. Downgrade rebuilds one ``containment_record`` per major complaint from its
first freeze action (and whether a stop-production action exists).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _complaint_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["complaint_id"], ["complaint.id"], name=op.f(f"fk_{table}_complaint_id_complaint")
    )


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _who(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=100), nullable=nullable)


def _role_width(length: int, before: int) -> None:
    """The sales roles' names (``regional_sales_manager``) need more than 16 characters. SQLite
    does not enforce VARCHAR lengths, and a batch copy of the user table is not worth the risk."""
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "service_user",
            "role",
            type_=sa.String(length=length),
            existing_type=sa.String(length=before),
            existing_nullable=False,
        )


_MAJOR_MEASURES = (
    ("freeze_outgoing_stock", "stock on hand frozen", "r.stock_frozen_qty", "1 = 1"),
    ("stop_production", "production held", "0", "r.production_hold = :held"),
)


def _containment_record() -> None:
    """The table as migration 0003 made it (for the downgrade)."""
    op.create_table(
        "containment_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("major_id", sa.Integer(), nullable=False),
        sa.Column("stock_frozen_qty", sa.Integer(), nullable=False),
        sa.Column("locations", sa.Text(), nullable=False),
        sa.Column("production_hold", sa.Boolean(), nullable=False),
        _stamp("opened_at"),
        _who("opened_by"),
        sa.ForeignKeyConstraint(
            ["major_id"],
            ["major_complaint.id"],
            name=op.f("fk_containment_record_major_id_major_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containment_record")),
        sa.UniqueConstraint("major_id", name=op.f("uq_containment_record_major_id")),
    )


def _move_major_containment() -> None:
    """Each major containment record becomes open actions on its complaint. Plain SQL copies the
    stored timestamps as they are on either backend; the order keeps ids in record order."""
    for kind, what, qty, where in _MAJOR_MEASURES:
        statement = sa.text(
            "INSERT INTO containment_action (complaint_id, kind, description, owner, taken_at,"
            " qty_affected, location, recorded_by)"
            f" SELECT m.complaint_id, '{kind}', 'major complaint: {what}', r.opened_by,"
            f" r.opened_at, {qty}, r.locations, r.opened_by"
            " FROM containment_record r JOIN major_complaint m ON m.id = r.major_id"
            f" WHERE {where} ORDER BY r.id"
        )
        if ":held" in where:
            statement = statement.bindparams(sa.bindparam("held", True, type_=sa.Boolean()))
        op.get_bind().execute(statement)
    op.drop_table("containment_record")


def _restore_major_containment() -> None:
    _containment_record()
    op.get_bind().execute(
        sa.text(
            "INSERT INTO containment_record (major_id, stock_frozen_qty, locations,"
            " production_hold, opened_at, opened_by)"
            " SELECT m.id, a.qty_affected, a.location,"
            " EXISTS (SELECT 1 FROM containment_action s WHERE s.complaint_id = m.complaint_id"
            " AND s.kind = 'stop_production'), a.taken_at, a.recorded_by"
            " FROM major_complaint m JOIN containment_action a ON a.id = ("
            "SELECT MIN(f.id) FROM containment_action f WHERE f.complaint_id = m.complaint_id"
            " AND f.kind = 'freeze_outgoing_stock')"
        )
    )


def upgrade() -> None:
    _role_width(32, 16)
    op.create_table(
        "containment_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("qty_checked", sa.Integer(), nullable=False),
        sa.Column("qty_bad", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _stamp("checked_at"),
        _who("checked_by"),
        _complaint_fk("containment_check"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containment_check")),
    )
    op.create_table(
        "containment_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _who("owner"),
        _stamp("taken_at"),
        sa.Column("qty_affected", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        _who("recorded_by"),
        _stamp("released_at", nullable=True),
        _who("released_by", nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.Column("qty_released", sa.Integer(), nullable=True),
        _complaint_fk("containment_action"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containment_action")),
    )
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("complaint_number", sa.String(length=32), nullable=False),
        sa.Column("amount_rmb", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("settlement_way", sa.String(length=48), nullable=False),
        sa.Column("case_description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _stamp("opened_at"),
        _who("opened_by"),
        _stamp("approved_at", nullable=True),
        _who("approved_by", nullable=True),
        _stamp("confirmed_at", nullable=True),
        _who("confirmed_by", nullable=True),
        _stamp("settled_at", nullable=True),
        _who("settled_by", nullable=True),
        sa.Column("settlement_reference", sa.Text(), nullable=True),
        _stamp("rejected_at", nullable=True),
        _who("rejected_by", nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        _complaint_fk("claim"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    op.create_table(
        "feedback_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("proposed_solution", sa.Text(), nullable=False),
        _stamp("drafted_at"),
        _who("drafted_by"),
        _stamp("approved_at", nullable=True),
        _who("approved_by", nullable=True),
        _complaint_fk("feedback_form"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_form")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_feedback_form_complaint_id")),
    )
    for table in ("containment_check", "containment_action", "claim"):
        op.create_index(op.f(f"ix_{table}_complaint_id"), table, ["complaint_id"], unique=False)
    op.create_index(op.f("ix_claim_status"), "claim", ["status"], unique=False)
    _move_major_containment()


def downgrade() -> None:
    _role_width(16, 32)
    _restore_major_containment()
    op.drop_index(op.f("ix_claim_status"), table_name="claim")
    for table in ("containment_check", "containment_action", "claim"):
        op.drop_index(op.f(f"ix_{table}_complaint_id"), table_name=table)
    for table in ("feedback_form", "claim", "containment_action", "containment_check"):
        op.drop_table(table)
