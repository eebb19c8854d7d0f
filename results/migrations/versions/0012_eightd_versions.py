"""``eightd_versions``: 8D authoring: versions and signatures.

Reserved in the chain so that the work of issue 14 lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
