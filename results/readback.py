"""Reading runs and complaints back out of the store, as the record types that went in.

``load_run`` rebuilds ``RunInfo``/``StepRecord``/``RunOutcome`` so a stored run can be compared
field for field with what the engine produced (and fed to the report builder unchanged).
``load_complaint`` fetches a complaint with all its runs, steps, measurements and evidence metadata
in a fixed number of Core queries (one per table), as the plain read model of
``results.read_model``; trace samples only when asked for, file bytes never.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any, cast

import numpy as np
from sqlalchemy import Column, Connection, ScalarSelect, Select, Table, null, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from procedures.records import (
    Conclusion,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
)
from results import traces
from results.attachments import EvidenceStore
from results.db import BINARY_ROWS
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
    attachments: dict[int, tuple[AttachmentRead, ...]] = field(default_factory=dict)
    """Attachment rows by step index (hash, size, type), whether or not bytes were loaded."""


def _trace(t: TraceRead) -> TraceRecord:
    # TraceRecord channels are float64 by contract; stored float64 comes back without a copy.
    arrays = {
        c.name: (
            np.asarray(traces.decode(cast(bytes, c.data), c.dtype, c.shape), dtype=np.float64),
            c.unit,
        )
        for c in t.channels
    }
    time_s, _unit = arrays.pop("time")
    return TraceRecord(name=t.name, time_s=time_s, channels=arrays, timestamp=t.recorded_at)


def load_run(
    session: Session, run_id: int, *, evidence: EvidenceStore | None = None
) -> RecordedRun:
    """The run as recorded; with ``evidence``, attachment bytes are read (and hash-checked) too."""
    return load_runs(session, [run_id], evidence=evidence)[0]


def load_runs(
    session: Session, run_ids: Sequence[int], *, evidence: EvidenceStore | None = None
) -> list[RecordedRun]:
    """``load_run`` of each of ``run_ids``, in that order (``NotFound`` names the first one
    missing): ``read_runs``, then each unit's serial and complaint's number in one statement
    each."""
    runs = read_runs(session, run_ids)
    connection = session.connection()
    units, complaints = _table(ReturnedUnit), _table(Complaint)
    serials: dict[int, str] = dict(
        connection.execute(
            select(units.c.id, units.c.serial).where(units.c.id.in_({r.unit_id for r in runs}))
        ).all()
    )
    numbers: dict[int, str] = dict(
        connection.execute(
            select(complaints.c.id, complaints.c.number).where(
                complaints.c.id.in_({r.complaint_id for r in runs if r.complaint_id is not None})
            )
        ).all()
    )
    return [
        recorded_run(
            run,
            serials[run.unit_id],
            None if run.complaint_id is None else numbers[run.complaint_id],
            evidence,
        )
        for run in runs
    ]


def read_runs(session: Session, run_ids: Sequence[int]) -> list[RunRead]:
    """The read models of ``run_ids`` (trace samples included), in that order; ``NotFound``
    names the first one missing.

    The complaint reader's Core statements (``_runs``), one per table for all the runs and no
    ORM objects: a bench reads every run it syncs this way, a chunk at a time. Loading a
    realistic run's ORM graph (15 steps, 60 measurements, a trace) was 62 % of the bench's CPU
    per synced run (issue #18's backlog), and building and running a dozen statements per run
    about a quarter of what was left.
    """
    session.flush()  # the caller's pending changes, as an ORM query would autoflush them
    runs_table = _table(Run)
    found = {
        run.id: run
        for run in _runs(
            session.connection(),
            select(runs_table.c.id).where(runs_table.c.id.in_(list(run_ids))),
            samples=True,
        )
    }
    missing = [run_id for run_id in run_ids if run_id not in found]
    if missing:
        raise NotFound("run", missing[0])
    return [found[run_id] for run_id in run_ids]


def recorded_run(
    run: RunRead, serial: str, number: str | None, evidence: EvidenceStore | None
) -> RecordedRun:
    """A run's read model as the records that went in (its unit's ``serial``, its complaint's
    ``number``); with ``evidence``, attachment bytes read and hash-checked."""
    info = RunInfo(
        procedure=run.procedure,
        procedure_version=run.procedure_version,
        station=run.station,
        operator=run.operator,
        spec=run.spec,
        unit_serial=serial,
        complaint_number=number,
        started=run.started_at,
    )
    steps = [
        StepRecord(
            name=s.name,
            index=s.idx,
            started=s.started_at,
            ended=s.ended_at,
            verdict=verdict_named(s.verdict),
            measurements=[record_of(m, verdict_named) for m in s.measurements],
            traces=[_trace(t) for t in s.traces],
            message=s.message,
            attachments=[]
            if evidence is None
            else [(a.original_name, evidence.read(a.sha256)) for a in s.attachments],
        )
        for s in run.steps
    ]
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
        attachments={s.idx: s.attachments for s in run.steps},
    )


_MEASUREMENT_TABLE = cast(Table, Measurement.__table__)
_MEASUREMENT_COLUMNS = tuple(_MEASUREMENT_TABLE.c[name] for name in MeasurementRead._fields)
_STAMP = MeasurementRead._fields.index("measured_at")
_RAW = NullType()
"""Selected with no result processing, so each distinct raw timestamp is converted only once."""
_BINARY = BINARY_ROWS
"""Every statement of a complaint or run read asks PostgreSQL for binary rows: a 100-run complaint
is about 7,000 rows, and the driver loads binary floats and timestamps with less work than their
text (47-48 against 55-62 ms of client CPU per load of the scale harness's 100-run complaint in
two alternated series, the same objects); the server sends less too. Other drivers ignore it."""
_ID = 0
"""Every read class starts with its row's ``id`` (``tests/results/test_read_model.py``)."""
_NEW_CHANNEL = cast("Callable[..., ChannelRead]", ChannelRead)
_NEW_TRACE = cast("Callable[..., TraceRead]", TraceRead)
_NEW_ATTACHMENT = cast("Callable[..., AttachmentRead]", AttachmentRead)
_NEW_STEP = cast("Callable[..., StepRead]", StepRead)
_NEW_RUN = cast("Callable[..., RunRead]", RunRead)
_NEW_UNIT = cast("Callable[..., UnitRead]", UnitRead)
_NEW_COMPLAINT = cast("Callable[..., ComplaintRead]", ComplaintRead)
"""The read classes as the positional constructors they are, for a row unpacked before its
children (a type checker cannot count a row's columns)."""
_NEW_MEASUREMENT = cast(
    "Callable[[Iterable[object]], MeasurementRead]", partial(tuple.__new__, MeasurementRead)
)
"""``MeasurementRead._make`` without its Python frame (and its length check: the row is selected
from the fields), so a row becomes a measurement in C."""
_BY_STEP = itemgetter(MeasurementRead._fields.index("step_id"))


