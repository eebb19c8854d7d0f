"""``verify`` of recorded runs, a batch of runs at a time: steps against their measurements,
traces and attachments (``integrity.step_digest``), and each run's steps against the chain
sealed into the audit log when it ended (``integrity.step_link``).

Every batch is a fixed number of statements whatever it holds (steps, measurements, traces with
their channels, attachments, the runs' seals and statuses), read as plain rows, so memory is
bounded by one batch and the statement count by the number of batches: the old check loaded
every measurement of the store as an ORM object and ran one query per trace.

The step, measurement, trace and attachment rows are read as the driver's own tuples on the
session's connection (``_Raw``) and hashed as they stream in; a trace is hashed channel by
channel. Per measurement that is one tuple, the few conversions the ORM types would make and one
SHA-256, instead of a SQLAlchemy row, a dict of its columns and a type decorator per timestamp
(issue #18: ``verify --full`` of a million runs within ten minutes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from results.audit import RUN_STEPS
from results.db import BINARY_RESULTS_OPTION
from results.integrity import (
    MEASUREMENT_HASHED,
    add_channel,
    canonical_json,
    measurement_hash_of,
    step_digest,
    step_link_of,
    steps_genesis,
    stored_micros,
    trace_digest,
)
from results.measurement_schema import read_back_casts, read_back_converters
from results.models import AuditEvent, Run, RunStatus, Step
from results.verify_report import VerifyReport
from results.verify_scope import BATCH, RUN_BATCH, Progress, Scope, batches

if TYPE_CHECKING:
    from hashlib import _Hash

_STEP = cast(Table, Step.__table__)
_BINARY_ROWS: Any = {BINARY_RESULTS_OPTION: True}
"""The execution options of ``_Raw``'s statements (typed loosely: SQLAlchemy's own options are a
closed ``TypedDict``)."""


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
    older = select(Run.id).where(Run.id <= since.max_run_id).order_by(Run.id)
    ids.update(scope.pick(session.scalars(older.execution_options(yield_per=BATCH))))
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
    done = 0
    batch: list[int] = []
    legacy = has_legacy_steps(session)
    for run_id in run_ids:
        batch.append(run_id)
        if len(batch) == RUN_BATCH:
            _verify_batch(session, report, batch, legacy_steps=legacy)
            done += len(batch)
            progress("runs", done, total)
            batch = []
    if batch:
        _verify_batch(session, report, batch, legacy_steps=legacy)
        done += len(batch)
        progress("runs", done, total)


class _Raw:
    """Hand-written statements on the session's connection, read as plain row tuples.

    Why: SQLAlchemy's compiled statements, ORM rows and result processors cost more than the
    hashing they feed (a type decorator per timestamp, a dict per measurement). These statements
    name no types, so rows come back as the driver returns them and are converted here, once,
    exactly as the processors would (``integrity.stored_micros``, ``read_back_converters``);
    they run in the session's transaction and through its connection's events. On PostgreSQL
    the rows come in the binary format (``db.BINARY_RESULTS_OPTION``: no hex text per trace).
    """

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.mark = "?" if self.connection.dialect.paramstyle == "qmark" else "%s"
        self.sqlite = self.connection.dialect.name == "sqlite"

    def rows(self, sql: str, params: list[Any]) -> Any:
        """The rows of ``sql`` (``?`` marks, ``{ids}`` the list of ``params``), streamed."""
        sql = sql.replace("{ids}", ", ".join(["?"] * len(params)))
        if self.mark != "?":
            sql = sql.replace("?", self.mark)
        return self.connection.exec_driver_sql(sql, tuple(params), execution_options=_BINARY_ROWS)

    def of_steps(self, sql: str, run_ids: list[int], step_ids: list[int]) -> Any:
        """The rows of ``sql`` whose ``step_id`` (``{steps}``) is one of the batch's steps.

        On PostgreSQL the step ids already read are given as one array (``= ANY``): with a
        subquery over ``step`` the planner chose a sequential scan of every measurement of the
        store for each batch on a store of a few thousand runs (its estimate of the join), so the
        cost of a batch grew with the store. SQLite (whose planner uses the index either way, and
        which limits the number of parameters) keeps the subquery over the batch's run ids.
        """
        if self.mark == "?":
            clause = "step_id IN (SELECT id FROM step WHERE run_id IN ({ids}))"
            return self.rows(sql.replace("{steps}", clause), run_ids)
        sql = sql.replace("{steps}", "step_id = ANY(%s)")
        return self.connection.exec_driver_sql(sql, (step_ids,), execution_options=_BINARY_ROWS)


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
_STEPS_SQL = f"SELECT {', '.join(_STEP_COLUMNS)} FROM step WHERE run_id IN ({{ids}}) ORDER BY id"
_MEASUREMENTS_SQL = (
    f"SELECT step_id, id, row_hash, {', '.join(MEASUREMENT_HASHED)} FROM measurement "
    "WHERE {steps} ORDER BY step_id, idx, id"
)
_CONVERTERS = read_back_converters(MEASUREMENT_HASHED)
_CASTS = read_back_casts(MEASUREMENT_HASHED)
_CAST_MEASUREMENTS_SQL = (
    "SELECT step_id, id, row_hash, "
    + ", ".join(f"CAST({c} AS {_CASTS[c]})" if c in _CASTS else c for c in MEASUREMENT_HASHED)
    + " FROM measurement WHERE {steps} ORDER BY step_id, idx, id"
)
"""PostgreSQL's: the converted columns cast to their stored types in SQL (``read_back_casts``),
so the rows need no Python converters; identity casts on the store's own column types."""
_TRACES_SQL = (
    "SELECT t.step_id, t.id, t.name, t.sha256, c.id, c.name, c.unit, c.dtype, c.shape, c.data "
    "FROM trace t LEFT JOIN trace_channel c ON c.trace_id = t.id "
    "WHERE t.{steps} ORDER BY t.step_id, t.idx, t.id, c.idx, c.id"
)
_ATTACHMENTS_SQL = (
    "SELECT step_id, sha256, original_name, media_type FROM attachment WHERE {steps} ORDER BY id"
)


