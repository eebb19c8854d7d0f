"""Alembic environment of the results store, runnable without an ``alembic.ini``.

``upgrade(target)`` is what services and tests call; the ``alembic`` command line works too
(``alembic -c results/migrations/alembic.ini`` is not needed: see ``config()``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from results.db import READ_ONLY_OPTION, database_url, make_engine

HERE = Path(__file__).resolve().parent


def config(target: str | Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    # The URL travels in attributes, not the ini options, whose % interpolation would mangle
    # percent-encoded URLs (e.g. a PostgreSQL search_path option).
    cfg.attributes["url"] = database_url(target)
    return cfg


def at_head(target: str | Path) -> bool:
    """Is the schema at ``target`` the newest? Read without a write lock, so a store that another
    process holds busy can still be opened (and read, and recorded into via the run journal)."""
    heads = set(ScriptDirectory.from_config(config(target)).get_heads())
    engine = make_engine(target)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{READ_ONLY_OPTION: True})
            query = text("SELECT version_num FROM alembic_version")
            found: set[str] = set(connection.execute(query).scalars())
    except DBAPIError:
        return False  # no schema yet (or unreadable): let upgrade say what is wrong
    finally:
        engine.dispose()
    return found == heads


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