def _complaint_measurements(
    connection: Connection, step_ids: ScalarSelect[int]
) -> dict[int, tuple[MeasurementRead, ...]]:
    """Every measurement of the complaint's steps, grouped by step id, in index order.

    One Core SELECT filtered by a sub-select on the complaint (one bound parameter however many
    steps: no IN-list limits on either backend), ordered along ``ix_measurement_step_idx`` so the
    grouping is a single pass.
    """
    # ``measured_at`` comes back as the driver gives it and is converted once per distinct value:
    # a step's measurements share a handful of timestamps, and the per-row conversion (a string
    # parse on SQLite, a time zone normalisation on PostgreSQL) was a fifth of the load. The
    # rows are then rebuilt column-wise (transpose, swap the stamp column, transpose back) and
    # grouped with ``groupby``, so no Python code runs per row: a complaint holds thousands of
    # measurements, and a per-row loop with slicing was a third of their cost.
    stamp = _MEASUREMENT_TABLE.c.measured_at
    to_utc = stamp.type.dialect_impl(connection.dialect).result_processor(connection.dialect, None)
    rows = connection.execute(
        select(
            *_MEASUREMENT_COLUMNS[:_STAMP],
            type_coerce(stamp, _RAW),
            *_MEASUREMENT_COLUMNS[_STAMP + 1 :],
        )
        .where(_MEASUREMENT_TABLE.c.step_id.in_(step_ids))
        .order_by(_MEASUREMENT_TABLE.c.step_id, _MEASUREMENT_TABLE.c.idx),
        execution_options=_BINARY,
    ).all()
    if not rows:
        return {}
    columns: list[Iterable[object]] = list(zip(*rows, strict=True))
    if to_utc is not None:
        converted = {raw: to_utc(raw) for raw in set(columns[_STAMP])}
        columns[_STAMP] = map(converted.__getitem__, columns[_STAMP])
    measurements = map(_NEW_MEASUREMENT, zip(*columns, strict=True))
    return {step_id: tuple(group) for step_id, group in groupby(measurements, _BY_STEP)}


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _by_parent(
    connection: Connection,
    read: type[object],
    model: type[Base],
    parent: str,
    parents: ScalarSelect[int],
    order: str,
    *,
    leave_out: str = "",
) -> dict[int, list[tuple[Any, ...]]]:
    """Rows of ``model`` whose ``parent`` column is in ``parents``, grouped by it, ``order``
    within each group, as plain rows of ``read``'s columns in ``read``'s field order (so a row
    unpacks positionally into ``read``); ``leave_out`` names a column not read: it is selected
    as a NULL literal, so it reads as ``None`` in its place."""
    table = _table(model)
    names = [f.name for f in fields(cast(Any, read)) if f.name in table.c]
    rows = connection.execute(
        select(*(null().label(name) if name == leave_out else table.c[name] for name in names))
        .where(table.c[parent].in_(parents))
        .order_by(table.c[parent], table.c[order]),
        execution_options=_BINARY,
    ).all()
    grouped = groupby(cast(list[tuple[Any, ...]], rows), itemgetter(names.index(parent)))
    return {key: list(group) for key, group in grouped}


