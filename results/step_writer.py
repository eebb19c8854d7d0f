"""Driver-level writes for the recorder's per-step hot path.

A step is a handful of INSERTs and one UPDATE, and SQLite does each in a few microseconds; going
through the ORM unit of work or even Core ``execute`` costs 30-50 us per statement in SQLAlchemy's
own Python (statement compilation cache lookups, result set-up), which made a step cost over a
millisecond (DESIGN.md §8 allows 100 us). So this module prepares each statement's SQL text and its
columns' bind processors once per dialect and table, and runs them on the DBAPI cursor of one pooled
connection that the recorder keeps for the whole run. The bind processors are SQLAlchemy's own, so
values are stored exactly as the ORM would store them (UTC datetimes, booleans) and read back the
same through either path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Engine, Table

from results.models import UTCDateTime

_Processor = Callable[[Any], Any]
_Prepared = tuple[str, tuple[tuple[int, _Processor], ...]]
"""SQL text and the (position, bind processor) of the columns that have one."""
_CACHE: dict[tuple[str, str, tuple[str, ...], str], _Prepared] = {}


def _prepared(conn: Connection, table: Table, columns: tuple[str, ...], kind: str) -> _Prepared:
    """SQL text and bind processors for an INSERT (``kind`` ``insert``/``returning``)."""
    dialect = conn.dialect
    key = (dialect.name, table.name, columns, kind)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join([mark] * len(columns))
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    if kind == "returning":
        sql += ' RETURNING "id"'
    processors: list[tuple[int, _Processor]] = []
    for position, column in enumerate(columns):
        proc = _bind_processor(dialect, table.c[column])
        if proc is not None:
            processors.append((position, proc))
    _CACHE[key] = (sql, tuple(processors))
    return _CACHE[key]


def _params(processors: tuple[tuple[int, _Processor], ...], row: dict[str, Any]) -> list[Any]:
    # Most columns (text, floats on SQLite) have no processor: convert only those that do.
    values = list(row.values())
    for position, proc in processors:
        values[position] = proc(values[position])
    return values


def _sqlite_utc(value: datetime) -> str:
    """A ``UTCDateTime`` as SQLAlchemy's SQLite dialect stores it, in three C calls.

    SQLAlchemy's own path is two Python functions (the type decorator, then ``%``-formatting of
    seven fields) and was the largest single cost per recorded measurement. The text is the same
    (``YYYY-MM-DD HH:MM:SS.ffffff``; tests compare the two on arbitrary datetimes), so rows written
    here and rows written by the ORM read back and compare alike.
    """
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone (UTC)")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _bind_processor(dialect: Dialect, column: Column[Any]) -> _Processor | None:
    if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
        return _sqlite_utc
    return column.type.dialect_impl(dialect).bind_processor(dialect)


class StepWriter:
    """One pooled connection held for a run; each ``transaction`` is one step's commit.

    Holding the connection saves the pool checkout per step; between transactions it holds no
    lock (SQLite runs in autocommit between our explicit BEGIN/COMMIT; PostgreSQL is idle, not in a
    transaction). ``close`` returns it to the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._cursor: Any = None
        self._dbapi: Any = None
        self._sqlite = engine.dialect.name == "sqlite"
        self._binders: dict[tuple[str, str], _Processor | None] = {}

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def begin(self) -> None:
        """Start one step's transaction (``BEGIN IMMEDIATE`` on SQLite: see ``results.db``).

        The DBAPI connection and its cursor are kept between steps (a cursor per step cost more
        than the INSERT it ran); both are dropped with the connection on ``close`` or a failure.
        """
        if self._cursor is None:
            dbapi = self._connection().connection.dbapi_connection
            assert dbapi is not None
            self._dbapi = dbapi
            self._cursor = dbapi.cursor()
        if self._sqlite:
            self._cursor.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self._sqlite:
            self._cursor.execute("COMMIT")
        else:
            self._dbapi.commit()

    def rollback(self) -> None:
        """Undo the open step; a connection that cannot even roll back is dropped, not reused."""
        conn = self._conn
        if conn is None:
            return
        try:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.rollback()
        except Exception:
            conn.invalidate()
            self.close()
            raise
        finally:
            self._drop_cursor()

    def _drop_cursor(self) -> None:
        cursor, self._cursor, self._dbapi = self._cursor, None, None
        if cursor is not None:
            # An invalidated connection's cursor may already be gone.
            with contextlib.suppress(Exception):
                cursor.close()

    def insert_returning_id(self, table: Table, row: dict[str, Any]) -> int:
        sql, processors = _prepared(self._connection(), table, tuple(row), "returning")
        self._cursor.execute(sql, _params(processors, row))
        (new_id,) = self._cursor.fetchone()
        return int(new_id)

    def insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """One executemany; every row must have the same keys in the same order."""
        if not rows:
            return
        sql, processors = _prepared(self._connection(), table, tuple(rows[0]), "insert")
        self._cursor.executemany(sql, [_params(processors, r) for r in rows])

    def insert_bound(
        self, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
    ) -> None:
        """One executemany of rows whose values are already bound (see ``binder``).

        The measurement path: the recorder builds each row once, in column order, instead of a
        dict that is then converted column by column.
        """
        if not rows:
            return
        sql, _processors = _prepared(self._connection(), table, columns, "insert")
        self._cursor.executemany(sql, rows)

    def binder(self, table: Table, column: str) -> _Processor | None:
        """The function that binds ``column``'s values here (``None``: pass them unchanged).

        SQLAlchemy's bind processor, looked up once per writer; a ``UTCDateTime`` on SQLite
        gets ``_sqlite_utc``, which stores the same text faster.
        """
        key = (table.name, column)
        if key in self._binders:
            return self._binders[key]
        proc = _bind_processor(self._engine.dialect, table.c[column])
        self._binders[key] = proc
        return proc

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        """A hand-written statement; ``sql`` uses ``?`` marks, converted for the dialect."""
        if not self._sqlite and self._engine.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        self._cursor.execute(sql, tuple(params))

    def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
        """The one row ``sql`` (``?`` marks) returns."""
        self.execute(sql, params)
        row = self._cursor.fetchone()
        if row is None:
            raise LookupError(f"no row from {sql!r}")
        return tuple(row)

    @property
    def dialect_name(self) -> str:
        return self._connection().dialect.name

    def bind(self, table: Table, column: str, value: Any) -> Any:
        """``value`` as the column's type would bind it (e.g. a UTC datetime on SQLite)."""
        proc = self.binder(table, column)
        return value if proc is None else proc(value)

    def close(self) -> None:
        self._drop_cursor()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
