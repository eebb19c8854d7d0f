"""``returns_inspection``: return notices, receipts, inspection requests, unit paths.

Reserved in the chain so that the work of issue 14 lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
