"""``verify`` of recorded runs, a batch of runs at a time: steps against their measurements,
traces and attachments (``integrity.step_digest``), and each run's steps against the chain
sealed into the audit log when it ended (``integrity.step_link``).

Every batch is a fixed number of statements whatever it holds (steps, measurements, traces with
their channels, attachments, the runs' seals and statuses), read as plain rows, so memory is
bounded by one batch and the statement count by the number of batches: the old check loaded
every measurement of the store as an ORM object and ran one query per trace.

The step, measurement, trace and attachment rows are read as the driver's own tuples on the
session's connection (``_Raw``), each statement's rows in one ``fetchall``, into a ``_Batch`` in
a canonical form (times as integer microseconds, values as their stored types), which
``_check_batch`` hashes and compares without knowing the dialect. A trace is hashed as its
channels are read; only its hash is kept. Per measurement that is one tuple and one SHA-256 of
its ``repr`` (PostgreSQL converts the values and the time in the statement; SQLite's rows get
the conversions the ORM types would make), instead of a SQLAlchemy row, a dict of its columns
and a type decorator per timestamp (issue #18: ``verify --full`` of a million runs within ten
minutes).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from results.audit import RUN_STEPS
from results.db import BINARY_ROWS
from results.integrity import (
    MEASUREMENT_HASHED,
    add_channel,
    canonical_json,
    measurement_hashes_at,
    step_digest,
    step_link_of,
    steps_genesis,
    stored_micros,
    trace_digest,
)
from results.measurement_schema import read_back_casts, read_back_converters
from results.models import AuditEvent, Run, RunStatus, Step
from results.verify_report import VerifyReport
from results.verify_scope import RUN_BATCH, Progress, Scope, batches

_STEP = cast(Table, Step.__table__)


def runs_in_scope(session: Session, scope: Scope, touched: set[tuple[str, str]]) -> Iterator[int]:
    """Every run id (full), or the runs that changed after the checkpoint and a sample of the
    older ones: new runs, runs with new steps, runs with new audit events."""
    if scope.since is None:
        yield from session.scalars(
            select(Run.id).order_by(Run.id).execution_options(yield_per=10 * RUN_BATCH)
        )
        return
    since = scope.since
    ids = {int(key) for kind, key in touched if kind in ("run", RUN_STEPS) and key.isdigit()}
    ids.update(session.scalars(select(Run.id).where(Run.id > since.max_run_id)))
    ids.update(session.scalars(select(Step.run_id).where(Step.id > since.max_step_id).distinct()))
    ids.update(scope.sample_rows(session, Run.id, Run.id <= since.max_run_id))
    yield from sorted(ids)


def count_runs(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Run)) or 0)


def has_legacy_steps(session: Session) -> bool:
    """Whether any step has an audit event of its own (stores recorded before run seals)."""
    first = select(AuditEvent.seq).where(AuditEvent.entity_type == "step").limit(1)
    return session.scalar(first) is not None


def verify_runs(
    session: Session,
    report: VerifyReport,
    run_ids: Iterable[int],
    progress: Progress,
    total: int,
) -> None:
    """Check ``run_ids`` (ascending), ``RUN_BATCH`` at a time: each batch read in a fixed number
    of statements (``_read_batch``), then checked (``_check_batch``)."""
    done = 0
    legacy = has_legacy_steps(session)
    raw = _Raw(session)
    for batch in _id_batches(run_ids):
        _check_batch(report, _read_batch(session, raw, batch, legacy_steps=legacy))
        done += len(batch)
        progress("runs", done, total)


def _id_batches(run_ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for run_id in run_ids:
        batch.append(run_id)
        if len(batch) == RUN_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Raw:
    """Hand-written statements on the session's connection, read as plain row tuples.

    Why: SQLAlchemy's compiled statements, ORM rows and result processors cost more than the
    hashing they feed (a type decorator per timestamp, a dict per measurement). These statements
    name no types, so rows come back as the driver returns them and are converted here, once,
    exactly as the processors would (``integrity.stored_micros``, ``read_back_converters``);
    they run in the session's transaction and through its connection's events. On PostgreSQL
    the rows come in the binary format (``db.BINARY_RESULTS_OPTION``: no hex text per trace).
    Every statement's rows are fetched at once from the driver's cursor (``fetchall``: one call,
    plain tuples), not a row at a time through SQLAlchemy's result: a batch is read whole by the
    driver either way, and the per-row calls were a third of reading a measurement row.
    """

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.mark = "?" if self.connection.dialect.paramstyle == "qmark" else "%s"
        self.sqlite = self.connection.dialect.name == "sqlite"

    def fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Every row of ``sql`` (``?`` marks) as the driver's tuples."""
        if self.mark != "?":
            sql = sql.replace("?", self.mark)
        result = self.connection.exec_driver_sql(sql, params, execution_options=BINARY_ROWS)
        try:
            return cast(list[tuple[Any, ...]], result.cursor.fetchall())
        finally:
            result.close()

    def of_runs(
        self, sql: str, run_ids: list[int], column: str = "run_id"
    ) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` whose ``column`` (``{runs}``) is one of ``run_ids``."""
        if self.sqlite:
            marks = ", ".join(["?"] * len(run_ids))
            return self.fetch(sql.replace("{runs}", f"{column} IN ({marks})"), tuple(run_ids))
        return self.fetch(sql.replace("{runs}", _any_between(column)), _ids_between(run_ids))

    def of_steps(self, sql: str, run_ids: list[int], step_ids: list[int]) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` whose ``step_id`` (``{steps}``) is one of the batch's steps
        (``step_ids``, sorted, those of ``run_ids``).

        On PostgreSQL the step ids already read are given as one array (``= ANY``): with a
        subquery over ``step`` the planner chose a sequential scan of every measurement of the
        store for each batch on a store of a few thousand runs (its estimate of the join), so the
        cost of a batch grew with the store. The array travels as its text (``{1,2,3}``, cast in
        SQL): psycopg's array dumper is Python and cost more per id than the statement. SQLite
        (whose planner uses the index either way, and which limits the number of parameters)
        keeps the subquery over the batch's run ids.
        """
        if self.sqlite:
            marks = ", ".join(["?"] * len(run_ids))
            clause = f"step_id IN (SELECT id FROM step WHERE run_id IN ({marks}))"
            return self.fetch(sql.replace("{steps}", clause), tuple(run_ids))
        return self.fetch(sql.replace("{steps}", _any_between("step_id")), _ids_between(step_ids))

    def of_traces(
        self, sql: str, run_ids: list[int], trace_ids: list[int]
    ) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` whose ``trace_id`` (``{traces}``) is one of ``trace_ids`` (sorted,
        the traces of the batch's steps); SQLite: by a subquery, as ``of_steps``."""
        if self.sqlite:
            marks = ", ".join(["?"] * len(run_ids))
            clause = (
                "trace_id IN (SELECT id FROM trace WHERE step_id IN "
                f"(SELECT id FROM step WHERE run_id IN ({marks})))"
            )
            return self.fetch(sql.replace("{traces}", clause), tuple(run_ids))
        clause = _any_between("trace_id")
        return self.fetch(sql.replace("{traces}", clause), _ids_between(trace_ids))


