"""Record a complete, finished run in one transaction on the caller's session.

``DatabaseRecorder`` commits step by step because a live bench must keep every finished step when
it crashes. A run that arrives whole (``POST /api/runs`` from a bench that recorded offline) wants
the opposite: all of it or nothing, so a database failure half-way never leaves a run with half
its steps that ``verify`` would then report as tampered or unsealed. This module writes the same
rows, hashes and audit events as the recorder (run started, step rows with their digests, run
finished, the step-chain seal) so ``verify`` treats both paths alike, but never commits: the
caller's ``with sessions.begin()`` decides.

Steps, measurements, traces and channels go in as Core INSERTs (one executemany per table per
step): the ORM unit of work would cost tens of microseconds per measurement row for nothing, since
these rows are never changed after insertion.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert
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


def _insert_step(
    session: Session,
    run_id: int,
    step: StepRecord,
    files: list[tuple[str, StoredFile]],
    *,
    actor: str,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    """One step with everything under it; returns its id and the values ``step_link`` folds."""
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
    step_id = int(session.execute(insert(_STEP).returning(_STEP.c.id), values).scalar_one())
    if rows:
        for row in rows:
            row["step_id"] = step_id
        session.execute(insert(_MEASUREMENT), rows)
    for idx, (sha, meta, channels) in enumerate(trace_rows):
        trace_id: int = session.execute(
            insert(_TRACE).returning(_TRACE.c.id),
            {"step_id": step_id, "idx": idx, "sha256": sha, **meta},
        ).scalar_one()
        for channel in channels:
            channel["trace_id"] = trace_id
        session.execute(insert(_CHANNEL), channels)
    for name, stored in files:
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
    return step_id, values


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
    chain = steps_genesis(run_id)
    for step in steps:
        files = _store_files(step, evidence)
        step_id, values = _insert_step(session, run_id, step, files, actor=operator, now=now)
        chain = step_link(chain, step_id, values)
    before = snapshot(run)
    run.steps_recorded = len(steps)
    finish_run(session, run, outcome, ended=ended, actor=operator, before=before)
    seal_steps(session, run_id, len(steps), chain, actor=operator)
    return run_id
