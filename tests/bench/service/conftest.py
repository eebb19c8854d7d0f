"""Fixtures of the service tests: a migrated store on SQLite and on PostgreSQL, an app, tokens.

PostgreSQL and Chromium follow the results tests' rule: missing locally, their tests are
deselected with the reason printed; under ``CI=true`` they run (and fail when missing).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from accounts_setup import make_users
from fastapi.testclient import TestClient
from required_services import PG_SERVER, postgres_problem
from sqlalchemy import MetaData, create_engine, text

from bench.service.app import create_app
from bench.service.settings import Settings
from bench.service.store import Store, open_store
from results.db import make_engine
from results.migrations import upgrade


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("svc-template") / "template.sqlite3"
    upgrade(path)
    return path


@pytest.fixture(scope="session")
def _pg_schema_url() -> Iterator[str]:
    problem = postgres_problem()
    if problem is not None:
        raise RuntimeError(f"{problem}; PostgreSQL tests are required here (CI=true)")
    schema = f"pbsvc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return str(path)
    url: str = request.getfixturevalue("_pg_schema_url")
    empty_postgres(url)
    return url


EMERGENCY_GROUP = ("qa-lead@plant.example", "safety@plant.example")


@dataclass
class Service:
    client: TestClient
    store: Store
    tokens: dict[str, str]
    settings: Settings

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_url, tmp_path / "evidence", max_upload_bytes=64 * 1024, emergency_group=EMERGENCY_GROUP
    )
    store = open_store(settings, migrate=False)
    tokens = make_users(store)
    app = create_app(settings, store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Service(client, store, tokens, settings)
    store.close()
