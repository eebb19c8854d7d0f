"""What the service tests share besides fixtures: the ``Service`` under test, the emergency group
its settings name, and the PostgreSQL reset (a plain module: ``conftest`` is not importable by
name when several test folders have one)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts_setup import login
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, text

from results.db import make_engine
from service.settings import Settings
from service.store import Store


def empty_postgres(url: str) -> None:
    """Every row deleted and the audit chain reset (the append-only trigger held off meanwhile)."""
    engine = make_engine(url)
    try:
        schema = MetaData()
        schema.reflect(engine)
        keep = {"alembic_version", "audit_head"}
        names = [t.name for t in reversed(schema.sorted_tables) if t.name not in keep]
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
            connection.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    finally:
        engine.dispose()


EMERGENCY_GROUP = ("qa-lead@plant.example", "safety@plant.example")


@dataclass
class Service:
    client: TestClient
    store: Store
    tokens: dict[str, str]
    settings: Settings

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def login(self, user: str) -> str:
        """Log ``user`` in through the login form, as a browser does; returns the CSRF token of
        the new session's forms."""
        return login(self.client, user, self.tokens[user])