def _measurement_hashes(
    raw: _Raw, report: VerifyReport, run_ids: list[int], position: dict[int, tuple[int, int]]
) -> dict[int, list[str]]:
    """Each step's measurement hashes, recomputed from the stored rows, in order."""
    out: dict[int, list[str]] = {}
    sql = _MEASUREMENTS_SQL if raw.sqlite else _CAST_MEASUREMENTS_SQL
    for row in raw.of_steps(sql, run_ids, list(position)):
        step_id = row[0]
        at_step = position.get(step_id)
        if at_step is None:
            # A step committed between the batch's statements: cannot happen now (PostgreSQL
            # selects by the step ids read, SQLite reads one snapshot), kept as a guard.
            continue
        run_id, step_idx = at_step
        if raw.sqlite:
            converted = list(row[3:])
            for at, convert in _CONVERTERS:
                converted[at] = convert(converted[at])
            converted[-1] = stored_micros(converted[-1])
            values = tuple(converted)
        else:
            values = (*row[3:-1], stored_micros(row[-1]))
        recomputed = measurement_hash_of(run_id, step_idx, values)
        report.measurements += 1
        if recomputed != row[2]:
            report.add("measurement", f"measurement id={row[1]}", "row edited after recording")
        hashes = out.get(step_id)
        if hashes is None:
            out[step_id] = [recomputed]
        else:
            hashes.append(recomputed)
    return out


def _trace_hashes(
    raw: _Raw, report: VerifyReport, run_ids: list[int], step_ids: list[int]
) -> dict[int, list[str]]:
    """Each step's trace hashes, recomputed channel by channel as the rows stream in (one
    channel's samples in memory at a time)."""
    out: dict[int, list[str]] = {}
    current: tuple[int, int, str, _Hash] | None = None
    rows = raw.of_steps(_TRACES_SQL, run_ids, step_ids)
    for step_id, trace_id, name, stored, channel_id, *channel in rows:
        if current is None or current[1] != trace_id:
            _trace_done(report, out, current)
            current = (step_id, trace_id, stored, trace_digest(name))
        if channel_id is not None:
            add_channel(current[3], *channel)
    _trace_done(report, out, current)
    return out


