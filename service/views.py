"""Store rows as JSON-ready dicts and SLA summaries, shared by the API and the pages.

One place decides what a complaint "looks like" to a client, so the list page and the API agree
on which complaints are overdue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from results.calendar import Calendar
from results.models import (
    Attachment,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    RunInvalidation,
    Step,
    Trace,
)
from results.read_model import ComplaintRead
from results.run_validity import standing
from results.sla import summarise


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def sla_summary(
    complaint: Complaint | ComplaintRead, calendar: Calendar, now: datetime
) -> dict[str, Any]:
    """Overall SLA state (worst clock) and the next open deadline (``results.sla.summarise``)."""
    summary = summarise(complaint, calendar, now)
    nxt = summary.next
    clocks = {c.name: {"due_at": iso(c.due_at), "state": state} for c, state in summary.clocks}
    return {
        "state": summary.state.value,
        "clocks": clocks,
        "next": None if nxt is None else {"name": nxt.name, "due_at": iso(nxt.due_at)},
    }


def complaint_dict(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "status": c.status,
        "customer": c.customer,
        "project": c.project,
        "product_model": c.product_model,
        "product_spec": c.product_spec,
        "shipment_date": None if c.shipment_date is None else c.shipment_date.isoformat(),
        "shipped_qty": c.shipped_qty,
        "defect_qty": c.defect_qty,
        "symptom": c.symptom,
        "symptom_other": c.symptom_other,
        "severity": c.severity,
        "usage_temperature_c": c.usage_temperature_c,
        "time_in_use_days": c.time_in_use_days,
        "usage_location": c.usage_location,
        "stock_on_hand_qty": c.stock_on_hand_qty,
        "customer_demands": c.customer_demands,
        "received_at": iso(c.received_at),
        "received_by": c.received_by,
        "registered_at": iso(c.registered_at),
        "registered_by": c.registered_by,
        "decision": c.decision,
        "decision_rationale": c.decision_rationale,
        "decided_by": c.decided_by,
        "closure_note": c.closure_note,
        "cancel_reason": c.cancel_reason,
        "channel": c.channel,
        "complaint_type": c.complaint_type,
        "fault_stage": c.fault_stage,
        "customer_tests": c.customer_tests,
        "assembly_process": c.assembly_process,
        "replacement_needed": c.replacement_needed,
        "samples_returned": c.samples_returned,
    }


def unit_dict(u: ReturnedUnit) -> dict[str, Any]:
    return {
        "id": u.id,
        "complaint_id": u.complaint_id,
        "serial": u.serial,
        "lot": u.lot,
        "product_model": u.product_model,
        "received_at": iso(u.received_at),
        "status": u.status,
        "disposition": u.disposition,
    }


def invalidation_dict(i: RunInvalidation | None) -> dict[str, Any] | None:
    if i is None:
        return None
    return {"reason": i.reason, "by": i.invalidated_by, "at": iso(i.invalidated_at)}


def run_summary(r: Run, invalidation: RunInvalidation | None = None) -> dict[str, Any]:
    """``standing`` says whether the run is evidence (``valid``) or kept for the record only
    (``invalid`` by QA, with ``invalidation``; ``aborted``; ``running``)."""
    return {
        "id": r.id,
        "unit_id": r.unit_id,
        "complaint_id": r.complaint_id,
        "procedure": r.procedure,
        "procedure_version": r.procedure_version,
        "station": r.station,
        "operator": r.operator,
        "spec": r.spec,
        "started_at": iso(r.started_at),
        "ended_at": iso(r.ended_at),
        "status": r.status,
        "verdict": r.verdict,
        "message": r.message,
        "conclusions": r.conclusions or [],
        "standing": standing(r, invalidation).value,
        "invalidation": invalidation_dict(invalidation),
    }


def measurement_dict(m: Measurement) -> dict[str, Any]:
    return {
        "name": m.name,
        "value": m.value,
        "text_value": m.text_value,
        "unit": m.unit,
        "low": m.low,
        "high": m.high,
        "low_inclusive": m.low_inclusive,
        "high_inclusive": m.high_inclusive,
        "verdict": m.verdict,
        "comparison": m.comparison,
        "instrument": m.instrument,
        "measured_at": iso(m.measured_at),
    }


def trace_meta(t: Trace) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "n_samples": t.n_samples,
        "sha256": t.sha256,
        "channels": [{"name": c.name, "unit": c.unit} for c in t.channels],
    }


def step_dict(s: Step) -> dict[str, Any]:
    return {
        "index": s.idx,
        "name": s.name,
        "verdict": s.verdict,
        "started_at": iso(s.started_at),
        "ended_at": iso(s.ended_at),
        "message": s.message,
        "measurements": [measurement_dict(m) for m in s.measurements],
        "traces": [trace_meta(t) for t in s.traces],
    }


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "sha256": a.sha256,
        "size": a.size,
        "media_type": a.media_type,
        "original_name": a.original_name,
        "complaint_id": a.complaint_id,
        "run_id": a.run_id,
        "created_at": iso(a.created_at),
        "created_by": a.created_by,
        "download": f"/api/attachments/{a.sha256}",
    }