def _rows(connection: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """``statement``'s rows as plain tuples (to unpack positionally into a read class)."""
    return cast(
        list[tuple[Any, ...]], connection.execute(statement, execution_options=_BINARY).all()
    )


def _read_columns(read: type[object], table: Table) -> list[Column[Any]]:
    """``table``'s columns in the order of ``read``'s fields (its children left out)."""
    return [table.c[f.name] for f in fields(cast(Any, read)) if f.name in table.c]


def _runs(
    connection: Connection, run_ids: Select[tuple[int]], *, samples: bool
) -> tuple[RunRead, ...]:
    """The runs whose ids ``run_ids`` selects, by id, each with its steps, measurements, trace
    and attachment metadata: one Core SELECT per table, each filtered by a sub-select.

    The read classes are built positionally from rows selected in their field order: building
    them from ``**row`` mappings cost a key view per row and was a third of the load."""
    steps_table = _table(Step)
    step_ids = (
        select(steps_table.c.id).where(steps_table.c.run_id.in_(run_ids.scalar_subquery()))
    ).scalar_subquery()
    traces_table = _table(Trace)
    trace_ids = select(traces_table.c.id).where(traces_table.c.step_id.in_(step_ids))

    measurements = _complaint_measurements(connection, step_ids)
    channel_rows = _by_parent(
        connection,
        ChannelRead,
        TraceChannel,
        "trace_id",
        trace_ids.scalar_subquery(),
        "idx",
        leave_out="" if samples else "data",
    )
    channels = {
        trace_id: tuple(_NEW_CHANNEL(*row) for row in rows)
        for trace_id, rows in channel_rows.items()
    }
    traces = {
        step_id: tuple(_NEW_TRACE(*row, channels.get(row[_ID], ())) for row in rows)
        for step_id, rows in _by_parent(
            connection, TraceRead, Trace, "step_id", step_ids, "idx"
        ).items()
    }
    files = {
        step_id: tuple(_NEW_ATTACHMENT(*row) for row in rows)
        for step_id, rows in _by_parent(
            connection, AttachmentRead, Attachment, "step_id", step_ids, "id"
        ).items()
    }
    no_steps: tuple[StepRead, ...] = ()
    steps = {
        run_id: tuple(
            _NEW_STEP(
                *row,
                measurements.get(row[_ID], ()),
                traces.get(row[_ID], ()),
                files.get(row[_ID], ()),
            )
            for row in rows
        )
        for run_id, rows in _by_parent(
            connection, StepRead, Step, "run_id", run_ids.scalar_subquery(), "idx"
        ).items()
    }
    runs_table = _table(Run)
    return tuple(
        _NEW_RUN(*row, steps.get(row[_ID], no_steps))
        for row in _rows(
            connection,
            run_ids.with_only_columns(*_read_columns(RunRead, runs_table)).order_by(
                runs_table.c.id
            ),
        )
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
    found = _rows(
        connection,
        select(*_read_columns(ComplaintRead, complaints)).where(complaints.c.id == complaint_id),
    )
    if not found:
        raise NotFound("complaint", complaint_id)
    header = found[0]
    runs_table = _table(Run)
    run_ids = select(runs_table.c.id).where(runs_table.c.complaint_id == complaint_id)
    runs = _runs(connection, run_ids, samples=samples)
    units_table = _table(ReturnedUnit)
    units = tuple(
        _NEW_UNIT(*row, tuple(r for r in runs if r.unit_id == row[_ID]))
        for row in _rows(
            connection,
            select(*_read_columns(UnitRead, units_table))
            .where(units_table.c.complaint_id == complaint_id)
            .order_by(units_table.c.id),
        )
    )
    return _NEW_COMPLAINT(*header, units, runs)


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
