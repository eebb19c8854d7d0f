"""Engine and session factory: SQLite at a path by default, PostgreSQL by URL.

SQLite needs three settings that its defaults get wrong for a bench store: WAL (readers never wait
for the recorder), ``foreign_keys`` (off by default!) and a busy timeout (a second bench waits
instead of failing). Every SQLite transaction starts with ``BEGIN IMMEDIATE``: a deferred
transaction that reads and then writes can fail at once with ``SQLITE_BUSY`` when another process
committed in between (the busy handler does not help there), and the complaint counter and the audit
chain are exactly read-then-write. Read-only paths (QA pages, exports) use
``read_session_factory``, whose transactions begin deferred and so never queue behind a writing
bench. PostgreSQL gets row locks (``SELECT ... FOR UPDATE``) instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "packbench_read_only"
BINARY_RESULTS_OPTION = "packbench_binary_results"
"""Execution option: on psycopg (PostgreSQL), the statement's rows come back in PostgreSQL's binary
format rather than as text. ``verify`` reads every trace's samples: as text a ``bytea`` value
travels hex-encoded (twice its size, encoded by the server and decoded by the client), which was
about a quarter of a full verify's CPU time, client and server (issue #18). The driver's loaders
give the same Python values in both formats (``bytes``, ``float``, ``bool``, ``datetime``,
``str``, ``int``). Other drivers ignore it."""
BINARY_ROWS: Any = {BINARY_RESULTS_OPTION: True}
"""The execution options that ask for binary rows (typed loosely: SQLAlchemy's own options are
a closed ``TypedDict``)."""


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for ``target``: a URL passes through, anything else is a SQLite path."""
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def make_engine(target: str | Path, **kwargs: Any) -> Engine:
    url = make_url(database_url(target))
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ValueError(
                "in-memory SQLite cannot hold a bench store (each connection gets its own empty "
                "database); give a file path"
            )
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if url.get_driver_name() == "psycopg":
        _configure_psycopg(engine)
    return engine


def _configure_psycopg(engine: Engine) -> None:
    """Honour ``BINARY_RESULTS_OPTION`` (psycopg 3 takes the result format per cursor)."""
    from psycopg.pq import Format

    @event.listens_for(engine, "before_cursor_execute")
    def _binary_results(
        _connection: Any,
        cursor: Any,
        _statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        if context is not None and context.execution_options.get(BINARY_RESULTS_OPTION):
            cursor.format = Format.BINARY


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN instead of pysqlite's own logic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")  # deferred: takes no write lock
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: records handed back to callers stay readable after the commit.
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for pages and exports that only read.

    On SQLite their transactions begin deferred instead of ``BEGIN IMMEDIATE``, so in WAL mode a
    reader never queues behind a bench that is writing a run (it sees the last committed state).
    They must not write: a deferred transaction that writes can fail with ``SQLITE_BUSY`` at once.
    On PostgreSQL they are ordinary sessions (readers never wait for writers there).
    """
    return sessionmaker(
        engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
    )


def one_at_a_time(session: Session, key: str) -> None:
    """Transactions that would create the same thing queue here on PostgreSQL until the first
    commits, so the next one finds it (``pg_advisory_xact_lock`` of ``key``): a look-up
    followed by an insert is otherwise a race there, which made two units of one serial when two
    benches synced their first runs at once. SQLite allows one writer at a time anyway. One run
    takes its keys in one order (run, complaint, unit). A batch takes several runs' keys in one
    transaction, so two batches naming the same units in other orders can deadlock: PostgreSQL
    aborts one, and ``service.sync_document`` records that batch's runs one transaction each."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
