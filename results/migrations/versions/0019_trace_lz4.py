"""Trace arrays compressed with LZ4 on PostgreSQL (issue #18).

Revision 0019 was the reserved placeholder; this branch (h-drain) takes it.

A trace channel's ``data`` is a float64 array of up to 200,000 samples (1.6 MB). PostgreSQL
compresses any value over ~2 KB before storing it out of line, by default with ``pglz``, which
spends about 10 ms on one 10,000-sample run's three arrays when they compress well (a time axis,
a smooth charge curve) on the 2-core benchmark machine: a third of the run import, and all of it
inside the submission's transaction. LZ4 does the same work in about a tenth of the time at
a similar ratio. The compression of a column only changes how new values are written; old values
stay readable as they are, and every reader sees the same bytes, so hashes and the read model are
untouched. Servers built without LZ4 keep ``pglz`` (nothing to do); SQLite has no compression.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    choices: list[str] | None = bind.execute(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    return choices is not None and "lz4" in choices


def upgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE trace_channel ALTER COLUMN data SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE trace_channel ALTER COLUMN data SET COMPRESSION default")