def _any_between(column: str) -> str:
    """PostgreSQL: ``column`` is one of an array of ids (given as text) and between the lowest
    and the highest of them.

    The range adds no condition (every id of the array is in it) but it gives the planner an
    estimate it can use without statistics: on a store never analysed (this machine's
    PostgreSQL runs without autovacuum; a store just loaded has no statistics yet) an ``= ANY``
    alone was planned as a sequential scan of the whole ``measurement`` and ``trace_channel``
    tables for each batch, a cost that grows with the store; with the range, an index scan."""
    return f"{column} = ANY(CAST(%s AS bigint[])) AND {column} BETWEEN %s AND %s"


def _ids_between(ids: list[int]) -> tuple[str, int, int]:
    """The parameters of ``_any_between`` for ``ids`` (not empty)."""
    return "{" + ",".join(map(str, ids)) + "}", min(ids), max(ids)


_MICROS_SQL = "CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS bigint)"
"""PostgreSQL: a ``timestamp with time zone`` column as integer microseconds since the epoch,
what ``integrity.stored_micros`` makes of the driver's datetime. ``EXTRACT(EPOCH ...)`` is an
exact ``numeric`` with six decimals (PostgreSQL 14 and later), so the product is an integer and
the cast rounds nothing; a test holds the two equal over arbitrary times. One Python call per
timestamp less (there is one per measurement and two per step)."""


