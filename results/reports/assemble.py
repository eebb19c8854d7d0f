"""Database rows -> ``ReportData`` for one complaint, in a fixed order.

Everything the renderers show comes through here once, sorted by stable keys (unit serial, run
start and id, step index, measurement index), so two assemblies of unchanged rows are equal and
hash the same.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from procedures.outgoing import NAME as OUTGOING_INSPECTION
from results import traces
from results.eightd_versions import for_report
from results.models import Attachment, Measurement
from results.read_model import ChannelRead, ComplaintRead, MeasurementRead, RunRead, UnitRead
from results.readback import load_complaint
from results.reports import fmt
from results.reports.annex import is_developer_log
from results.reports.model import (
    AmendmentRef,
    ComplaintSummary,
    ConclusionData,
    EvidenceFile,
    MeasurementRow,
    ReportData,
    RunData,
    SetAsideRun,
    StepData,
    TraceChannel,
    TraceData,
    UnitData,
    report_number,
    verdict_named,
)
from results.reports.sanitise import customer_text
from results.run_validity import RunStanding, invalidations, standing
from results.unit_path import disposition_confirmed


def _summary(c: ComplaintRead) -> ComplaintSummary:
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


def _floats(channel: ChannelRead) -> tuple[float, ...]:
    # ``assemble_report`` loads the complaint with its samples, so ``data`` is never None here.
    assert channel.data is not None
    data = traces.decode(channel.data, channel.dtype, channel.shape)
    return tuple(np.asarray(data, dtype=np.float64).tolist())


def measurement_row(
    run_id: str, step: str, m: Measurement | MeasurementRead, comparison: str
) -> MeasurementRow:
    """A stored measurement as a report row (the report and the service's run page); the
    caller decides how much of the engine's ``comparison`` text a reader sees."""
    return MeasurementRow(
        run_id=run_id,
        step=step,
        name=m.name,
        value=m.value,
        unit=m.unit,
        low=m.low,
        high=m.high,
        low_inclusive=m.low_inclusive,
        high_inclusive=m.high_inclusive,
        verdict=verdict_named(m.verdict),
        instrument=m.instrument,
        timestamp=m.measured_at,
        text_value=m.text_value,
        comparison=comparison,
        nominal=m.nominal,
        marginal_low=m.marginal_low,
        marginal_high=m.marginal_high,
    )


def _run(run: RunRead) -> RunData:
    run_id = str(run.id)
    steps = []
    for s in run.steps:
        rows = tuple(
            measurement_row(run_id, s.name, m, customer_text(m.comparison)) for m in s.measurements
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
                    _floats(time),
                    tuple(
                        TraceChannel(c.name, c.unit, _floats(c))
                        for c in sorted(channels.values(), key=lambda c: c.idx)
                    ),
                )
            )
        steps.append(
            StepData(
                s.idx,
                s.name,
                verdict_named(s.verdict),
                s.started_at,
                s.ended_at,
                rows,
                tuple(plots),
                customer_text(s.message),
            )
        )
    conclusions = tuple(
        ConclusionData(c["kind"], c["value"], c["explanation"], tuple(c["evidence"]))
        for c in run.conclusions or []
    )
    verdict = verdict_named(run.verdict)
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


def _disposition(row: UnitRead, unit: UnitData) -> str:
    """The unit's disposition as the report states it: QA's confirmed decision (``unit_path.
    disposition_confirmed``), or a proposal that a valid run in the report still makes (a
    proposal of an invalid run is not evidence)."""
    if not row.disposition:
        return ""
    if disposition_confirmed(row.status):
        return row.disposition
    proposed = {c.value for run in unit.results for c in run.conclusions if c.kind == "disposition"}
    return row.disposition if row.disposition in proposed else ""


def _evidence(
    session: Session, complaint: ComplaintRead, evidence_runs: set[int]
) -> tuple[EvidenceFile, ...]:
    """Every evidence file of the complaint and of its valid runs, in a fixed order (unit, run,
    step, id). Files of runs set aside (invalid, aborted, still running) are not evidence, and a
    developer's log (a traceback) is never a customer's business."""
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
        if a.run_id is not None and a.run_id not in evidence_runs:
            continue
        if is_developer_log(a.original_name, a.media_type):
            continue
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
    """The report's data as the store holds it now.

    Only valid runs are evidence: running runs are left out, and invalid (QA's decision) and
    aborted runs are listed under ``set_aside`` with the reason, their measurements and files
    left out of the report.
    """
    complaint = load_complaint(session, complaint_id, samples=True)
    invalid = invalidations(session, (run.id for run in complaint.runs))
    serials = {u.id: u.serial for u in complaint.units}
    runs_by_unit: dict[int, list[RunRead]] = {}
    set_aside: list[tuple[tuple[str, object, int], SetAsideRun]] = []
    for run in complaint.runs:
        if run.procedure == OUTGOING_INSPECTION:
            continue  # the goods shipped have their own report (results.reports.outgoing)
        mark = standing(run, invalid.get(run.id))
        if mark is RunStanding.VALID:
            runs_by_unit.setdefault(run.unit_id, []).append(run)
        elif mark is not RunStanding.RUNNING:
            why = invalid[run.id].reason if run.id in invalid else run.message
            serial = serials.get(run.unit_id, "")
            set_aside.append(
                (
                    (serial, run.started_at, run.id),
                    SetAsideRun(serial, str(run.id), run.procedure, mark.value, customer_text(why)),
                )
            )
    evidence_runs = {run.id for runs in runs_by_unit.values() for run in runs}
    units = []
    for u in sorted(complaint.units, key=lambda u: (u.serial, u.id)):
        unit = UnitData(
            serial=u.serial,
            lot=u.lot,
            product_model=u.product_model,
            runs=tuple(
                _run(r)
                for r in sorted(runs_by_unit.get(u.id, []), key=lambda r: (r.started_at, r.id))
            ),
        )
        units.append(dataclasses.replace(unit, disposition=_disposition(u, unit)))
    eightd, eightd_draft = for_report(session, complaint_id)
    return ReportData(
        report_no=report_number(complaint.number, complaint.product_model),
        version=version,
        locale=locale,
        complaint=_summary(complaint),
        units=tuple(units),
        eightd=eightd,
        eightd_draft=eightd_draft,
        amends=amends,
        issued_at=issued_at,
        evidence=_evidence(session, complaint, evidence_runs),
        set_aside=tuple(item for _, item in sorted(set_aside, key=lambda x: x[0])),
    )


def run_data(run: RunRead) -> RunData:
    """One stored run as report data, as the analysis report shows it (the outgoing inspection
    report, ``results.reports.outgoing``, shows its run the same way)."""
    return _run(run)


def complaint_summary(complaint: ComplaintRead) -> ComplaintSummary:
    """The complaint's summary as the analysis report states it."""
    return _summary(complaint)
