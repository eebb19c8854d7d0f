"""Reserved revision 0018 (placeholder so parallel branches chain without renumbering).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the branch that takes this number fills it in."""


def downgrade() -> None:
    """Nothing yet."""
