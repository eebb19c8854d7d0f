"""``process_pages``: records the process pages need.

Reserved in the chain so that parallel work lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
