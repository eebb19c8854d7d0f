"""Driver-level writes for the recorder's per-step hot path.

A step is a handful of INSERTs and one UPDATE, and SQLite does each in a few microseconds; going
through the ORM unit of work or even Core ``execute`` costs 30-50 us per statement in SQLAlchemy's
own Python (statement compilation cache lookups, result set-up), which made a step cost over a
millisecond (DESIGN.md §8 allows 100 us). So this module prepares each statement's SQL text and its
columns' bind processors once per dialect and table, and runs them on the DBAPI cursor of one pooled
connection that the recorder keeps for the whole run. The bind processors are SQLAlchemy's own, so
values are stored exactly as the ORM would store them (UTC datetimes, booleans) and read back the
same through either path.

The live recorder's start and finish of a run (``results.run_writer``) use the same connection:
``select_row`` reads a row through the columns' result processors (SQLAlchemy's, so values come
back as the ORM would load them) and ``fetch_all`` runs a Core statement compiled once per
dialect (the unit result's two ranking queries).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Column, Connection, Dialect, Engine, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from results.models import UTCDateTime

_Processor = Callable[[Any], Any]
_Prepared = tuple[str, tuple[tuple[int, _Processor], ...]]
"""SQL text and the (position, bind processor) of the columns that have one."""
_CACHE: dict[tuple[str, str, tuple[str, ...], str], _Prepared] = {}
_BINDERS: dict[tuple[str, str, str], _Processor | None] = {}
_Select = tuple[str, tuple[_Processor | None, ...]]
"""SQL text of a SELECT and the result processor of each column it returns."""
_SELECTS: dict[tuple[str, str, tuple[str, ...], str, str], _Select] = {}
_Compiled = tuple[
    ClauseElement,
    str,
    "list[Any] | dict[str, Any]",
    dict[str, tuple[tuple[int, ...], _Processor | None]],
    frozenset[str],
]
"""A Core statement, its SQL text, its parameters with its own bound values already bound
(positional: a list in statement order; named: a dict) and, for each parameter name, its
positions in that list (empty: named) and its bind processor, and the names a call must give."""
_COMPILED: dict[tuple[str, int], _Compiled] = {}
_UNNEST: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[_Processor | None, ...]]] = {}
"""``insert_returning_ids``' SQL and bind processors by (table, columns), PostgreSQL only."""


def _prepared(dialect: Dialect, table: Table, columns: tuple[str, ...], kind: str) -> _Prepared:
    """SQL text and bind processors for an INSERT (``kind`` ``insert``/``returning``) or, for
    ``kind`` ``update:<key>``, an UPDATE of ``columns`` of the row whose ``<key>`` is the value
    bound after them."""
    key = (dialect.name, table.name, columns, kind)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join([mark] * len(columns))
    if kind.startswith("update:"):
        sets = ", ".join(f'"{c}" = {mark}' for c in columns)
        sql = f'UPDATE "{table.name}" SET {sets} WHERE "{kind.removeprefix("update:")}" = {mark}'
    else:
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


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    """``statement`` compiled for ``dialect``, its own literal values bound once here (through
    their types' bind processors, as ``Connection.execute`` binds them on every call), so a call
    binds only the parameters it gives (``StepWriter.fetch_all``: the unit result's ranking
    statements carry some twenty literals and one parameter)."""
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    order = tuple(compiled.positiontup or ())
    values: dict[str, Any] = {}
    processors: dict[str, _Processor | None] = {}
    required: set[str] = set()
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        processors[name] = process
        if bind.required:
            required.add(name)
        else:
            value = bind.effective_value
            values[name] = value if process is None else process(value)
    template: list[Any] | dict[str, Any]
    if order:
        template = [values.get(name) for name in order]
        positions: dict[str, list[int]] = {}
        for position, name in enumerate(order):
            positions.setdefault(name, []).append(position)
        slots = {name: (tuple(at), processors[name]) for name, at in positions.items()}
    else:
        template = values
        slots = {name: ((), process) for name, process in processors.items()}
    return statement, compiled.string, template, slots, frozenset(required)


