"""``service_sessions``: server-side sessions and login throttling for the QA service.

Reserved in the chain so that parallel work lands in a fixed order; a revision that stays
empty changes nothing.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
