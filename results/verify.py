"""``verify``: re-derive every hash in the store and compare it with the audit log.

What is checked, and against what: the audit chain link by link; complaints, units, runs and
attachments against their last audited state; each measurement and trace against its own hash and
the step digest; each run's steps against the chain sealed into the audit log when the run ended
(``integrity.step_link``); reports and calendar exceptions (``results.verify_documents``); evidence
files against their SHA-256. Tamper-*evident*, not tamper-proof: see ``results.audit``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, Table, select
from sqlalchemy.orm import Session

from results.attachments import EvidenceStore
from results.audit import GENESIS_HASH, RUN_STEPS, event_hash
from results.containment_models import Claim, ContainmentAction, ContainmentCheck, FeedbackForm
from results.integrity import (
    canonical_json,
    measurement_hash,
    row_snapshot,
    snapshot,
    step_digest,
    step_link,
    steps_genesis,
    trace_hash,
)
from results.measurement_schema import stored_row_of
from results.models import (
    Attachment,
    AuditEvent,
    AuditHead,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    RunInvalidation,
    RunStatus,
    Step,
    Trace,
    TraceChannel,
)
from results.outgoing_models import OutgoingReport
from results.returns_models import InspectionRequest, ReturnNotice, ReturnReceipt
from results.unit_results import verify_unit_results
from results.verify_documents import verify_calendar, verify_reports
from results.verify_report import KEEP_EVENTS_OF, AuditIndex, VerifyReport

_STEP_TABLE = cast(Table, Step.__table__)


def verify_store(session: Session, evidence_dir: Path | str) -> VerifyReport:
    """Re-derive every hash in the store and compare; every mismatch is one ``Problem``."""
    report = VerifyReport()
    index = _verify_chain(session, report)
    _verify_records(session, report, index.latest)
    _verify_steps(session, report)
    _verify_step_seals(session, report, index.latest)
    verify_reports(session, report, index)
    verify_calendar(session, report, index.latest)
    verify_unit_results(session, report)
    _verify_evidence(session, report, Path(evidence_dir))
    return report


def _verify_chain(session: Session, report: VerifyReport) -> AuditIndex:
    latest: dict[tuple[str, str], str | None] = {}
    kept: dict[tuple[str, str], list[AuditEvent]] = {}
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        report.audit_events += 1
        ref = f"audit_event seq={event.seq}"
        if event.seq != expected_seq:
            report.add("audit_chain", ref, f"expected seq {expected_seq}: events missing")
        if event.prev_hash != expected_prev:
            report.add("audit_chain", ref, "prev_hash does not match the previous event's hash")
        recomputed = event_hash(
            event.prev_hash,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            reason=event.reason,
            before_json=event.before_json,
            after_json=event.after_json,
        )
        if recomputed != event.hash:
            report.add("audit_chain", ref, "content does not match its hash: the event was edited")
        expected_prev = event.hash
        expected_seq = event.seq + 1
        latest[(event.entity_type, event.entity_id)] = event.after_json
        if event.entity_type in KEEP_EVENTS_OF:
            kept.setdefault((event.entity_type, event.entity_id), []).append(event)
    head = session.get(AuditHead, 1)
    if head is None or head.seq != expected_seq - 1 or head.hash != expected_prev:
        report.add("audit_chain", "audit_head", "head does not match the last event: tail removed")
    return AuditIndex(latest, kept)


_Audited = (
    Complaint
    | ReturnedUnit
    | Run
    | Attachment
    | RunInvalidation
    | ReturnNotice
    | ReturnReceipt
    | InspectionRequest
)
_AUDITED: tuple[tuple[str, type[_Audited]], ...] = (
    ("complaint", Complaint),
    ("unit", ReturnedUnit),
    ("run", Run),
    ("attachment", Attachment),
    ("run_invalidation", RunInvalidation),
    ("return_notice", ReturnNotice),
    ("return_receipt", ReturnReceipt),
    ("inspection_request", InspectionRequest),
)
_ProcessRecord = ContainmentCheck | ContainmentAction | Claim | FeedbackForm | OutgoingReport
_PROCESS_RECORDS: tuple[type[_ProcessRecord], ...] = (
    ContainmentCheck,
    ContainmentAction,
    Claim,
    FeedbackForm,
    OutgoingReport,
)
"""Complaint-process records audited as ``results.integrity.row_snapshot`` under their table's
name: containment (checks and actions), claims, the customer feedback form and the stored
outgoing inspection reports."""


def _verify_records(
    session: Session, report: VerifyReport, latest: dict[tuple[str, str], str | None]
) -> None:
    for entity_type, model in _AUDITED:
        _verify_table(session, report, latest, entity_type, select(model), snapshot)
    for record in _PROCESS_RECORDS:
        name = str(record.__tablename__)
        _verify_table(session, report, latest, name, select(record), row_snapshot)


def _verify_table(
    session: Session,
    report: VerifyReport,
    latest: dict[tuple[str, str], str | None],
    entity_type: str,
    query: Select[Any],
    state: Callable[[Any], dict[str, Any]],
) -> None:
    """Each row of ``query`` against its last audit event, and every audited row still there."""
    seen: set[str] = set()
    for row in session.scalars(query):
        report.records += 1
        key = str(row.id)
        seen.add(key)
        ref = f"{entity_type} id={key}"
        if (entity_type, key) not in latest:
            report.add("record", ref, "row has no audit event: written behind the store's back")
        elif latest[(entity_type, key)] != canonical_json(state(row)):
            report.add("record", ref, "row differs from its last audited state")
    for (kind, key), after in latest.items():
        if kind == entity_type and key not in seen and after is not None:
            report.add("record", f"{entity_type} id={key}", "audited row is missing (deleted)")


def _verify_step_seals(
    session: Session, report: VerifyReport, latest: dict[tuple[str, str], str | None]
) -> None:
    """Re-fold each run's step rows and compare with the chain sealed when the run ended.

    Stores recorded before the seal existed have one ``step`` event per step: those steps are
    compared with their event instead. A run still recording has no seal yet; its steps are only
    checked against their own digests (counted in ``unsealed_steps``).
    """
    chains: dict[int, tuple[int, str]] = {}
    legacy: dict[int, int] = {}
    seen: set[str] = set()
    for row in session.execute(select(*_STEP_TABLE.c).order_by(_STEP_TABLE.c.id)).mappings():
        run_id = row["run_id"]
        seen.add(str(row["id"]))
        count, chain = chains.get(run_id, (0, steps_genesis(run_id)))
        chains[run_id] = (count + 1, step_link(chain, row["id"], dict(row)))
        old_event = latest.get(("step", str(row["id"])))
        if old_event is not None:
            legacy[run_id] = legacy.get(run_id, 0) + 1
            if old_event != canonical_json(dict(row)):
                report.add("step", f"step id={row['id']}", "row differs from its audited state")
    for (kind, key), after in latest.items():
        if kind == "step" and key not in seen and after is not None:
            report.add("step", f"step id={key}", "audited row is missing (deleted)")
    statuses: dict[int, str] = {r.id: r.status for r in session.execute(select(Run.id, Run.status))}
    for run_id in sorted(set(statuses) | set(chains)):
        count, chain = chains.get(run_id, (0, steps_genesis(run_id)))
        ref = f"run id={run_id}"
        sealed = latest.get((RUN_STEPS, str(run_id)))
        if sealed is not None:
            report.sealed_runs += 1
            seal: dict[str, Any] = json.loads(sealed)
            if seal.get("steps") != count or seal.get("chain") != chain:
                report.add(
                    "step",
                    ref,
                    f"steps differ from those sealed at the end of the run ({seal.get('steps')} "
                    f"sealed, {count} stored): a step, measurement, trace or attachment row was "
                    "edited, added or removed after recording",
                )
        elif legacy.get(run_id, 0) == count:
            continue  # every step has its own (pre-seal) audit event, checked above
        elif statuses.get(run_id) == RunStatus.RUNNING.value:
            report.unsealed_steps += count
        else:
            report.add(
                "step",
                ref,
                "run ended but its steps were never sealed in the audit log: recorded behind the "
                "store's back, or the seal event was removed",
            )


def _verify_steps(session: Session, report: VerifyReport) -> None:
    measurements: dict[int, list[Measurement]] = {}
    for m in session.scalars(select(Measurement).order_by(Measurement.step_id, Measurement.idx)):
        measurements.setdefault(m.step_id, []).append(m)
    traces: dict[int, list[Trace]] = {}
    for t in session.scalars(select(Trace).order_by(Trace.step_id, Trace.idx)):
        traces.setdefault(t.step_id, []).append(t)
    attachments: dict[int, list[Attachment]] = {}
    for a in session.scalars(
        select(Attachment).where(Attachment.step_id.is_not(None)).order_by(Attachment.id)
    ):
        attachments.setdefault(a.step_id or 0, []).append(a)

    for step in session.scalars(select(Step)):
        report.steps += 1
        m_hashes = []
        for m in measurements.get(step.id, []):
            report.measurements += 1
            recomputed = measurement_hash(step.run_id, step.idx, stored_row_of(m))
            if recomputed != m.row_hash:
                report.add("measurement", f"measurement id={m.id}", "row edited after recording")
            m_hashes.append(recomputed)
        t_hashes = []
        for t in traces.get(step.id, []):
            report.traces += 1
            channels = session.scalars(
                select(TraceChannel).where(TraceChannel.trace_id == t.id).order_by(TraceChannel.idx)
            )
            recomputed = trace_hash(
                t.name, [(c.name, c.unit, c.dtype, c.shape, c.data) for c in channels]
            )
            if recomputed != t.sha256:
                report.add("trace", f"trace id={t.id}", "samples or channels edited")
            t_hashes.append(recomputed)
        files = [(a.sha256, a.original_name, a.media_type) for a in attachments.get(step.id, [])]
        if step_digest(m_hashes, t_hashes, files) != step.digest:
            report.add(
                "step",
                f"step id={step.id}",
                "measurements, traces or attachments differ from what was recorded",
            )


def _verify_evidence(session: Session, report: VerifyReport, evidence_dir: Path) -> None:
    store = EvidenceStore(evidence_dir)
    checked: set[str] = set()
    for sha in session.scalars(select(Attachment.sha256).distinct()):
        if sha in checked:
            continue
        checked.add(sha)
        report.evidence_files += 1
        problem = store.check(sha)
        if problem:
            report.add("evidence", f"file {sha}", problem)
