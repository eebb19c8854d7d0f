"""Reading runs and complaints back out of the store, as the record types that went in.

``load_run`` rebuilds ``RunInfo``/``StepRecord``/``RunOutcome`` so a stored run can be compared
field for field with what the engine produced (and fed to the report builder unchanged).
``load_complaint`` fetches a complaint with all its runs, steps, measurements and evidence metadata
in a fixed number of queries, leaving trace samples and file bytes to be fetched on demand; its
measurements are read-only ``MeasurementView`` tuples, the rest ORM rows (see there why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, cast

import numpy as np
from sqlalchemy import Table, select, type_coerce
from sqlalchemy.orm import Session, defer, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
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
    Complaint,
    Measurement,
    Run,
    RunStatus,
    Step,
    Trace,
    TraceChannel,
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


class MeasurementView(NamedTuple):
    """A stored measurement as readers see it in a loaded complaint: plain values, read-only.

    ``load_complaint`` puts these (not ORM ``Measurement`` instances) into ``Step.measurements``:
    a complaint with 100 runs holds thousands of measurements, and the ORM spends about 10 us per
    row on identity-map and instance-state bookkeeping that a read-only page or report never uses.
    Same attribute names and Python types as ``Measurement`` (aware UTC ``measured_at``, bool
    inclusivity), so code written against the model reads these unchanged. A tuple: building one
    from a result row costs a fraction of a microsecond, and it cannot be edited by mistake.
    Its fields are ``measurement_schema.TABLE_COLUMNS`` in that order (checked by
    ``tests/results/test_measurement_schema.py``); the limits, including ``nominal`` and the
    marginal band, are all here.
    """

    id: int
    step_id: int
    idx: int
    name: str
    value: float | None
    unit: str
    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    nominal: float | None
    marginal_low: float | None
    marginal_high: float | None
    verdict: str
    comparison: str
    measured_at: datetime
    instrument: str | None
    description: str
    text_value: str | None
    row_hash: str


_MEASUREMENT_TABLE = cast(Table, Measurement.__table__)
_MEASUREMENT_COLUMNS = tuple(_MEASUREMENT_TABLE.c[name] for name in MeasurementView._fields)
_STAMP = MeasurementView._fields.index("measured_at")
_RAW = NullType()
"""Selected with no result processing, so each distinct raw timestamp is converted only once."""


def _complaint_measurements(
    session: Session, complaint_id: int
) -> dict[int, list[MeasurementView]]:
    """Every measurement of the complaint's runs, grouped by step id, in index order.

    One Core SELECT filtered by a sub-select on the complaint (one bound parameter however many
    steps: no IN-list limits on either backend), ordered along ``ix_measurement_step_idx`` so the
    grouping is a single pass.
    """
    step_ids = (
        select(Step.id).join(Run, Step.run_id == Run.id).where(Run.complaint_id == complaint_id)
    )
    connection = session.connection()
    # ``measured_at`` comes back as the driver gives it and is converted once per distinct value:
    # a step's measurements share a handful of timestamps, and the per-row conversion (a string
    # parse on SQLite, a time zone normalisation on PostgreSQL) was a fifth of the load.
    stamp = _MEASUREMENT_TABLE.c.measured_at
    to_utc = stamp.type.dialect_impl(connection.dialect).result_processor(connection.dialect, None)
    # Through the Connection, not Session.execute: plain Core rows, no ORM result machinery.
    rows = connection.execute(
        select(
            *_MEASUREMENT_COLUMNS[:_STAMP],
            type_coerce(stamp, _RAW),
            *_MEASUREMENT_COLUMNS[_STAMP + 1 :],
        )
        .where(_MEASUREMENT_TABLE.c.step_id.in_(step_ids.scalar_subquery()))
        .order_by(_MEASUREMENT_TABLE.c.step_id, _MEASUREMENT_TABLE.c.idx)
    )
    grouped: dict[int, list[MeasurementView]] = {}
    stamps: dict[object, datetime] = {}
    current = -1
    bucket: list[MeasurementView] = []
    make = MeasurementView._make
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


def load_complaint(session: Session, complaint_id: int) -> Complaint:
    """A complaint with its units, runs, steps, measurements, trace and attachment metadata loaded.

    Trace samples are deferred (``TraceChannel.data`` is loaded on first access): a complaint
    page lists evidence, it does not plot every curve at once. ``Step.measurements`` holds
    read-only ``MeasurementView`` tuples (see there): the measurement rows are the bulk of a
    complaint and are read with one Core SELECT instead of ORM instances. Everything else is
    ORM rows of this session, loaded with one SELECT per relationship level.
    """
    complaint = session.scalars(
        select(Complaint)
        .where(Complaint.id == complaint_id)
        .options(
            selectinload(Complaint.units),
            selectinload(Complaint.runs)
            .selectinload(Run.steps)
            .options(
                selectinload(Step.traces)
                .selectinload(Trace.channels)
                .options(defer(TraceChannel.data)),
                selectinload(Step.attachments),
                lazyload(Step.measurements),
            ),
        )
    ).one_or_none()
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    measurements = _complaint_measurements(session, complaint_id)
    for run in complaint.runs:
        for step in run.steps:
            # committed, not appended: no change events, nothing for a flush to write.
            set_committed_value(step, "measurements", measurements.get(step.id, []))
    return complaint