def _micros(column: str) -> str:
    return _MICROS_SQL.replace("{column}", column)


_STEP_COLUMNS = (
    "id",
    "run_id",
    "idx",
    "name",
    "started_at",
    "ended_at",
    "verdict",
    "message",
    "digest",
)
_STEP_TIMES = (_STEP_COLUMNS.index("started_at"), _STEP_COLUMNS.index("ended_at"))
_STEPS_SQL = f"SELECT {', '.join(_STEP_COLUMNS)} FROM step WHERE {{runs}} ORDER BY id"
_PG_STEPS_SQL = (
    "SELECT "
    + ", ".join(_micros(c) if c.endswith("_at") else c for c in _STEP_COLUMNS)
    + " FROM step WHERE {runs} ORDER BY id"
)
"""PostgreSQL's: the times as microseconds (``_MICROS_SQL``)."""
_MEASUREMENTS_SQL = (
    f"SELECT step_id, id, row_hash, {', '.join(MEASUREMENT_HASHED)} FROM measurement "
    "WHERE {steps} ORDER BY step_id, idx, id"
)
_MEASURED_AT = 3 + MEASUREMENT_HASHED.index("measured_at")
_CONVERTERS = tuple((3 + at, convert) for at, convert in read_back_converters(MEASUREMENT_HASHED))
_CASTS = read_back_casts(MEASUREMENT_HASHED)


def _cast_column(column: str) -> str:
    if column == "measured_at":
        return _micros(column)
    return f"CAST({column} AS {_CASTS[column]})" if column in _CASTS else column


_CAST_MEASUREMENTS_SQL = (
    "SELECT step_id, id, row_hash, "
    + ", ".join(_cast_column(c) for c in MEASUREMENT_HASHED)
    + " FROM measurement WHERE {steps} ORDER BY step_id, idx, id"
)
"""PostgreSQL's: the converted columns cast to their stored types in SQL (``read_back_casts``),
so the rows need no Python converters; identity casts on the store's own column types; the time
as microseconds (``_MICROS_SQL``)."""
_TRACES_SQL = "SELECT step_id, id, name, sha256 FROM trace WHERE {steps} ORDER BY step_id, idx, id"
_CHANNELS_SQL = (
    "SELECT trace_id, name, unit, dtype, shape, data FROM trace_channel WHERE {traces} "
    "ORDER BY trace_id, idx, id"
)
"""A batch's channels in one statement apart from their traces: joined to ``trace``, the planner
scanned every channel of the store for each batch (a hash join) even with statistics."""
_PG_TRACES_SQL = (
    "SELECT t.step_id, t.id, t.sha256, encode(pg_catalog.sha256(convert_to(t.name, 'UTF8') || "
    "coalesce((SELECT string_agg(convert_to(chr(30) || c.name || chr(31) || c.unit || chr(31) "
    "|| c.dtype || chr(31) || c.shape || chr(31), 'UTF8') || c.data, ''::bytea "
    "ORDER BY c.idx, c.id) FROM trace_channel c WHERE c.trace_id = t.id), ''::bytea)), 'hex') "
    "FROM trace t WHERE {steps} ORDER BY t.step_id, t.idx, t.id"
)
"""PostgreSQL's: each trace's hash recomputed where its samples are, the same bytes in the same
order as ``integrity.trace_digest`` and ``add_channel`` (the name, then each channel's header
and data), so the samples are not sent to be hashed here. A run's 10,000-sample trace is 240 kB:
sending and hashing it was most of the client's work per run in ``verify --full``. This trusts
the server no more than reading the samples did (it chose which bytes to send). The hash is
named with its schema all the same (``pg_catalog`` is searched first unless a store's search
path names it after another schema)."""
_ATTACHMENTS_SQL = (
    "SELECT step_id, sha256, original_name, media_type FROM attachment WHERE {steps} ORDER BY id"
)
_STATUSES_SQL = "SELECT id, status FROM run WHERE {runs}"


