"""``complaint_deadlines``: stored receipt day and clock deadlines for reads in SQL.

Reserved in the chain so that parallel work lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
