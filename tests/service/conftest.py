"""Fixtures of the service tests: a migrated store on SQLite and on PostgreSQL, an app, tokens.

PostgreSQL and Chromium follow the results tests' rule: missing locally, their tests are
deselected with the reason printed; under ``CI=true`` they run (and fail when missing).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_setup import make_users
from fastapi.testclient import TestClient
from required_services import PG_SERVER, postgres_problem
from service_support import EMERGENCY_GROUP, Service, empty_postgres
from sqlalchemy import create_engine, text

from results.migrations import upgrade
from service.app import create_app
from service.settings import Settings
from service.store import open_store


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any default store or log the service's commands would put in the data directory goes
    into the test's own folder, never the user's home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return str(path)
    url: str = request.getfixturevalue("_pg_schema_url")
    empty_postgres(url)
    return url


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