def _trace_done(
    report: VerifyReport, out: dict[int, list[str]], trace: tuple[int, int, str, _Hash] | None
) -> None:
    """Compare a trace's recomputed hash (``trace``: step id, trace id, stored hash, running
    hash) with the stored one and append it to its step's."""
    if trace is None:
        return
    step_id, trace_id, stored, digest = trace
    recomputed = digest.hexdigest()
    report.traces += 1
    if recomputed != stored:
        report.add("trace", f"trace id={trace_id}", "samples or channels edited")
    out.setdefault(step_id, []).append(recomputed)


def _verify_batch(
    session: Session, report: VerifyReport, run_ids: list[int], *, legacy_steps: bool
) -> None:
    raw = _Raw(session)
    steps = [tuple(row) for row in raw.rows(_STEPS_SQL, run_ids)]
    position = {step[0]: (step[1], step[2]) for step in steps}
    measurements = _measurement_hashes(raw, report, run_ids, position)
    traces = _trace_hashes(raw, report, run_ids, list(position))
    files: dict[int, list[tuple[str, str, str]]] = {}
    for step_id, *attachment in raw.of_steps(_ATTACHMENTS_SQL, run_ids, list(position)):
        files.setdefault(step_id, []).append(tuple(attachment))
    empty: list[Any] = []
    for step in steps:
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
    _verify_seals(session, report, run_ids, steps, legacy_steps=legacy_steps)


def _latest(session: Session, entity_type: str, keys: list[str]) -> dict[str, str | None]:
    """(entity id -> after_json of its newest event) for ``keys`` of ``entity_type``."""
    latest: dict[str, str | None] = {}
    for chunk in batches(keys):
        for entity_id, after in session.execute(
            select(AuditEvent.entity_id, AuditEvent.after_json)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(chunk))
            .order_by(AuditEvent.seq)
        ):
            latest[entity_id] = after
    return latest


def _audited_steps(session: Session, legacy_events: dict[str, str | None]) -> dict[int, str]:
    """The steps that have a (pre-seal) audit event of their own, as that event spells a step
    row (``canonical_json`` of the row read through the ORM types, as it was recorded)."""
    ids = [int(key) for key in legacy_events]
    out: dict[int, str] = {}
    for chunk in batches(ids):
        for row in session.execute(select(*_STEP.c).where(_STEP.c.id.in_(chunk))):
            out[row.id] = canonical_json(row._asdict())
    return out


def _verify_seals(
    session: Session,
    report: VerifyReport,
    run_ids: list[int],
    steps: list[tuple[Any, ...]],
    *,
    legacy_steps: bool,
) -> None:
    """Re-fold each run's step rows and compare with the chain sealed when the run ended.

    Stores recorded before the seal existed have one ``step`` event per step: those steps are
    compared with their event instead. A run still recording has no seal yet; its steps are only
    checked against their own digests (counted in ``unsealed_steps``). ``legacy_steps``: the
    store has such events at all (``has_legacy_steps``); if not, they are not looked up.
    """
    keys = [str(r) for r in run_ids]
    seals = _latest(session, RUN_STEPS, keys)
    legacy_events = _latest(session, "step", [str(s[0]) for s in steps]) if legacy_steps else {}
    statuses = dict(session.execute(select(Run.id, Run.status).where(Run.id.in_(run_ids))).all())
    chains: dict[int, tuple[int, str]] = {}
    legacy: dict[int, int] = {}
    audited = _audited_steps(session, legacy_events)
    for step_id, run_id, idx, name, started, ended, verdict, message, digest in steps:
        count, chain = chains.get(run_id, (0, steps_genesis(run_id)))
        link = step_link_of(
            chain,
            step_id,
            run_id,
            idx,
            name,
            stored_micros(started),
            stored_micros(ended),
            verdict,
            message,
            digest,
        )
        chains[run_id] = (count + 1, link)
        old_event = legacy_events.get(str(step_id))
        if old_event is not None:
            legacy[run_id] = legacy.get(run_id, 0) + 1
            if old_event != audited.get(step_id):
                report.add("step", f"step id={step_id}", "row differs from its audited state")
    for run_id in run_ids:
        if run_id not in statuses and run_id not in chains:
            continue  # a sampled id with no run: the record check reports a deleted run
        count, chain = chains.get(run_id, (0, steps_genesis(run_id)))
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
