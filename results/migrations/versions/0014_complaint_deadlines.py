"""``complaint_deadlines``: stored receipt day and clock deadlines for reads in SQL.

The KPI joins every complaint of a period on its local receipt day, and the SLA filter of
``complaint list`` compares the manual's deadlines with now; both were computed per row per
request. The columns are derived (from ``received_at`` and the working-day calendar) and are
backfilled here with the application's own calculation (``results.calendar``), which is why this
revision imports it: a copy of the working-day walk frozen in the migration could disagree with
the one that maintains the columns afterwards.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The backfill must compute exactly what the application stores later (see above).
from results.calendar import Calendar, refresh_deadlines

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_DUE = (
    "due_handling_report",
    "due_qa_decision",
    "due_logged",
    "due_investigated",
    "due_closed",
    "due_closed_limit",
)


def upgrade() -> None:
    op.add_column("complaint", sa.Column("received_day", sa.Date(), nullable=True))
    for name in _DUE:
        op.add_column("complaint", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_complaint_received_day", "complaint", ["received_day"], unique=False)
    connection = op.get_bind()
    refresh_deadlines(connection, Calendar.load(connection))


def downgrade() -> None:
    op.drop_index("ix_complaint_received_day", table_name="complaint")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of ``complaint`` would drop
    # the table under the foreign keys that point at it.
    for name in ("received_day", *_DUE):
        op.execute(sa.text(f"ALTER TABLE complaint DROP COLUMN {name}"))
