"""Record a complete, finished run in one transaction on the caller's session.

``DatabaseRecorder`` commits step by step because a live bench must keep every finished step when
it crashes. A run that arrives whole (``POST /api/runs`` from a bench that recorded offline) wants
the opposite: all of it or nothing, so a database failure half-way never leaves a run with half
its steps that ``verify`` would then report as tampered or unsealed. This module writes the same
rows, hashes and audit events as the recorder (run started, step rows with their digests, run
finished, the step-chain seal) so ``verify`` treats both paths alike, but never commits: the
caller's ``with sessions.begin()`` decides.

Steps, measurements, traces and channels go in one statement per table for the whole run (steps
and traces return their ids in order), on the driver through a ``StepWriter`` borrowing the
session's connection, as the live recorder writes them: the ORM unit of work would cost tens of
microseconds per measurement row for nothing, since these rows are never changed after insertion,
a statement per step cost more than the rows it wrote (a diagnosis has ~15 steps), and even Core
statements spent more Python per run than the database spent on them (issue #18: the CPU of a
submission bounds the service's throughput).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from procedures.records import RunInfo, RunOutcome, StepRecord
from results import audit
from results.attachments import EvidenceStore, StoredFile
from results.errors import NotFound, RecorderStateError, ValidationError
from results.integrity import run_snapshot, step_digest, step_link, steps_genesis
from results.models import (
    Attachment,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    Step,
    Trace,
    TraceChannel,
)
from results.recorder import MEASUREMENT_COLUMNS, DatabaseRecorder, seal_steps
from results.run_writer import finished_values, new_run_values
from results.step_writer import StepWriter
from results.unit_results import refresh_unit_result_on

_STEP = cast(Table, Step.__table__)
_MEASUREMENT = cast(Table, Measurement.__table__)
_TRACE = cast(Table, Trace.__table__)
_CHANNEL = cast(Table, TraceChannel.__table__)
_ATTACHMENT = cast(Table, Attachment.__table__)
_RUN = cast(Table, Run.__table__)
_UNIT = cast(Table, ReturnedUnit.__table__)
_COMPLAINT = cast(Table, Complaint.__table__)
_TARGET: Select[Any] = (
    select(_UNIT.c.serial, _UNIT.c.complaint_id, _COMPLAINT.c.number)
    .select_from(_UNIT.outerjoin(_COMPLAINT, _COMPLAINT.c.id == _UNIT.c.complaint_id))
    .where(_UNIT.c.id == bindparam("unit_id"))
)
"""The run's unit and its complaint's number in one statement (``_unit_and_complaint``)."""
_INSERT_RUN = insert(_RUN).returning(_RUN.c.id)

# The recorder's row builders: the one definition of a measurement row and a trace's channels,
# so a run imported here hashes exactly as one recorded live (``verify`` re-derives both).
measurement_rows = DatabaseRecorder.measurement_rows
measurement_params = DatabaseRecorder.measurement_params
trace_rows_of = DatabaseRecorder.trace_rows_of


def _unchanged(value: datetime) -> datetime:
    return value


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationError(field, f"{value.isoformat()} has no time zone", "use UTC datetimes")
    return value


def _unit_and_complaint(
    connection: Connection, unit_id: int, info: RunInfo
) -> tuple[int, int | None]:
    """(unit id, complaint id) after checking ``info`` against the unit and its complaint: one
    Core SELECT (two ORM ``session.get`` loading every column cost 1.5 ms a run)."""
    row = connection.execute(_TARGET, {"unit_id": unit_id}).one_or_none()
    if row is None:
        raise NotFound("returned unit", unit_id)
    serial, number = row.serial, row.number
    complaint_id = cast(int | None, row.complaint_id)
    if serial != info.unit_serial:
        raise ValidationError(
            "unit_serial",
            f"run is for {info.unit_serial!r} but unit {unit_id} is {serial!r}",
            "submit the run for the unit that was on the bench",
        )
    if complaint_id is not None and info.complaint_number is not None:
        if number is None:
            raise NotFound("complaint", complaint_id)
        if number != info.complaint_number:
            raise ValidationError(
                "complaint_number",
                f"run names {info.complaint_number} but unit {unit_id} belongs to {number}",
                "submit the run against the complaint it belongs to",
            )
    return unit_id, complaint_id


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
    run_id: int,
    step: StepRecord,
    files: list[tuple[str, StoredFile]],
    bind_time: Callable[[datetime], Any],
) -> tuple[dict[str, Any], list[list[Any]], list[Any]]:
    """(step row, its measurement rows bound for ``MEASUREMENT_COLUMNS`` with ``step_id``
    left ``None``, its traces' (sha, meta, channels)); the step row's digest is computed here,
    before any id exists (it folds hashes only)."""
    hashes, rows = measurement_params(run_id, step, bind_time)
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
            hashes,
            [sha for sha, _meta, _channels in trace_rows],
            [(f.sha256, name, f.media_type) for name, f in files],
        ),
    }
    return values, rows, trace_rows


def _insert_steps(
    session: Session,
    writer: StepWriter,
    run_id: int,
    steps: Sequence[StepRecord],
    evidence: EvidenceStore | None,
    *,
    actor: str,
    now: datetime,
) -> str:
    """Every step with everything under it, a few statements for the whole run (one per table,
    whatever the number of steps); returns the run's step chain (``integrity.step_link``).

    Everything goes through ``writer`` on the session's connection, bound as the live recorder
    binds it: steps and traces in one statement each that returns their ids in order,
    measurements in one COPY (PostgreSQL), channels in one executemany. Through SQLAlchemy the
    per-row parameter processing of ~60 measurement rows and its multi-row INSERT statements
    cost more Python than the database's work on them.
    """
    bind_time = writer.binder(_MEASUREMENT, "measured_at") or _unchanged
    files = [_store_files(step, evidence) for step in steps]
    built = [_step_values(run_id, step, f, bind_time) for step, f in zip(steps, files, strict=True)]
    step_ids = writer.insert_returning_ids(_STEP, [values for values, _rows, _traces in built])
    measurements: list[list[Any]] = []
    traces: list[dict[str, Any]] = []
    trace_channels: list[list[dict[str, Any]]] = []
    for step_id, (_values, rows, trace_rows) in zip(step_ids, built, strict=True):
        for row in rows:
            row[0] = step_id
        measurements.extend(rows)
        for idx, (sha, meta, channels) in enumerate(trace_rows):
            traces.append({"step_id": step_id, "idx": idx, "sha256": sha, **meta})
            trace_channels.append(channels)
    writer.copy_bound(_MEASUREMENT, MEASUREMENT_COLUMNS, measurements)
    channel_rows: list[dict[str, Any]] = []
    for trace_id, channels in zip(
        writer.insert_returning_ids(_TRACE, traces), trace_channels, strict=True
    ):
        for channel in channels:
            channel["trace_id"] = trace_id
        channel_rows.extend(channels)
    writer.insert_many(_CHANNEL, channel_rows)
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

    The run row is inserted once, already finished: the run arrives whole, so the ``running``
    row that the live recorder and the journal replay write first and update at the end would
    be visible to no one (it lives and dies inside this transaction). The audit events still say
    what those paths say, computed from the same values (``run_writer.new_run_values``,
    ``finished_values``): ``run.started`` with the running row, ``run.finished`` from it to the
    finished one, then the seal. ``tests/results/test_run_import_equality.py`` holds the rows
    and the chain hashes to those of the ORM import this replaced.
    """
    started = _aware(info.started, "started")
    ended = _aware(outcome.ended, "ended")
    _check_steps(steps, evidence)
    session.flush()  # the caller's pending ORM changes (e.g. a synced unit) before Core reads
    connection = session.connection()
    unit_id, complaint_id = _unit_and_complaint(connection, unit_id, info)
    operator = info.operator or "unknown"
    now = datetime.now(UTC)
    running = new_run_values(
        info, unit_id=unit_id, complaint_id=complaint_id, started=started, now=now
    )
    finished = finished_values(outcome, ended)
    row = running | finished | {"steps_recorded": len(steps)}
    run_id = int(connection.execute(_INSERT_RUN, row).scalar_one())
    before = run_snapshot(
        running | {"id": run_id, "ended_at": None, "verdict": None, "conclusions": None}
    )
    audit.record(
        session,
        actor=operator,
        action="run.started",
        entity_type="run",
        entity_id=run_id,
        after=before,
    )
    with StepWriter.borrowing(connection) as writer:
        chain = _insert_steps(session, writer, run_id, steps, evidence, actor=operator, now=now)
        refresh_unit_result_on(session, writer, unit_id)
    audit.record(
        session,
        actor=operator,
        action="run.finished",
        entity_type="run",
        entity_id=run_id,
        before=before,
        after=run_snapshot(before | finished),
    )
    seal_steps(session, run_id, len(steps), chain, actor=operator)
    return run_id
