"""``eightd_versions``: 8D authoring: versions and signatures.

Every existing ``eightd_record`` row becomes version 1 (a draft: nobody signed it) of its
complaint's 8D, with the same content and its SHA-256. Triggers make a signed version immutable
and signatures append-only, like the report tables of 0002.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER eightd_version_signed_update BEFORE UPDATE ON eightd_version
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, 'a signed 8D version is immutable; amend it'); END""",
    """CREATE TRIGGER eightd_version_signed_delete BEFORE DELETE ON eightd_version
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, 'a signed 8D version is immutable; amend it'); END""",
    """CREATE TRIGGER eightd_signature_no_update BEFORE UPDATE ON eightd_signature
    BEGIN SELECT RAISE(ABORT, 'eightd_signature is append-only'); END""",
    """CREATE TRIGGER eightd_signature_no_delete BEFORE DELETE ON eightd_signature
    BEGIN SELECT RAISE(ABORT, 'eightd_signature is append-only'); END""",
]

_POSTGRES_TRIGGERS = [
    """CREATE FUNCTION eightd_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed 8D version is immutable; amend it';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER eightd_version_frozen BEFORE UPDATE OR DELETE ON eightd_version
    FOR EACH ROW EXECUTE FUNCTION eightd_version_frozen()""",
    """CREATE FUNCTION eightd_signature_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'eightd_signature is append-only'; END $$""",
    """CREATE TRIGGER eightd_signature_append_only BEFORE UPDATE OR DELETE ON eightd_signature
    FOR EACH ROW EXECUTE FUNCTION eightd_signature_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "eightd_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("amended_from", sa.Integer(), nullable=True),
        sa.Column("amend_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_eightd_version_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["amended_from"],
            ["eightd_version.id"],
            name=op.f("fk_eightd_version_amended_from_eightd_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eightd_version")),
        sa.UniqueConstraint("complaint_id", "version", name=op.f("uq_eightd_version_complaint_id")),
    )
    with op.batch_alter_table("eightd_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eightd_version_complaint_id"), ["complaint_id"], unique=False
        )
    op.create_table(
        "eightd_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=100), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("meaning", sa.String(length=16), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["eightd_version.id"],
            name=op.f("fk_eightd_signature_version_id_eightd_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eightd_signature")),
    )
    with op.batch_alter_table("eightd_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eightd_signature_version_id"), ["version_id"], unique=False
        )
    _migrate_records()
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect)
    if statements is None:
        raise RuntimeError(f"no 8D immutability trigger for dialect {dialect!r}; add one here")
    for statement in statements:
        op.execute(statement)


def _migrate_records() -> None:
    """Each legacy 8D row becomes version 1, a draft, with its content's hash (copied in SQL so
    timestamps keep their stored form; the hash is computed here, before the triggers exist)."""
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO eightd_version (complaint_id, version, status, content_json,"
            " content_sha256, created_at, created_by, updated_at, updated_by, amend_reason)"
            " SELECT complaint_id, 1, 'draft', content_json, '', updated_at, updated_by,"
            " updated_at, updated_by, '' FROM eightd_record"
        )
    )
    rows = bind.execute(sa.text("SELECT id, content_json FROM eightd_version")).all()
    for row_id, content in rows:
        bind.execute(
            sa.text("UPDATE eightd_version SET content_sha256 = :h WHERE id = :i"),
            {"h": hashlib.sha256(str(content).encode()).hexdigest(), "i": row_id},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS eightd_version_frozen ON eightd_version")
        op.execute("DROP FUNCTION IF EXISTS eightd_version_frozen()")
        op.execute("DROP TRIGGER IF EXISTS eightd_signature_append_only ON eightd_signature")
        op.execute("DROP FUNCTION IF EXISTS eightd_signature_append_only()")
    with op.batch_alter_table("eightd_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eightd_signature_version_id"))
    op.drop_table("eightd_signature")
    with op.batch_alter_table("eightd_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eightd_version_complaint_id"))
    op.drop_table("eightd_version")
