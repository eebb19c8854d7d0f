"""The service's handle on the results store: one engine, its session factory, the evidence dir.

Created once per worker process by the application factory. The service's own tables (users and
API tokens) are part of the results schema (``results.service_models``, Alembic revision 0004), so
the one migration below creates or upgrades everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from results.attachments import EvidenceStore
from results.db import make_engine, session_factory
from results.migrations import upgrade
from service.settings import POOL_OVERFLOW, Settings

_SCHEMA_LOCK_KEY = 0x5041434B  # "PACK": serialises migrations between workers on PostgreSQL


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    evidence: EvidenceStore

    def close(self) -> None:
        self.engine.dispose()


def _migrate(engine: Engine, url: str) -> None:
    """Upgrade the results schema; on PostgreSQL one worker at a time (the others then no-op)."""
    if engine.dialect.name != "postgresql":
        upgrade(url)
        return
    with engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_lock({_SCHEMA_LOCK_KEY})"))
        connection.commit()
        try:
            upgrade(url)
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock({_SCHEMA_LOCK_KEY})"))
            connection.commit()


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    engine = make_engine(
        settings.database_url, pool_size=settings.database_pool, max_overflow=POOL_OVERFLOW
    )
    if migrate:
        _migrate(engine, settings.database_url)
    settings.evidence_dir.mkdir(parents=True, exist_ok=True)
    evidence = EvidenceStore(settings.evidence_dir, max_bytes=settings.max_upload_bytes)
    return Store(engine, session_factory(engine), evidence)


def connection_shortfall(store: Store, *, workers: int, pool: int) -> str | None:
    """Why ``workers`` workers could run out of PostgreSQL connections, or ``None``.

    Each worker opens up to ``pool`` + ``POOL_OVERFLOW`` connections when that many requests
    are in the database at once; a server that allows fewer refuses the rest ("too many
    clients"), in the middle of a lab's busiest minute rather than at start. Other clients of the
    server (benches, backups) are not counted, so this is the least that must fit."""
    if store.engine.dialect.name != "postgresql":
        return None
    with store.engine.connect() as connection:
        allowed = int(connection.execute(text("SHOW max_connections")).scalar_one())
        reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    needed = workers * (pool + POOL_OVERFLOW)
    if needed <= allowed - reserved:
        return None
    return (
        f"{workers} worker(s) x ({pool} kept + {POOL_OVERFLOW} more at the busiest) = {needed} "
        f"database connections at most, but the PostgreSQL server allows "
        f"{allowed - reserved} (max_connections {allowed} less {reserved} reserved); lower "
        "PACKBENCH_DATABASE_POOL or --workers, or raise the server's max_connections"
    )
