"""``open_store``: the one call that hands a bench or service a store whose schema is current.

Kept apart from ``results.db`` (engines and sessions) because it needs the migrations, and the
migrations need ``results.db``: with ``open_store`` in either module the two would import each
other.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from results.db import make_engine, session_factory
from results.migrations import at_head, upgrade


def open_store(target: str | Path, *, migrate: bool = True) -> sessionmaker[Session]:
    """Engine + session factory for ``target``, upgrading the schema to the newest first."""
    if migrate and not at_head(target):  # upgrading takes the write lock even with nothing to do
        upgrade(target)
    return session_factory(make_engine(target))
