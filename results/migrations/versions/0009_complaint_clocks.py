"""``complaint_clocks``: complaint classes, clock events and pauses.

Reserved in the chain so that the work of issue 14 lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
