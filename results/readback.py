"""Reading runs and complaints back out of the store, as the record types that went in.

``load_run`` rebuilds ``RunInfo``/``StepRecord``/``RunOutcome`` so a stored run can be compared
field for field with what the engine produced (and fed to the report builder unchanged).
``load_complaint`` fetches a complaint with all its runs, steps, measurements and evidence metadata
in a fixed number of queries, leaving trace samples and file bytes to be fetched on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
    Verdict,
)
from results import traces
from results.attachments import EvidenceStore
from results.errors import NotFound
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
    return MeasurementRecord(
        name=m.name,
        value=m.value,
        unit=m.unit,
        limits=LimitsRecord(
            low=m.low,
            high=m.high,
            low_inclusive=m.low_inclusive,
            high_inclusive=m.high_inclusive,
            nominal=m.nominal,
            marginal_low=m.marginal_low,
            marginal_high=m.marginal_high,
        ),
        verdict=Verdict[m.verdict],
        comparison=m.comparison,
        timestamp=m.measured_at,
        instrument=m.instrument,
        description=m.description,
        text_value=m.text_value,
    )


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
                verdict=Verdict[s.verdict],
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
            verdict=Verdict[run.verdict or Verdict.ABORTED.name],
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


def load_complaint(session: Session, complaint_id: int) -> Complaint:
    """A complaint with its units, runs, steps, measurements, trace and attachment metadata loaded.

    Trace samples are deferred (``TraceChannel.data`` is loaded on first access): a complaint
    page lists evidence, it does not plot every curve at once.
    """
    complaint = session.scalars(
        select(Complaint)
        .where(Complaint.id == complaint_id)
        .options(
            selectinload(Complaint.units),
            selectinload(Complaint.runs).selectinload(Run.steps).selectinload(Step.measurements),
            selectinload(Complaint.runs)
            .selectinload(Run.steps)
            .selectinload(Step.traces)
            .selectinload(Trace.channels)
            .options(defer(TraceChannel.data)),
            selectinload(Complaint.runs).selectinload(Run.steps).selectinload(Step.attachments),
        )
    ).one_or_none()
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return complaint
