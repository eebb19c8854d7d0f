"""Record a complete, finished run in one transaction on the caller's session.

``DatabaseRecorder`` commits step by step because a live bench must keep every finished step when
it crashes. A run that arrives whole (``POST /api/runs`` from a bench that recorded offline) wants
the opposite: all of it or nothing, so a database failure half-way never leaves a run with half
its steps that ``verify`` would then report as tampered or unsealed. This module writes the same
rows, hashes and audit events as the recorder (run started, step rows with their digests, run
finished, the step-chain seal) so ``verify`` treats both paths alike, but never commits: the
caller's ``with sessions.begin()`` decides.

Steps, measurements, traces and channels go in as Core INSERTs, one statement per table for the
whole run (steps and traces return their ids in order): the ORM unit of work would cost tens of
microseconds per measurement row for nothing, since these rows are never changed after insertion,
and a statement per step cost more than the rows it wrote (a diagnosis has ~15 steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ScalarResult, Table, insert
from sqlalchemy.orm import Session

from procedures.records import RunInfo, RunOutcome, StepRecord
from results import audit
from results.attachments import EvidenceStore, StoredFile
from results.errors import NotFound, RecorderStateError, ValidationError
from results.integrity import snapshot, step_digest, step_link, steps_genesis
from results.models import (
    Attachment,
    Complaint,
    Measurement,
    ReturnedUnit,
    Step,
    Trace,
    TraceChannel,
)
from results.recorder import DatabaseRecorder, finish_run, new_run_row, seal_steps

_STEP = cast(Table, Step.__table__)
_MEASUREMENT = cast(Table, Measurement.__table__)
_TRACE = cast(Table, Trace.__table__)
_CHANNEL = cast(Table, TraceChannel.__table__)
_ATTACHMENT = cast(Table, Attachment.__table__)

# The recorder's row builders: the one definition of a measurement row and a trace's channels,
# so a run imported here hashes exactly as one recorded live (``verify`` re-derives both).
measurement_rows = DatabaseRecorder.measurement_rows
trace_rows_of = DatabaseRecorder.trace_rows_of


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationError(field, f"{value.isoformat()} has no time zone", "use UTC datetimes")
    return value


def _unit_and_complaint(session: Session, unit_id: int, info: RunInfo) -> tuple[int, int | None]:
    unit = session.get(ReturnedUnit, unit_id)
    if unit is None:
        raise NotFound("returned unit", unit_id)
    if unit.serial != info.unit_serial:
        raise ValidationError(
            "unit_serial",
            f"run is for {info.unit_serial!r} but unit {unit.id} is {unit.serial!r}",
            "submit the run for the unit that was on the bench",
        )
    if unit.complaint_id is not None and info.complaint_number is not None:
        complaint = session.get(Complaint, unit.complaint_id)
        if complaint is None:
            raise NotFound("complaint", unit.complaint_id)
        if complaint.number != info.complaint_number:
            raise ValidationError(
                "complaint_number",
                f"run names {info.complaint_number} but unit {unit.id} belongs to "
                f"{complaint.number}",
                "submit the run against the complaint it belongs to",
            )
    return unit.id, unit.complaint_id


def _check_steps(steps: Sequence[StepRecord], evidence: EvidenceStore | None) -> None:
    indexes = [s.index for s in steps]
    if len(set(indexes)) != len(indexes):
        raise ValidationError("steps", "two steps share an index", "number steps 0, 1, 2...")
    if evidence is None:
        for step in steps:
            if step.attachments:
                raise RecorderStateError(
                    f"step {step.name!r} has attachments but no evidence store was given; "
                    "pass evidence=EvidenceStore(path)"
                )


def _store_files(step: StepRecord, evidence: EvidenceStore | None) -> list[tuple[str, StoredFile]]:
    if not step.attachments or evidence is None:
        return []
    return [(name, evidence.put(data, name=name)) for name, data in step.attachments]


def _step_values(
    run_id: int, step: StepRecord, files: list[tuple[str, StoredFile]]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    """(step row, its measurement rows, its traces' (sha, meta, channels)); the step row's
    digest is computed here, before any id exists (it folds hashes only)."""
    rows = measurement_rows(run_id, step)
    trace_rows = [trace_rows_of(trace) for trace in step.traces]
    values: dict[str, Any] = {
        "run_id": run_id,
        "idx": step.index,
        "name": step.name,
        "started_at": _aware(step.started, "step.started"),
        "ended_at": _aware(step.ended, "step.ended"),
        "verdict": step.verdict.name,
        "message": step.message,
        "digest": step_digest(
            [row["row_hash"] for row in rows],
            [sha for sha, _meta, _channels in trace_rows],
            [(f.sha256, name, f.media_type) for name, f in files],
        ),
    }
    return values, rows, trace_rows


def _insert_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """One INSERT of ``rows`` returning their ids in the rows' order."""
    if not rows:
        return []
    returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: ScalarResult[Any] = session.execute(returning, rows).scalars()
    return [int(new_id) for new_id in ids]


def _insert_steps(
    session: Session,
    run_id: int,
    steps: Sequence[StepRecord],
    evidence: EvidenceStore | None,
    *,
    actor: str,
    now: datetime,
) -> str:
    """Every step with everything under it, a few statements for the whole run (one per table,
    whatever the number of steps); returns the run's step chain (``integrity.step_link``)."""
    files = [_store_files(step, evidence) for step in steps]
    built = [_step_values(run_id, step, f) for step, f in zip(steps, files, strict=True)]
    step_ids = _insert_ids(session, _STEP, [values for values, _rows, _traces in built])
    measurements: list[dict[str, Any]] = []
    traces: list[dict[str, Any]] = []
    trace_channels: list[list[dict[str, Any]]] = []
    for step_id, (_values, rows, trace_rows) in zip(step_ids, built, strict=True):
        for row in rows:
            row["step_id"] = step_id
        measurements.extend(rows)
        for idx, (sha, meta, channels) in enumerate(trace_rows):
            traces.append({"step_id": step_id, "idx": idx, "sha256": sha, **meta})
            trace_channels.append(channels)
    if measurements:
        session.execute(insert(_MEASUREMENT), measurements)
    channel_rows: list[dict[str, Any]] = []
    for trace_id, channels in zip(
        _insert_ids(session, _TRACE, traces), trace_channels, strict=True
    ):
        for channel in channels:
            channel["trace_id"] = trace_id
        channel_rows.extend(channels)
    if channel_rows:
        session.execute(insert(_CHANNEL), channel_rows)
    for step_id, step_files in zip(step_ids, files, strict=True):
        for name, stored in step_files:
            _insert_attachment(session, run_id, step_id, name, stored, actor=actor, now=now)
    # The chain folds steps in id order, as ``verify`` and ``chain_of_stored_steps`` re-fold it.
    chain = steps_genesis(run_id)
    for step_id, (values, _rows, _traces) in sorted(
        zip(step_ids, built, strict=True), key=lambda pair: pair[0]
    ):
        chain = step_link(chain, step_id, values)
    return chain


def _insert_attachment(
    session: Session,
    run_id: int,
    step_id: int,
    name: str,
    stored: StoredFile,
    *,
    actor: str,
    now: datetime,
) -> None:
    attachment: dict[str, Any] = {
        "sha256": stored.sha256,
        "size": stored.size,
        "media_type": stored.media_type,
        "original_name": name,
        "complaint_id": None,
        "run_id": run_id,
        "step_id": step_id,
        "created_at": now,
        "created_by": actor,
    }
    attachment_id: int = session.execute(
        insert(_ATTACHMENT).returning(_ATTACHMENT.c.id), attachment
    ).scalar_one()
    audit.record(
        session,
        actor=actor,
        action="attachment.added",
        entity_type="attachment",
        entity_id=attachment_id,
        after={"id": attachment_id, **attachment},
    )


def import_run(
    session: Session,
    info: RunInfo,
    steps: Sequence[StepRecord],
    outcome: RunOutcome,
    *,
    unit_id: int,
    evidence: EvidenceStore | None = None,
) -> int:
    """Write a finished run (run, steps, measurements, traces, attachments, conclusions, audit)
    in ``session``'s transaction and return its id; the caller commits or rolls back.

    Evidence files of step attachments are written to ``evidence`` first (content-addressed, so a
    rolled-back import leaves at most an unreferenced file that the orphan sweep removes).
    """
    started = _aware(info.started, "started")
    ended = _aware(outcome.ended, "ended")
    _check_steps(steps, evidence)
    unit_id, complaint_id = _unit_and_complaint(session, unit_id, info)
    operator = info.operator or "unknown"
    now = datetime.now(UTC)
    run = new_run_row(info, unit_id=unit_id, complaint_id=complaint_id, started=started, now=now)
    session.add(run)
    session.flush()
    run_id = run.id
    audit.record(
        session,
        actor=operator,
        action="run.started",
        entity_type="run",
        entity_id=run_id,
        after=snapshot(run),
    )
    chain = _insert_steps(session, run_id, steps, evidence, actor=operator, now=now)
    before = snapshot(run)
    run.steps_recorded = len(steps)
    finish_run(session, run, outcome, ended=ended, actor=operator, before=before)
    seal_steps(session, run_id, len(steps), chain, actor=operator)
    return run_id
