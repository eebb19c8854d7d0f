"""Report snapshots and signatures, and the 8D record (results.eightd_models).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER report_content_frozen_update BEFORE UPDATE ON report_content
    WHEN (SELECT status FROM report WHERE id = OLD.report_id) = 'approved'
    BEGIN SELECT RAISE(ABORT, 'report_content of an approved report is immutable'); END""",
    """CREATE TRIGGER report_content_frozen_delete BEFORE DELETE ON report_content
    WHEN (SELECT status FROM report WHERE id = OLD.report_id) = 'approved'
    BEGIN SELECT RAISE(ABORT, 'report_content of an approved report is immutable'); END""",
    """CREATE TRIGGER report_approved_frozen BEFORE UPDATE ON report
    WHEN OLD.status = 'approved'
    BEGIN SELECT RAISE(ABORT, 'an approved report is immutable; amend it'); END""",
    """CREATE TRIGGER report_signature_no_update BEFORE UPDATE ON report_signature
    BEGIN SELECT RAISE(ABORT, 'report_signature is append-only'); END""",
    """CREATE TRIGGER report_signature_no_delete BEFORE DELETE ON report_signature
    BEGIN SELECT RAISE(ABORT, 'report_signature is append-only'); END""",
]

_POSTGRES_TRIGGERS = [
    """CREATE FUNCTION report_content_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT status FROM report WHERE id = OLD.report_id) = 'approved' THEN
        RAISE EXCEPTION 'report_content of an approved report is immutable';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER report_content_frozen BEFORE UPDATE OR DELETE ON report_content
    FOR EACH ROW EXECUTE FUNCTION report_content_frozen()""",
    """CREATE FUNCTION report_approved_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'approved' THEN
        RAISE EXCEPTION 'an approved report is immutable; amend it';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER report_approved_frozen BEFORE UPDATE ON report
    FOR EACH ROW EXECUTE FUNCTION report_approved_frozen()""",
    """CREATE FUNCTION report_signature_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'report_signature is append-only'; END $$""",
    """CREATE TRIGGER report_signature_append_only BEFORE UPDATE OR DELETE ON report_signature
    FOR EACH ROW EXECUTE FUNCTION report_signature_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "report_content",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("amend_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_report_content_report_id_report")
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_content")),
    )
    op.create_table(
        "report_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=100), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("meaning", sa.String(length=16), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_report_signature_report_id_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_signature")),
    )
    with op.batch_alter_table("report_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_signature_report_id"), ["report_id"], unique=False
        )
    op.create_table(
        "eightd_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_eightd_record_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eightd_record")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_eightd_record_complaint_id")),
    )
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect)
    if statements is None:
        raise RuntimeError(f"no report immutability trigger for dialect {dialect!r}; add one here")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS report_content_frozen ON report_content")
        op.execute("DROP FUNCTION IF EXISTS report_content_frozen()")
        op.execute("DROP TRIGGER IF EXISTS report_approved_frozen ON report")
        op.execute("DROP FUNCTION IF EXISTS report_approved_frozen()")
        op.execute("DROP TRIGGER IF EXISTS report_signature_append_only ON report_signature")
        op.execute("DROP FUNCTION IF EXISTS report_signature_append_only()")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS report_approved_frozen")
    op.drop_table("eightd_record")
    with op.batch_alter_table("report_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_signature_report_id"))
    op.drop_table("report_signature")
    op.drop_table("report_content")
