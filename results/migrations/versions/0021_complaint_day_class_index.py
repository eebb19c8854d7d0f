"""The receipt-day index carries the complaint's class: ``(received_day, severity)`` (issue #15).

The dashboards count complaints per plant-local day and class and fold the days into months
(``results.dashboards.complaints_per_month``). On the single-column day index PostgreSQL read
every complaint row for it: ``received_day`` sits behind forty columns, a dozen of them text, and
taking it apart cost about 50 ms of the server's CPU at 100,000 complaints. With the class in the
index the count is an index-only scan (14-22 ms on the same store once it is vacuumed, as
autovacuum keeps a live one). The day ranges of the KPIs and the list's date filter use the
index's first column as before, so the single-column index it replaces is redundant.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_received_day_severity", "complaint", ["received_day", "severity"])
    op.drop_index("ix_complaint_received_day", table_name="complaint")


def downgrade() -> None:
    op.create_index("ix_complaint_received_day", "complaint", ["received_day"])
    op.drop_index("ix_complaint_received_day_severity", table_name="complaint")
