"""``containment_claims_closure``: containment on every complaint, claims, feedback form.

Reserved in the chain so that the work of issue 14 lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