class StepWriter:
    """One pooled connection held for a run; each ``transaction`` is one step's commit.

    Holding the connection saves the pool checkout per step; between transactions it holds no
    lock (SQLite runs in autocommit between our explicit BEGIN/COMMIT; PostgreSQL is idle, not in a
    transaction). ``close`` returns it to the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pooled: PoolProxiedConnection | None = None
        """The pool's connection this writer checked out and holds for the run (``close``
        gives it back), or ``None``."""
        self._cursor: Any = None
        self._dbapi: Any = None
        self._sqlite = engine.dialect.name == "sqlite"
        self._after_commit: list[Callable[[Any], object]] = []

    @classmethod
    @contextlib.contextmanager
    def borrowing(cls, connection: Connection) -> Iterator[StepWriter]:
        """A writer on ``connection``, inside the transaction its owner (an ORM session) has
        begun: the same prepared statements, on the owner's connection and transaction.

        Why: a run submitted whole (``results.run_import``) writes in the caller's session
        transaction, and SQLAlchemy's per-statement Python cost (parameter processing of each of
        its ~60 measurement rows, statement cache look-ups) was most of its CPU. Do not call
        ``begin``, ``commit``, ``rollback`` or ``close`` on it: the owner ends the transaction
        and keeps the connection; on exit only the writer's cursor is closed.

        A driver error is raised as SQLAlchemy's exception for it (``IntegrityError``,
        ``DataError``, ...), as the same statement through ``Connection.execute`` raises it, so
        callers' handlers (the service answers 409 to a database refusal) see no difference.
        """
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        writer = cls(connection.engine)
        writer._dbapi, writer._cursor = dbapi, dbapi.cursor()
        driver_error = connection.dialect.loaded_dbapi.Error
        try:
            yield writer
        except driver_error as exc:
            raise DBAPIError.instance(
                None, None, exc, driver_error, dialect=connection.dialect
            ) from exc
        finally:
            writer._drop_cursor()

    def _checked_out(self) -> PoolProxiedConnection:
        """The pooled connection held for the run, checked out on first use.

        Straight from the pool (``Engine.raw_connection``), not wrapped in a ``Connection``:
        the writer runs every statement on the driver cursor, and the wrapper's construction
        and close cost about 15 us of the run's 0.5 ms fixed cost (issue #18) for nothing it
        used. The pool's own checkout and return are the same (its events, and the rollback
        with which it resets a returned connection).
        """
        if self._pooled is None:
            self._pooled = self._engine.raw_connection()
        return self._pooled

    def begin(self) -> None:
        """Start one step's transaction (``BEGIN IMMEDIATE`` on SQLite: see ``results.db``).

        The DBAPI connection and its cursor are kept between steps (a cursor per step cost more
        than the INSERT it ran); both are dropped with the connection on ``close`` or a failure.
        """
        if self._cursor is None:
            dbapi = self._checked_out().dbapi_connection
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
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback(self._dbapi)

    def after_commit(self, callback: Callable[[Any], object]) -> None:
        """Call ``callback(dbapi_connection)`` once this transaction has committed, on the
        writer's idle connection (PostgreSQL's audit drain, ``results.audit_group``); a rollback
        forgets it. A writer ``borrowing`` a session's connection never commits: do not use."""
        self._after_commit.append(callback)

    def rollback(self) -> None:
        """Undo the open step; a connection that cannot even roll back is dropped, not reused."""
        self._after_commit = []
        pooled = self._pooled
        if pooled is None:
            return
        try:
            dbapi = pooled.dbapi_connection
            assert dbapi is not None
            dbapi.rollback()
        except Exception:
            pooled.invalidate()
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
        sql, processors = _prepared(self._engine.dialect, table, tuple(row), "returning")
        self._cursor.execute(sql, _params(processors, row))
        (new_id,) = self._cursor.fetchone()
        return int(new_id)

    def insert_returning_ids(self, table: Table, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` (the same keys, in the same order) and return their ids in the rows'
        order: on PostgreSQL one statement, the rows travelling as one array per column.

        The order is SQLAlchemy's ``sort_by_parameter_order`` argument, made the same way: the
        rows are inserted in the order of their position (``WITH ORDINALITY ... ORDER BY``), so
        the serial ids are drawn in that order, and the returned ids sorted are the rows' ids.
        SQLAlchemy's own statement cost ~0.7 ms of Python a call (a parameter renamed by regex
        for each value and a SQL text of its own for each row count, re-parsed by psycopg).
        SQLite: one cheap INSERT per row on the same cursor. The arrays travel in binary
        (``%b``): psycopg's text form quotes every string element through a regular expression,
        about 0.3 ms of a 15-step run's step insert against 0.1 ms binary (same values stored).
        """
        if not rows:
            return []
        if self._engine.dialect.name != "postgresql":
            return [self.insert_returning_id(table, row) for row in rows]
        columns = tuple(rows[0])
        prepared = _UNNEST.get((table.name, columns))
        if prepared is None:
            dialect = self._engine.dialect
            names = ", ".join(f'"{c}"' for c in columns)
            arrays = ", ".join(f"%b::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
            sql = (
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM unnest({arrays}) '
                f'WITH ORDINALITY AS given ({names}, "ordinality") ORDER BY "ordinality" '
                'RETURNING "id"'
            )
            binders = tuple(self.binder(table, c) for c in columns)
            prepared = _UNNEST[(table.name, columns)] = (sql, binders)
        sql, binders = prepared
        arrays_of: list[list[Any]] = [
            [row[c] for row in rows] if proc is None else [proc(row[c]) for row in rows]
            for c, proc in zip(columns, binders, strict=True)
        ]
        self._cursor.execute(sql, arrays_of, binary=True)
        return sorted(int(new_id) for (new_id,) in self._cursor.fetchall())

    def update_row(self, table: Table, values: dict[str, Any], key: str, key_value: Any) -> None:
        """Set ``values`` (columns and values, bound by the columns' types) in the row of
        ``table`` whose ``key`` is ``key_value``; the statement is prepared once per columns."""
        sql, processors = _prepared(self._engine.dialect, table, tuple(values), f"update:{key}")
        params = _params(processors, values)
        params.append(key_value)
        self._cursor.execute(sql, params)

    def insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """One executemany; every row must have the same keys in the same order."""
        if not rows:
            return
        sql, processors = _prepared(self._engine.dialect, table, tuple(rows[0]), "insert")
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
        sql, _processors = _prepared(self._engine.dialect, table, columns, "insert")
        self._cursor.executemany(sql, rows)

    def copy_bound(
        self, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
    ) -> None:
        """``insert_bound``, as one ``COPY ... FROM STDIN`` on PostgreSQL.

        For many rows at once (a whole run's measurements, ``results.run_import``): COPY cost
        half the client CPU of an executemany of 60 rows and a third less server CPU, measured.
        The rows are the same values, so they are stored the same; elsewhere (SQLite) it is
        ``insert_bound``.
        """
        if not rows:
            return
        if self._engine.dialect.name != "postgresql":
            self.insert_bound(table, columns, rows)
            return
        names = ", ".join(f'"{c}"' for c in columns)
        with self._cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def binder(self, table: Table, column: str) -> _Processor | None:
        """The function that binds ``column``'s values here (``None``: pass them unchanged).

        SQLAlchemy's bind processor, looked up once per dialect (like the prepared statements:
        the engines of ``results.db`` configure no serializer of their own); a ``UTCDateTime``
        on SQLite gets ``_sqlite_utc``, which stores the same text faster.
        """
        dialect = self._engine.dialect
        key = (dialect.name, table.name, column)
        if key in _BINDERS:
            return _BINDERS[key]
        proc = _BINDERS[key] = _bind_processor(dialect, table.c[column])
        return proc

    def select_row(
        self, table: Table, columns: tuple[str, ...], key: str, value: Any, *, lock: str = ""
    ) -> dict[str, Any] | None:
        """``columns`` of the row of ``table`` whose ``key`` is ``value`` (``None``: no such
        row), each converted by its column type's result processor as a loaded ORM attribute
        is; ``lock`` is appended to the statement where the dialect is not SQLite (e.g.
        ``FOR UPDATE``: SQLite's ``BEGIN IMMEDIATE`` already excludes other writers)."""
        dialect = self._engine.dialect
        lock = "" if self._sqlite else lock
        cache_key = (dialect.name, table.name, columns, key, lock)
        prepared = _SELECTS.get(cache_key)
        if prepared is None:
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            names = ", ".join(f'"{c}"' for c in columns)
            sql = f'SELECT {names} FROM "{table.name}" WHERE "{key}" = {mark}'
            if lock:
                sql += f" {lock}"
            readers: tuple[_Processor | None, ...] = tuple(
                table.c[c].type.dialect_impl(dialect).result_processor(dialect, None)
                for c in columns
            )
            prepared = _SELECTS[cache_key] = (sql, readers)
        sql, processors = prepared
        self._cursor.execute(sql, (value,))
        row = self._cursor.fetchone()
        if row is None:
            return None
        return {
            c: v if proc is None else proc(v)
            for c, v, proc in zip(columns, row, processors, strict=True)
        }

    def fetch_all(
        self, statement: ClauseElement, params: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The rows of a Core ``statement`` with its bind parameters ``params``.

        The statement is compiled once per dialect (keep it alive: it is cached by identity, as
        ``results.unit_results`` builds its statements once) and its own literal values bound
        through their types' bind processors, as ``Connection.execute`` would; the rows come back
        as the driver gives them, so use it for statements whose columns need no conversion
        (integers, text).
        """
        dialect = self._engine.dialect
        cache_key = (dialect.name, id(statement))
        entry = _COMPILED.get(cache_key)
        if entry is None or entry[0] is not statement:
            entry = _COMPILED[cache_key] = _compile(statement, dialect)
        _statement, sql, template, slots, required = entry
        if not required <= params.keys():
            raise KeyError(f"missing bind parameters {sorted(required - params.keys())}")
        bound: Any
        if isinstance(template, list):
            bound = template.copy()
            for name, value in params.items():
                positions, process = slots.get(name, ((), None))
                for position in positions:
                    bound[position] = value if process is None else process(value)
        else:
            bound = template.copy()
            for name, value in params.items():
                if name in slots:
                    process = slots[name][1]
                    bound[name] = value if process is None else process(value)
        self._cursor.execute(sql, bound)
        return [tuple(row) for row in self._cursor.fetchall()]

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
        return self._engine.dialect.name

    def close(self) -> None:
        """Give the held connection back to the pool (which resets it with a rollback)."""
        self._drop_cursor()
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            pooled.close()
