"""``outgoing_inspection``: outgoing inspection reports.

Reserved in the chain so that the work of issue 14 lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
