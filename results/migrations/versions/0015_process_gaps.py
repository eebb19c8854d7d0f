"""``process_gaps``: containment deadlines and the remaining complaint-process records.

Reserved in the chain so that parallel work lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
