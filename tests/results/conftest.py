"""Fixtures of the results-store tests: every store test runs on SQLite and on PostgreSQL.

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` (trust auth). Each test session
migrates one private schema (``search_path`` set in the URL, so child processes land there too) and
each test starts from empty tables. When the server is unreachable, the PostgreSQL variants are
deselected with the reason printed, except under ``CI=true``, where they run and fail.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from required_services import PG_SERVER, postgres_problem
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from results.db import make_engine, session_factory
from results.migrations import upgrade


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(path)
    return path


@pytest.fixture(scope="session")
def _pg_schema_url() -> Iterator[str]:
    problem = postgres_problem()
    if problem is not None:
        raise RuntimeError(f"{problem}; PostgreSQL tests are required here (CI=true)")
    schema = f"pbtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        cached = _pg_engines.pop(url, None)
        if cached is not None:
            cached[0].dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


_pg_engines: dict[str, tuple[Engine, list[str]]] = {}
_KEEP = {"alembic_version", "audit_head"}


def _empty_postgres(url: str) -> None:
    """Delete every row (cheaper than TRUNCATE for tiny tables) and reset the audit chain.

    Tamper tests drop the append-only trigger, so it is recreated here for every test; while
    emptying, ``session_replication_role = replica`` keeps that trigger from refusing the DELETE.
    """
    if url not in _pg_engines:
        engine = make_engine(url)
        schema = MetaData()
        schema.reflect(engine)  # every migrated table, also those of other modules' migrations
        names = [t.name for t in reversed(schema.sorted_tables) if t.name not in _KEEP]
        _pg_engines[url] = (engine, names)
    engine, names = _pg_engines[url]
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in names:
            connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
        connection.execute(text("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event"))
        connection.execute(
            text(
                "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
                " FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
            )
        )


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store: a fresh SQLite file, or the session's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return str(path)
    url: str = request.getfixturevalue("_pg_schema_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    path = tmp_path / "evidence"
    path.mkdir()
    return path


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store with no schema yet: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "old.sqlite3")
        return
    schema = f"pbmig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
