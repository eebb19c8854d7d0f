"""Database rows -> ``ReportData`` for one complaint, in a fixed order.

Everything the renderers show comes through here once, sorted by stable keys (unit serial, run
start and id, step index, measurement index), so two assemblies of unchanged rows are equal and
hash the same.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from procedures.records import Verdict
from results import traces
from results.models import Attachment, Complaint, Run
from results.readback import load_complaint
from results.reports import fmt
from results.reports.eightd import load_eightd
from results.reports.model import (
    AmendmentRef,
    ComplaintSummary,
    ConclusionData,
    EvidenceFile,
    MeasurementRow,
    ReportData,
    RunData,
    StepData,
    TraceChannel,
    TraceData,
    UnitData,
    report_number,
)


def _summary(c: Complaint) -> ComplaintSummary:
    lots = sorted({u.lot for u in c.units if u.lot})
    temperature = "" if c.usage_temperature_c is None else f"{fmt.number(c.usage_temperature_c)} °C"
    in_use = "" if c.time_in_use_days is None else f"{fmt.number(c.time_in_use_days)} d"
    return ComplaintSummary(
        number=c.number,
        product_no=c.product_model,
        customer=c.customer,
        project=c.project,
        product_model=c.product_model,
        product_spec=c.product_spec,
        lot=", ".join(lots),
        severity=c.severity,
        symptom=c.symptom,
        symptom_text=c.symptom_other,
        received_at=c.received_at,
        shipment_date=c.shipment_date,
        shipped_qty=c.shipped_qty,
        defect_qty=c.defect_qty,
        usage_temperature=temperature,
        time_in_use=in_use,
        usage_location=c.usage_location,
        stock_on_hand_qty=c.stock_on_hand_qty,
        customer_demands=c.customer_demands,
    )


def _floats(data: bytes, dtype: str, shape: str) -> tuple[float, ...]:
    return tuple(np.asarray(traces.decode(data, dtype, shape), dtype=np.float64).tolist())


def _run(run: Run) -> RunData:
    run_id = str(run.id)
    steps = []
    for s in run.steps:
        rows = tuple(
            MeasurementRow(
                run_id=run_id,
                step=s.name,
                name=m.name,
                value=m.value,
                unit=m.unit,
                low=m.low,
                high=m.high,
                low_inclusive=m.low_inclusive,
                high_inclusive=m.high_inclusive,
                verdict=Verdict[m.verdict],
                instrument=m.instrument,
                timestamp=m.measured_at,
                text_value=m.text_value,
                comparison=m.comparison,
            )
            for m in s.measurements
        )
        plots = []
        for t in s.traces:
            channels = {c.name: c for c in t.channels}
            time = channels.pop("time", None)
            if time is None:
                continue
            plots.append(
                TraceData(
                    t.name,
                    _floats(time.data, time.dtype, time.shape),
                    tuple(
                        TraceChannel(c.name, c.unit, _floats(c.data, c.dtype, c.shape))
                        for c in sorted(channels.values(), key=lambda c: c.idx)
                    ),
                )
            )
        steps.append(
            StepData(
                s.idx,
                s.name,
                Verdict[s.verdict],
                s.started_at,
                s.ended_at,
                rows,
                tuple(plots),
                s.message,
            )
        )
    conclusions = tuple(
        ConclusionData(c["kind"], c["value"], c["explanation"], tuple(c["evidence"]))
        for c in run.conclusions or []
    )
    verdict = Verdict[run.verdict] if run.verdict else Verdict.ABORTED
    return RunData(
        run_id,
        run.procedure,
        run.procedure_version,
        run.station,
        run.operator,
        run.started_at,
        run.ended_at,
        verdict,
        tuple(steps),
        conclusions,
    )


DEVELOPER_FILES = frozenset({"traceback.txt"})
"""Step attachments that engines before the developers' log kept as evidence: never annexed."""


def _evidence(session: Session, complaint: Complaint) -> tuple[EvidenceFile, ...]:
    """Every file of the complaint and of its runs, in a fixed order (unit, run, step, id)."""
    runs = {run.id: run for run in complaint.runs}
    serials = {unit.id: unit.serial for unit in complaint.units}
    query = select(Attachment).where(Attachment.complaint_id == complaint.id)
    if runs:
        query = select(Attachment).where(
            or_(Attachment.complaint_id == complaint.id, Attachment.run_id.in_(runs))
        )
    steps = {s.id: s for run in runs.values() for s in run.steps}
    files = []
    for a in session.scalars(query):
        if a.step_id is not None and a.original_name in DEVELOPER_FILES:
            continue  # a traceback recorded by an older engine: developers' matter, no evidence
        run = runs.get(a.run_id) if a.run_id is not None else None
        step = steps.get(a.step_id) if a.step_id is not None else None
        files.append(
            (
                (
                    "" if run is None else serials.get(run.unit_id, ""),
                    0 if run is None else run.id,
                    -1 if step is None else step.idx,
                    a.id,
                ),
                EvidenceFile(
                    attachment_id=str(a.id),
                    name=a.original_name,
                    media_type=a.media_type,
                    size=a.size,
                    sha256=a.sha256,
                    unit_serial="" if run is None else serials.get(run.unit_id, ""),
                    run_id="" if run is None else str(run.id),
                    step="" if step is None else step.name,
                ),
            )
        )
    return tuple(f for _, f in sorted(files, key=lambda item: item[0]))


def assemble_report(
    session: Session,
    complaint_id: int,
    *,
    locale: str,
    issued_at: datetime,
    version: int = 1,
    amends: AmendmentRef | None = None,
) -> ReportData:
    """The report's data as the store holds it now (running runs are left out: not evidence yet)."""
    complaint = load_complaint(session, complaint_id)
    runs_by_unit: dict[int, list[Run]] = {}
    for run in complaint.runs:
        if run.status != "running":
            runs_by_unit.setdefault(run.unit_id, []).append(run)
    units = tuple(
        UnitData(
            serial=u.serial,
            lot=u.lot,
            product_model=u.product_model,
            disposition=u.disposition or "",
            runs=tuple(
                _run(r)
                for r in sorted(runs_by_unit.get(u.id, []), key=lambda r: (r.started_at, r.id))
            ),
        )
        for u in sorted(complaint.units, key=lambda u: (u.serial, u.id))
    )
    return ReportData(
        report_no=report_number(complaint.number, complaint.product_model),
        version=version,
        locale=locale,
        complaint=_summary(complaint),
        units=units,
        eightd=load_eightd(session, complaint_id),
        amends=amends,
        issued_at=issued_at,
        evidence=_evidence(session, complaint),
    )
