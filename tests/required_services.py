"""PostgreSQL and Chromium as the test suite needs them: probe once, and say what is missing.

Tests marked ``postgres`` or ``browser`` run whenever the service is present. Missing locally,
they are deselected with the reason printed at the end; under ``CI=true`` they are never
deselected, so a missing service fails the run instead of passing it silently.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get(
    "PACKBENCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CHROMIUM = Path("/usr/bin/chromium")


@cache
def postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_SERVER} unreachable ({type(exc).__name__}: {exc})"
    return None


@cache
def chromium_problem() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright not installed ({exc})"
    return None


PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def pg_binaries() -> Path | None:
    """The newest ``initdb``/``pg_ctl`` folder, for tests that stop and start their own server."""
    found = sorted(Path("/").glob(PG_BIN_GLOB.lstrip("/")), key=lambda p: p.parent.name)
    return next((p for p in reversed(found) if (p / "pg_ctl").exists()), None)


@cache
def pg_cluster_problem() -> str | None:
    """A throwaway PostgreSQL needs its binaries, and (as root) a user that initdb accepts."""
    if pg_binaries() is None:
        return f"no initdb/pg_ctl under {PG_BIN_GLOB} (apt-get install -y postgresql)"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user for initdb"
    return None


@cache
def root_problem() -> str | None:
    if os.geteuid() != 0:
        return "not root: mounting a small tmpfs needs root"
    return None


PROBES = {
    "postgres": postgres_problem,
    "browser": chromium_problem,
    "pg_cluster": pg_cluster_problem,
    "root": root_problem,
}


def required() -> bool:
    return os.environ.get("CI") == "true"
