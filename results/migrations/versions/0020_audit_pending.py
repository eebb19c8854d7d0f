"""``audit_pending``: PostgreSQL's audit group commit (issue #18).

See ``results.audit``. A transaction inserts its audit events here with its data, taking no chain
lock; a short drain transaction links every committed pending event onto the chain head, inserts
them into ``audit_event`` and deletes them here. The rows' content is already final (who, when,
what), so UPDATE is refused as on ``audit_event``; DELETE stays allowed (the drain). SQLite keeps
linking at commit (its writers are serialised anyway) and leaves the table empty. No backfill: the
table starts empty.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
        BEGIN SELECT RAISE(ABORT, 'audit_pending rows are final'); END"""
    ],
    "postgresql": [
        """CREATE FUNCTION audit_pending_final() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_pending rows are final'; END $$""",
        """CREATE TRIGGER audit_pending_final BEFORE UPDATE ON audit_pending
        FOR EACH ROW EXECUTE FUNCTION audit_pending_final()""",
    ],
}


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    dialect = op.get_bind().dialect.name
    statements = _TRIGGERS.get(dialect)
    if statements is None:
        raise RuntimeError(f"no audit_pending trigger for dialect {dialect!r}; add one here")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM audit_pending")).scalar():
        raise RuntimeError(
            "audit_pending holds events not yet on the chain: run `packbench verify` (it links "
            "them) before downgrading below revision 0020"
        )
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_pending_final ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS audit_pending_final()")
    op.drop_table("audit_pending")
