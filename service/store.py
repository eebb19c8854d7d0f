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
from service.settings import Settings

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
    engine = make_engine(settings.database_url, pool_size=settings.database_pool)
    if migrate:
        _migrate(engine, settings.database_url)
    settings.evidence_dir.mkdir(parents=True, exist_ok=True)
    evidence = EvidenceStore(settings.evidence_dir, max_bytes=settings.max_upload_bytes)
    return Store(engine, session_factory(engine), evidence)
