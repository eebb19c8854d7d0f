"""Where the PostgreSQL benchmarks run, never in the test suite's database.

``PACKBENCH_BENCH_DATABASE_URL`` when set; otherwise the benchmarks create (once) and use their
own database ``packbench_bench`` on the local server. Each benchmark works in a schema of its own,
dropped after it. When no PostgreSQL answers (a fresh clone with only the embedded store), the
caller reports its figures as not measured, with the reason this module gives.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
OWN_DATABASE = "packbench_bench"
ENVIRONMENT = "PACKBENCH_BENCH_DATABASE_URL"


def server_url() -> tuple[str | None, str]:
    """(server URL, where it came from); URL ``None`` with the reason when none answers."""
    configured = os.environ.get(ENVIRONMENT)
    try:
        if configured:
            engine = create_engine(configured, connect_args={"connect_timeout": 3})
            try:
                with engine.connect():
                    pass
            finally:
                engine.dispose()
            return configured, ENVIRONMENT
        engine = create_engine(
            f"{LOCAL_SERVER}/postgres",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 3},
        )
        try:
            with engine.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": OWN_DATABASE}
                ).first()
                if exists is None:
                    connection.execute(text(f'CREATE DATABASE "{OWN_DATABASE}"'))
        finally:
            engine.dispose()
    except Exception as exc:  # any driver or server failure means "no PostgreSQL here"
        where = ENVIRONMENT if configured else LOCAL_SERVER
        return None, f"no PostgreSQL reachable at {where} ({type(exc).__name__})"
    return f"{LOCAL_SERVER}/{OWN_DATABASE}", f"own database {OWN_DATABASE}"


@contextmanager
def private_schema(server: str, prefix: str) -> Iterator[str]:
    """A URL whose connections work in a new schema of ``server``, dropped on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
