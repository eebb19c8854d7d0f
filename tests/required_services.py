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


PROBES = {"postgres": postgres_problem, "browser": chromium_problem}


def required() -> bool:
    return os.environ.get("CI") == "true"