@dataclass
class _Batch:
    """What the checks of a batch of runs need, read in a fixed number of statements.

    Rows are in their canonical form whatever the database: the times as integer microseconds,
    measurement values as their stored Python types (``read_back_converters``), so the checks do
    not know the dialect. Traces are already hashed (``integrity.add_channel``, as the rows were
    read): only their recomputed hashes are kept, not their samples.
    """

    run_ids: list[int]
    steps: list[tuple[Any, ...]]
    """``_STEP_COLUMNS`` of each step, in id order, the times in microseconds."""
    measurements: list[tuple[Any, ...]]
    """(step id, id, stored hash, ``MEASUREMENT_HASHED`` values), by step, idx and id."""
    traces: list[tuple[int, int, str, str]]
    """(step id, trace id, stored hash, recomputed hash), by step, idx and id."""
    attachments: list[tuple[Any, ...]]
    """(step id, sha256, original name, media type), by id."""
    seals: dict[str, str | None]
    legacy_events: dict[str, str | None]
    audited: dict[int, str]
    statuses: dict[int, str]


def _read_batch(session: Session, raw: _Raw, run_ids: list[int], *, legacy_steps: bool) -> _Batch:
    """Everything the checks of ``run_ids`` (sorted) read from the store."""
    if raw.sqlite:
        steps = [_sqlite_step(row) for row in raw.of_runs(_STEPS_SQL, run_ids)]
    else:
        steps = raw.of_runs(_PG_STEPS_SQL, run_ids)
    step_ids = sorted(step[0] for step in steps)
    if not step_ids:
        measurements: list[tuple[Any, ...]] = []
        traces: list[tuple[int, int, str, str]] = []
        attachments: list[tuple[Any, ...]] = []
    else:
        if raw.sqlite:
            rows = raw.of_steps(_MEASUREMENTS_SQL, run_ids, step_ids)
            measurements = [_sqlite_measurement(row) for row in rows]
        else:
            measurements = raw.of_steps(_CAST_MEASUREMENTS_SQL, run_ids, step_ids)
        traces = _trace_hashes(raw, run_ids, step_ids)
        attachments = raw.of_steps(_ATTACHMENTS_SQL, run_ids, step_ids)
    step_keys = [str(step[0]) for step in steps]
    legacy_events = latest_after(session, "step", step_keys) if legacy_steps else {}
    return _Batch(
        run_ids=run_ids,
        steps=steps,
        measurements=measurements,
        traces=traces,
        attachments=attachments,
        seals=latest_after(session, RUN_STEPS, [str(run_id) for run_id in run_ids]),
        legacy_events=legacy_events,
        audited=_audited_steps(session, legacy_events),
        statuses=dict(raw.of_runs(_STATUSES_SQL, run_ids, "id")),
    )


