"""Reading runs and complaints back out of the store, as the record types that went in.

``load_run`` rebuilds ``RunInfo``/``StepRecord``/``RunOutcome`` so a stored run can be compared
field for field with what the engine produced (and fed to the report builder unchanged).
``load_complaint`` fetches a complaint with all its runs, steps, measurements and evidence metadata
in a fixed number of Core queries (one per table), as the plain read model of
``results.read_model``; trace samples only when asked for, file bytes never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import numpy as np
from sqlalchemy import Connection, RowMapping, ScalarSelect, Select, Table, select, type_coerce
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.types import NullType

from procedures.records import (
    Conclusion,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
)
from results import traces
from results.attachments import EvidenceStore
from results.errors import NotFound
from results.measurement_schema import record_of
from results.models import (
    Attachment,
    Base,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    RunStatus,
    Step,
    Trace,
    TraceChannel,
)
from results.read_model import (
    AttachmentRead,
    ChannelRead,
    ComplaintRead,
    MeasurementRead,
    RunRead,
    StepRead,
    TraceRead,
    UnitRead,
)
from results.verdict_names import verdict_named


@dataclass
class RecordedRun:
    id: int
    status: RunStatus
    interrupted: bool
    info: RunInfo
    steps: list[StepRecord]
    outcome: RunOutcome | None
    """``None`` while running; for an interrupted run, ABORTED with the reason."""
    attachments: dict[int, list[Attachment]] = field(default_factory=dict)
    """Attachment rows by step index (hash, size, type), whether or not bytes were loaded."""


def _measurement(m: Measurement) -> MeasurementRecord:
    return record_of(m, verdict_named)


def _trace(t: Trace) -> TraceRecord:
    # TraceRecord channels are float64 by contract; stored float64 comes back without a copy.
    arrays = {
        c.name: (np.asarray(traces.decode(c.data, c.dtype, c.shape), dtype=np.float64), c.unit)
        for c in t.channels
    }
    time_s, _unit = arrays.pop("time")
    return TraceRecord(name=t.name, time_s=time_s, channels=arrays, timestamp=t.recorded_at)


def load_run(
    session: Session, run_id: int, *, evidence: EvidenceStore | None = None
) -> RecordedRun:
    """The run as recorded; with ``evidence``, attachment bytes are read (and hash-checked) too."""
    run = session.scalars(
        select(Run)
        .where(Run.id == run_id)
        .options(
            selectinload(Run.unit),
            selectinload(Run.complaint),
            selectinload(Run.steps).selectinload(Step.measurements),
            selectinload(Run.steps).selectinload(Step.traces).selectinload(Trace.channels),
            selectinload(Run.steps).selectinload(Step.attachments),
        )
    ).one_or_none()
    if run is None:
        raise NotFound("run", run_id)
    info = RunInfo(
        procedure=run.procedure,
        procedure_version=run.procedure_version,
        station=run.station,
        operator=run.operator,
        spec=run.spec,
        unit_serial=run.unit.serial,
        complaint_number=None if run.complaint is None else run.complaint.number,
        started=run.started_at,
    )
    steps: list[StepRecord] = []
    files: dict[int, list[Attachment]] = {}
    for s in run.steps:
        files[s.idx] = list(s.attachments)
        steps.append(
            StepRecord(
                name=s.name,
                index=s.idx,
                started=s.started_at,
                ended=s.ended_at,
                verdict=verdict_named(s.verdict),
                measurements=[_measurement(m) for m in s.measurements],
                traces=[_trace(t) for t in s.traces],
                message=s.message,
                attachments=[]
                if evidence is None
                else [(a.original_name, evidence.read(a.sha256)) for a in s.attachments],
            )
        )
    outcome = None
    if run.status != RunStatus.RUNNING.value:
        outcome = RunOutcome(
            verdict=verdict_named(run.verdict),
            ended=run.ended_at or run.heartbeat_at,
            message=run.message,
            conclusions=tuple(
                Conclusion(
                    kind=c["kind"],
                    value=c["value"],
                    explanation=c["explanation"],
                    evidence=tuple(c["evidence"]),
                )
                for c in run.conclusions or []
            ),
        )
    return RecordedRun(
        id=run.id,
        status=RunStatus(run.status),
        interrupted=run.interrupted,
        info=info,
        steps=steps,
        outcome=outcome,
        attachments=files,
    )


_MEASUREMENT_TABLE = cast(Table, Measurement.__table__)
_MEASUREMENT_COLUMNS = tuple(_MEASUREMENT_TABLE.c[name] for name in MeasurementRead._fields)
_STAMP = MeasurementRead._fields.index("measured_at")
_RAW = NullType()
"""Selected with no result processing, so each distinct raw timestamp is converted only once."""


def _complaint_measurements(
    connection: Connection, step_ids: ScalarSelect[int]
) -> dict[int, list[MeasurementRead]]:
    """Every measurement of the complaint's steps, grouped by step id, in index order.

    One Core SELECT filtered by a sub-select on the complaint (one bound parameter however many
    steps: no IN-list limits on either backend), ordered along ``ix_measurement_step_idx`` so the
    grouping is a single pass.
    """
    # ``measured_at`` comes back as the driver gives it and is converted once per distinct value:
    # a step's measurements share a handful of timestamps, and the per-row conversion (a string
    # parse on SQLite, a time zone normalisation on PostgreSQL) was a fifth of the load.
    stamp = _MEASUREMENT_TABLE.c.measured_at
    to_utc = stamp.type.dialect_impl(connection.dialect).result_processor(connection.dialect, None)
    rows = connection.execute(
        select(
            *_MEASUREMENT_COLUMNS[:_STAMP],
            type_coerce(stamp, _RAW),
            *_MEASUREMENT_COLUMNS[_STAMP + 1 :],
        )
        .where(_MEASUREMENT_TABLE.c.step_id.in_(step_ids))
        .order_by(_MEASUREMENT_TABLE.c.step_id, _MEASUREMENT_TABLE.c.idx)
    )
    grouped: dict[int, list[MeasurementRead]] = {}
    stamps: dict[object, datetime] = {}
    current = -1
    bucket: list[MeasurementRead] = []
    make = MeasurementRead._make
    for row in rows.all():
        if row[1] != current:
            current = row[1]
            bucket = grouped.setdefault(current, [])
        raw = row[_STAMP]
        when = stamps.get(raw)
        if when is None:
            when = stamps[raw] = cast(datetime, raw if to_utc is None else to_utc(raw))
        bucket.append(make((*row[:_STAMP], when, *row[_STAMP + 1 :])))
    return grouped


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _by_parent(
    connection: Connection,
    model: type[Base],
    parent: str,
    parents: ScalarSelect[int],
    order: str,
    *,
    leave_out: str = "",
) -> dict[int, list[RowMapping]]:
    """Rows of ``model`` whose ``parent`` column is in ``parents``, grouped by it, ``order``
    within each group; ``leave_out`` names a column not read (it reads as ``None``)."""
    table = _table(model)
    columns = [c for c in table.c if c.name != leave_out]
    rows = connection.execute(
        select(*columns)
        .where(table.c[parent].in_(parents))
        .order_by(table.c[parent], table.c[order])
    )
    grouped: dict[int, list[RowMapping]] = {}
    for row in rows.mappings():
        grouped.setdefault(row[parent], []).append(row)
    return grouped


def _runs(
    connection: Connection, run_ids: Select[tuple[int]], *, samples: bool
) -> tuple[RunRead, ...]:
    """The runs whose ids ``run_ids`` selects, by id, each with its steps, measurements, trace
    and attachment metadata: one Core SELECT per table, each filtered by a sub-select."""
    steps_table = _table(Step)
    step_ids = (
        select(steps_table.c.id).where(steps_table.c.run_id.in_(run_ids.scalar_subquery()))
    ).scalar_subquery()
    traces_table = _table(Trace)
    trace_ids = select(traces_table.c.id).where(traces_table.c.step_id.in_(step_ids))

    measurements = _complaint_measurements(connection, step_ids)
    channels = _by_parent(
        connection,
        TraceChannel,
        "trace_id",
        trace_ids.scalar_subquery(),
        "idx",
        leave_out="" if samples else "data",
    )
    traces = {
        step_id: [TraceRead(**row, channels=_channels(channels.get(row["id"], []))) for row in rows]
        for step_id, rows in _by_parent(connection, Trace, "step_id", step_ids, "idx").items()
    }
    files = _by_parent(connection, Attachment, "step_id", step_ids, "id")
    steps = {
        run_id: tuple(
            StepRead(
                **row,
                measurements=tuple(measurements.get(row["id"], ())),
                traces=tuple(traces.get(row["id"], ())),
                attachments=tuple(AttachmentRead(**a) for a in files.get(row["id"], ())),
            )
            for row in rows
        )
        for run_id, rows in _by_parent(
            connection, Step, "run_id", run_ids.scalar_subquery(), "idx"
        ).items()
    }
    runs_table = _table(Run)
    return tuple(
        RunRead(**row, steps=steps.get(row["id"], ()))
        for row in connection.execute(
            run_ids.with_only_columns(runs_table).order_by(runs_table.c.id)
        ).mappings()
    )


def load_complaint(session: Session, complaint_id: int, *, samples: bool = False) -> ComplaintRead:
    """A complaint with its units, runs, steps, measurements, trace and attachment metadata.

    One Core SELECT per table, each filtered by a sub-select on the complaint, through the
    session's connection (so it sees the session's transaction) and with no ORM instances: the
    result is the plain read model of ``results.read_model``. Trace samples are read only with
    ``samples`` (the report plots them; a page lists traces without them).
    """
    connection = session.connection()
    complaints = _table(Complaint)
    header = (
        connection.execute(select(complaints).where(complaints.c.id == complaint_id))
        .mappings()
        .one_or_none()
    )
    if header is None:
        raise NotFound("complaint", complaint_id)
    runs_table = _table(Run)
    run_ids = select(runs_table.c.id).where(runs_table.c.complaint_id == complaint_id)
    runs = _runs(connection, run_ids, samples=samples)
    units_table = _table(ReturnedUnit)
    units = tuple(
        UnitRead(**row, runs=tuple(r for r in runs if r.unit_id == row["id"]))
        for row in connection.execute(
            select(units_table)
            .where(units_table.c.complaint_id == complaint_id)
            .order_by(units_table.c.id)
        ).mappings()
    )
    return ComplaintRead(**header, units=units, runs=runs)


def complaint_id_of(session: Session, number: str) -> int:
    """The id of the complaint numbered ``number`` (for ``load_complaint``), without loading
    its ORM row."""
    complaints = _table(Complaint)
    found = session.connection().scalar(
        select(complaints.c.id).where(complaints.c.number == number)
    )
    if found is None:
        raise NotFound("complaint", number)
    return int(found)


def load_run_read(session: Session, run_id: int) -> RunRead:
    """One run as the plain read model (without trace samples), whether or not it was recorded
    for a complaint: what a one-run export reads."""
    runs_table = _table(Run)
    found = _runs(
        session.connection(),
        select(runs_table.c.id).where(runs_table.c.id == run_id),
        samples=False,
    )
    if not found:
        raise NotFound("run", run_id)
    return found[0]


def _channels(rows: list[RowMapping]) -> tuple[ChannelRead, ...]:
    """Channels read with or without their ``data`` column (``None`` when left out)."""
    return tuple(ChannelRead(**{"data": None, **row}) for row in rows)
