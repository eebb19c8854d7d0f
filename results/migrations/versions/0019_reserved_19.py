"""Reserved revision 0019 (placeholder so parallel branches chain without renumbering).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the branch that takes this number fills it in."""


def downgrade() -> None:
    """Nothing yet."""
