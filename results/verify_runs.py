"""``verify`` of recorded runs, a batch of runs at a time: steps against their measurements,
traces and attachments (``integrity.step_digest``), and each run's steps against the chain
sealed into the audit log when it ended (``integrity.step_link``).

Every batch is a fixed number of statements whatever it holds (steps, measurements, traces with
their channels, attachments, the runs' seals and statuses), read as plain rows, so memory is
bounded by one batch and the statement count by the number of batches: the old check loaded
every measurement of the store as an ORM object and ran one query per trace.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from results.audit import RUN_STEPS
from results.integrity import (
    canonical_json,
    measurement_hash,
    step_digest,
    step_link,
    steps_genesis,
    trace_hash,
)
from results.measurement_schema import stored_row_of
from results.models import (
    Attachment,
    AuditEvent,
    Measurement,
    Run,
    RunStatus,
    Step,
    Trace,
    TraceChannel,
)
from results.verify_report import VerifyReport
from results.verify_scope import BATCH, RUN_BATCH, Progress, Scope, batches

_STEP = cast(Table, Step.__table__)
_MEASUREMENT = cast(Table, Measurement.__table__)
_TRACE = cast(Table, Trace.__table__)
_CHANNEL = cast(Table, TraceChannel.__table__)
_ATTACHMENT = cast(Table, Attachment.__table__)


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


def verify_runs(
    session: Session,
    report: VerifyReport,
    run_ids: Iterable[int],
    progress: Progress,
    total: int,
) -> None:
    done = 0
    batch: list[int] = []
    for run_id in run_ids:
        batch.append(run_id)
        if len(batch) == RUN_BATCH:
            _verify_batch(session, report, batch)
            done += len(batch)
            progress("runs", done, total)
            batch = []
    if batch:
        _verify_batch(session, report, batch)
        done += len(batch)
        progress("runs", done, total)


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in rows:
        out.setdefault(getattr(row, key), []).append(row)
    return out


def _verify_batch(session: Session, report: VerifyReport, run_ids: list[int]) -> None:
    in_batch = _STEP.c.run_id.in_(run_ids)
    steps = list(session.execute(select(*_STEP.c).where(in_batch).order_by(_STEP.c.id)))
    step_ids = select(_STEP.c.id).where(in_batch).scalar_subquery()
    measurements = _grouped(
        session.execute(
            select(*_MEASUREMENT.c)
            .where(_MEASUREMENT.c.step_id.in_(step_ids))
            .order_by(_MEASUREMENT.c.step_id, _MEASUREMENT.c.idx)
        ),
        "step_id",
    )
    traces = _grouped(
        session.execute(
            select(*_TRACE.c)
            .where(_TRACE.c.step_id.in_(step_ids))
            .order_by(_TRACE.c.step_id, _TRACE.c.idx)
        ),
        "step_id",
    )
    channels = _grouped(
        session.execute(
            select(*_CHANNEL.c)
            .join(_TRACE, _TRACE.c.id == _CHANNEL.c.trace_id)
            .where(_TRACE.c.step_id.in_(step_ids))
            .order_by(_CHANNEL.c.trace_id, _CHANNEL.c.idx)
        ),
        "trace_id",
    )
    attachments = _grouped(
        session.execute(
            select(*_ATTACHMENT.c)
            .where(_ATTACHMENT.c.step_id.in_(step_ids))
            .order_by(_ATTACHMENT.c.id)
        ),
        "step_id",
    )
    for step in steps:
        _verify_step(report, step, measurements, traces, channels, attachments)
    _verify_seals(session, report, run_ids, steps)


def _verify_step(
    report: VerifyReport,
    step: Any,
    measurements: dict[int, list[Any]],
    traces: dict[int, list[Any]],
    channels: dict[int, list[Any]],
    attachments: dict[int, list[Any]],
) -> None:
    report.steps += 1
    m_hashes = []
    for m in measurements.get(step.id, []):
        report.measurements += 1
        recomputed = measurement_hash(step.run_id, step.idx, stored_row_of(m))
        if recomputed != m.row_hash:
            report.add("measurement", f"measurement id={m.id}", "row edited after recording")
        m_hashes.append(recomputed)
    t_hashes = []
    for t in traces.get(step.id, []):
        report.traces += 1
        recomputed = trace_hash(
            t.name, [(c.name, c.unit, c.dtype, c.shape, c.data) for c in channels.get(t.id, [])]
        )
        if recomputed != t.sha256:
            report.add("trace", f"trace id={t.id}", "samples or channels edited")
        t_hashes.append(recomputed)
    files = [(a.sha256, a.original_name, a.media_type) for a in attachments.get(step.id, [])]
    if step_digest(m_hashes, t_hashes, files) != step.digest:
        report.add(
            "step",
            f"step id={step.id}",
            "measurements, traces or attachments differ from what was recorded",
        )


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


def _verify_seals(
    session: Session, report: VerifyReport, run_ids: list[int], steps: list[Any]
) -> None:
    """Re-fold each run's step rows and compare with the chain sealed when the run ended.

    Stores recorded before the seal existed have one ``step`` event per step: those steps are
    compared with their event instead. A run still recording has no seal yet; its steps are only
    checked against their own digests (counted in ``unsealed_steps``).
    """
    keys = [str(r) for r in run_ids]
    seals = _latest(session, RUN_STEPS, keys)
    legacy_events = _latest(session, "step", [str(s.id) for s in steps])
    statuses = dict(session.execute(select(Run.id, Run.status).where(Run.id.in_(run_ids))).all())
    chains: dict[int, tuple[int, str]] = {}
    legacy: dict[int, int] = {}
    for row in steps:
        values = row._asdict()
        count, chain = chains.get(row.run_id, (0, steps_genesis(row.run_id)))
        chains[row.run_id] = (count + 1, step_link(chain, row.id, values))
        old_event = legacy_events.get(str(row.id))
        if old_event is not None:
            legacy[row.run_id] = legacy.get(row.run_id, 0) + 1
            if old_event != canonical_json(values):
                report.add("step", f"step id={row.id}", "row differs from its audited state")
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
