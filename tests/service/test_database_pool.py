"""Each worker keeps as many database connections open as it serves requests at once (#18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_support import Service

from service.settings import DEFAULT_DATABASE_POOL, Settings, SettingsError
from service.store import connection_shortfall, open_store

REQUESTS_AT_ONCE = 8
"""What one of four workers holds when 32 benches post at once (issue #18's throughput)."""


def test_the_pool_size_comes_from_the_environment() -> None:
    assert Settings.from_env({}).database_pool == DEFAULT_DATABASE_POOL
    assert Settings.from_env({"PACKBENCH_DATABASE_POOL": "30"}).database_pool == 30


@pytest.mark.parametrize("raw", ["0", "-3", "twelve", "", "1001"])
def test_a_pool_size_that_cannot_be_used_is_refused_by_name(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"PACKBENCH_DATABASE_POOL=.*max_connections"):
        Settings.from_env({"PACKBENCH_DATABASE_POOL": raw})


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_worker_keeps_its_connections_between_bursts_of_requests(service: Service) -> None:
    """Past the pool, SQLAlchemy closes a connection when it is returned; on PostgreSQL the next
    request then starts a new server process (about 5 ms of the server's CPU a run on the
    throughput benchmark). With SQLAlchemy's default pool of 5, the second burst here gets three
    new server processes."""

    def burst() -> set[int]:
        connections = [service.store.engine.connect() for _ in range(REQUESTS_AT_ONCE)]
        try:
            return {
                int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in connections
            }
        finally:
            for connection in connections:
                connection.close()

    first = burst()
    assert len(first) == REQUESTS_AT_ONCE
    assert burst() == first


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_serve_warns_when_the_workers_could_need_more_connections_than_the_server_allows(
    service: Service,
) -> None:
    with service.store.engine.connect() as connection:
        allowed = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
    assert connection_shortfall(service.store, workers=4, pool=DEFAULT_DATABASE_POOL) is None
    workers = allowed // DEFAULT_DATABASE_POOL + 1
    shortfall = connection_shortfall(service.store, workers=workers, pool=DEFAULT_DATABASE_POOL)
    assert shortfall is not None
    assert f"{workers} worker(s)" in shortfall and "PACKBENCH_DATABASE_POOL" in shortfall


def test_sqlite_has_no_connection_limit_to_warn_of(tmp_path: Path) -> None:
    store = open_store(Settings(str(tmp_path / "s.sqlite3"), tmp_path / "evidence"))
    try:
        assert connection_shortfall(store, workers=100, pool=1000) is None
    finally:
        store.close()
