"""Alembic runtime: migrations run on the connection ``results.migrations.upgrade`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from results import (
    clock_models,
    containment_models,
    eightd_models,
    journal_models,
    manual_models,
    outgoing_models,
    returns_models,
    service_models,
    verify_models,
)
from results.db import make_engine
from results.models import Base

#: Modules whose import registers their tables on ``Base``; autogenerate must see them all.
TABLE_MODULES = (
    clock_models,
    containment_models,
    eightd_models,
    journal_models,
    manual_models,
    outgoing_models,
    returns_models,
    service_models,
    verify_models,
)

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite has almost no ALTER TABLE; batch mode copies and renames instead.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no database: call results.migrations.upgrade(url) or set sqlalchemy.url"
        )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