def _sqlite_step(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A step row as SQLite's driver gives it, its times as microseconds."""
    values = list(row)
    for at in _STEP_TIMES:
        values[at] = stored_micros(values[at])
    return tuple(values)


def _sqlite_measurement(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A measurement row as SQLite's driver gives it, converted as the ORM types would."""
    values = list(row)
    for at, convert in _CONVERTERS:
        values[at] = convert(values[at])
    values[_MEASURED_AT] = stored_micros(values[_MEASURED_AT])
    return tuple(values)


def _trace_hashes(
    raw: _Raw, run_ids: list[int], step_ids: list[int]
) -> list[tuple[int, int, str, str]]:
    """Each trace of the batch's steps with its hash recomputed from its channels."""
    if not raw.sqlite:
        return cast(
            list[tuple[int, int, str, str]], raw.of_steps(_PG_TRACES_SQL, run_ids, step_ids)
        )
    traces = raw.of_steps(_TRACES_SQL, run_ids, step_ids)
    if not traces:
        return []
    digests = {trace_id: trace_digest(name) for _step, trace_id, name, _stored in traces}
    for trace_id, *channel in raw.of_traces(_CHANNELS_SQL, run_ids, sorted(digests)):
        add_channel(digests[trace_id], *channel)
    return [
        (step_id, trace_id, stored, digests[trace_id].hexdigest())
        for step_id, trace_id, _name, stored in traces
    ]


def _check_batch(report: VerifyReport, batch: _Batch) -> None:
    """Every measurement, trace and step of ``batch`` against its stored hash, and each run's
    steps against its seal."""
    position = {step[0]: (step[1], step[2]) for step in batch.steps}
    rows = batch.measurements
    counts = Counter(map(itemgetter(0), rows))
    if not counts.keys() <= position.keys():
        # A step committed between the batch's statements: cannot happen now (PostgreSQL
        # selects by the step ids read, SQLite reads one snapshot), kept as a guard.
        rows = [row for row in rows if row[0] in position]
        counts = Counter(map(itemgetter(0), rows))
    hashes = measurement_hashes_at(position, rows, 3)
    report.measurements += len(rows)
    if hashes != list(map(itemgetter(2), rows)):
        for recomputed, row in zip(hashes, rows, strict=True):
            if recomputed != row[2]:
                report.add("measurement", f"measurement id={row[1]}", "row edited after recording")
    measurements: dict[int, list[str]] = {}
    at = 0
    for step_id, count in counts.items():  # rows come ordered by step: each step's are together
        measurements[step_id] = hashes[at : at + count]
        at += count
    traces: dict[int, list[str]] = {}
    for step_id, trace_id, stored, recomputed in batch.traces:
        report.traces += 1
        if recomputed != stored:
            report.add("trace", f"trace id={trace_id}", "samples or channels edited")
        traces.setdefault(step_id, []).append(recomputed)
    files: dict[int, list[tuple[str, str, str]]] = {}
    for step_id, *attachment in batch.attachments:
        files.setdefault(step_id, []).append(tuple(attachment))
    empty: list[Any] = []
    for step in batch.steps:
        step_id = step[0]
        report.steps += 1
        digest = step_digest(
            measurements.get(step_id, empty), traces.get(step_id, empty), files.get(step_id, empty)
        )
        if digest != step[8]:
            report.add(
                "step",
                f"step id={step_id}",
                "measurements, traces or attachments differ from what was recorded",
            )
    _check_seals(report, batch)


_LATEST_SQL = (
    "SELECT entity_id, after_json FROM audit_event WHERE entity_type = ? AND entity_id IN ({keys}) "
    "ORDER BY seq"
)
_PG_LATEST_SQL = (
    "SELECT e.entity_id, e.after_json FROM unnest(CAST(%s AS varchar[])) AS k(id) CROSS JOIN "
    "LATERAL (SELECT entity_id, after_json, seq FROM audit_event WHERE entity_type = %s AND "
    "entity_id = k.id OFFSET 0) AS e ORDER BY e.seq"
)
"""PostgreSQL's: each entity's events looked up by its own key, in ``ix_audit_event_entity``.

``entity_id IN (...)`` was planned, on a store without statistics, as a scan of every event of
the entity type for each batch, the keys a filter (a cost that grows with the store); the ids
are text, so a range around them (which helps the other statements) would depend on the
collation. A lateral subquery per key (``OFFSET 0`` keeps the planner from flattening it into a
join) is one index lookup per key whatever the statistics. The keys travel as one array literal:
two thousand bound parameters cost more to render and parse than the lookups."""


def latest_after(session: Session, entity_type: str, keys: list[str]) -> dict[str, str | None]:
    """(entity id -> ``after_json`` of its newest event) for ``keys`` of ``entity_type``; keys
    with no event are absent. A statement per ``BATCH`` keys."""
    raw = _Raw(session)
    latest: dict[str, str | None] = {}
    for chunk in batches(keys):
        if raw.sqlite:
            sql = _LATEST_SQL.replace("{keys}", ", ".join(["?"] * len(chunk)))
            rows = raw.fetch(sql, (entity_type, *chunk))
        else:
            rows = raw.fetch(_PG_LATEST_SQL, (_array_literal(chunk), entity_type))
        latest.update(rows)
    return latest


_BIGINT_END = 2**63


def existing_ids(session: Session, table: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` are rows of ``table`` (by its integer ``id``); a statement per ``BATCH``
    ids, the ids as one array on PostgreSQL (``_any_between``)."""
    raw = _Raw(session)
    found: set[int] = set()
    possible = [row_id for row_id in ids if 0 <= row_id < _BIGINT_END]  # others cannot be ids
    for chunk in batches(possible):
        found.update(
            row[0] for row in raw.of_runs(f"SELECT id FROM {table} WHERE {{runs}}", chunk, "id")
        )
    return found


def _array_literal(keys: list[str]) -> str:
    """``keys`` as a PostgreSQL array literal, each element quoted (``"`` and ``\\`` escaped)."""
    quoted = (key.replace("\\", "\\\\").replace('"', '\\"') for key in keys)
    return "{" + ",".join(f'"{key}"' for key in quoted) + "}"


def _audited_steps(session: Session, legacy_events: dict[str, str | None]) -> dict[int, str]:
    """The steps that have a (pre-seal) audit event of their own, as that event spells a step
    row (``canonical_json`` of the row read through the ORM types, as it was recorded)."""
    ids = [int(key) for key in legacy_events]
    out: dict[int, str] = {}
    for chunk in batches(ids):
        for row in session.execute(select(*_STEP.c).where(_STEP.c.id.in_(chunk))):
            out[row.id] = canonical_json(row._asdict())
    return out


def _check_seals(report: VerifyReport, batch: _Batch) -> None:
    """Re-fold each run's step rows and compare with the chain sealed when the run ended.

    Stores recorded before the seal existed have one ``step`` event per step: those steps are
    compared with their event instead. A run still recording has no seal yet; its steps are only
    checked against their own digests (counted in ``unsealed_steps``). ``batch.legacy_events``
    is empty unless the store has such events at all (``has_legacy_steps``).
    """
    seals, statuses = batch.seals, batch.statuses
    legacy_events, audited = batch.legacy_events, batch.audited
    chains: dict[int, tuple[int, str]] = {}
    legacy: dict[int, int] = {}
    for step_id, run_id, *values in batch.steps:
        at = chains.get(run_id)
        count, chain = (0, steps_genesis(run_id)) if at is None else at
        chains[run_id] = (count + 1, step_link_of(chain, step_id, run_id, *values))
        if legacy_events:
            old_event = legacy_events.get(str(step_id))
            if old_event is not None:
                legacy[run_id] = legacy.get(run_id, 0) + 1
                if old_event != audited.get(step_id):
                    report.add("step", f"step id={step_id}", "row differs from its audited state")
    for run_id in batch.run_ids:
        if run_id not in statuses and run_id not in chains:
            continue  # a sampled id with no run: the record check reports a deleted run
        count, chain = chains.get(run_id) or (0, steps_genesis(run_id))
        ref = f"run id={run_id}"
        sealed = seals.get(str(run_id))
        if sealed is not None:
            report.sealed_runs += 1
            seal: dict[str, Any] = json.loads(sealed)
            if seal.get("steps") != count or seal.get("chain") != chain:
                report.add(
                    "step",
                    ref,
                    f"steps differ from those sealed at the end of the run ({seal.get('steps')} "
                    f"sealed, {count} stored): a step, measurement, trace or attachment row was "
                    "edited, added or removed after recording",
                )
        elif legacy.get(run_id, 0) == count:
            continue  # every step has its own (pre-seal) audit event, checked above
        elif statuses.get(run_id) == RunStatus.RUNNING.value:
            report.unsealed_steps += count
        elif run_id in statuses:
            report.add(
                "step",
                ref,
                "run ended but its steps were never sealed in the audit log: recorded behind the "
                "store's back, or the seal event was removed",
            )
