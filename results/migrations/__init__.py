"""Alembic environment of the results store, runnable without an ``alembic.ini``.

``upgrade(target)`` is what services and tests call; the ``alembic`` command line works too
(``alembic -c results/migrations/alembic.ini`` is not needed: see ``config()``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from results.db import database_url, make_engine

HERE = Path(__file__).resolve().parent


def config(target: str | Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    # The URL travels in attributes, not the ini options, whose % interpolation would mangle
    # percent-encoded URLs (e.g. a PostgreSQL search_path option).
    cfg.attributes["url"] = database_url(target)
    return cfg


def upgrade(target: str | Path, revision: str = "head") -> None:
    """Bring the schema at ``target`` (path or URL) up to ``revision``, creating it if empty."""
    cfg = config(target)
    engine = make_engine(target)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def downgrade(target: str | Path, revision: str) -> None:
    cfg = config(target)
    engine = make_engine(target)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()
