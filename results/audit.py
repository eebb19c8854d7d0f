"""Append-only, hash-chained audit log, and ``verify`` that checks the whole store against it.

Every change made through the store's API appends one event (who, when, what, why, before and
after). Event *n* hashes event *n-1*'s hash with its own canonical content, so editing, deleting or
re-ordering any event breaks every later link. Database triggers refuse UPDATE/DELETE on the table;
the chain is what still catches someone who drops the triggers. This is tamper-*evident*, not
tamper-proof: a person who rewrites the whole chain and every row consistently is not detected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from results.integrity import (
    canonical_json,
    measurement_hash,
    sha256_hex,
    snapshot,
    step_digest,
    trace_hash,
)
from results.models import (
    Attachment,
    AuditEvent,
    AuditHead,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    Step,
    Trace,
    TraceChannel,
)

GENESIS_HASH = "0" * 64
_HEAD = cast(Table, AuditHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)


def event_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    reason: str,
    before_json: str | None,
    after_json: str | None,
) -> str:
    content = canonical_json(
        [seq, at, actor, action, entity_type, entity_id, reason, before_json, after_json]
    )
    return sha256_hex(prev_hash + content)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    after: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event in the caller's transaction; return a detached copy of the stored row.

    The chain head is locked (``FOR UPDATE`` on PostgreSQL; SQLite transactions are already
    exclusive) so concurrent benches append one after another, never onto the same parent.
    Core statements, not the unit of work: this runs once per recorded step.
    """
    if not actor:
        raise ValueError("audit event without an actor: every change must name who made it")
    session.flush()  # pending ORM changes first, so the event never precedes what it describes
    head = session.execute(
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
    ).one()
    prev_seq: int = head.seq
    prev_hash: str = head.hash
    values: dict[str, Any] = {
        "seq": prev_seq + 1,
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "reason": reason,
        "before_json": None if before is None else canonical_json(before),
        "after_json": None if after is None else canonical_json(after),
    }
    values["prev_hash"] = prev_hash
    values["hash"] = event_hash(
        prev_hash,
        seq=values["seq"],
        at=values["at"],
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=values["entity_id"],
        reason=reason,
        before_json=values["before_json"],
        after_json=values["after_json"],
    )
    session.execute(insert(_EVENTS), values)
    session.execute(
        update(_HEAD).where(_HEAD.c.id == 1).values(seq=values["seq"], hash=values["hash"])
    )
    return AuditEvent(**values)


def history(session: Session, entity_type: str, entity_id: object) -> list[AuditEvent]:
    """Every event about one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        )
    )


@dataclass(frozen=True)
class Problem:
    kind: str
    """``audit_chain``, ``measurement``, ``step``, ``trace``, ``evidence``, ``record``."""
    ref: str
    detail: str


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    audit_events: int = 0
    measurements: int = 0
    steps: int = 0
    traces: int = 0
    evidence_files: int = 0
    records: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, ref: str, detail: str) -> None:
        self.problems.append(Problem(kind, ref, detail))


def verify(session: Session, evidence_dir: Path | str) -> VerifyReport:
    """Re-derive every hash and compare: the audit chain, each record against its last audited
    state, measurements and traces against their step digests, evidence files against SHA-256."""
    report = VerifyReport()
    latest = _verify_chain(session, report)
    _verify_records(session, report, latest)
    _verify_steps(session, report)
    _verify_evidence(session, report, Path(evidence_dir))
    return report


def _verify_chain(session: Session, report: VerifyReport) -> dict[tuple[str, str], str | None]:
    latest: dict[tuple[str, str], str | None] = {}
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
    head = session.get(AuditHead, 1)
    if head is None or head.seq != expected_seq - 1 or head.hash != expected_prev:
        report.add("audit_chain", "audit_head", "head does not match the last event: tail removed")
    return latest


_AUDITED: tuple[tuple[str, type[Complaint | ReturnedUnit | Run | Step | Attachment]], ...] = (
    ("complaint", Complaint),
    ("unit", ReturnedUnit),
    ("run", Run),
    ("step", Step),
    ("attachment", Attachment),
)


def _verify_records(
    session: Session, report: VerifyReport, latest: dict[tuple[str, str], str | None]
) -> None:
    for entity_type, model in _AUDITED:
        seen: set[str] = set()
        rows: Iterable[Complaint | ReturnedUnit | Run | Step | Attachment] = session.scalars(
            select(model)
        )
        for row in rows:
            report.records += 1
            key = str(row.id)
            seen.add(key)
            ref = f"{entity_type} id={key}"
            if (entity_type, key) not in latest:
                report.add("record", ref, "row has no audit event: written behind the store's back")
            elif latest[(entity_type, key)] != canonical_json(snapshot(row)):
                report.add("record", ref, "row differs from its last audited state")
        for (kind, key), after in latest.items():
            if kind == entity_type and key not in seen and after is not None:
                report.add("record", f"{entity_type} id={key}", "audited row is missing (deleted)")


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
            recomputed = measurement_hash(step.run_id, step.idx, _measurement_row(m))
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


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _measurement_row(m: Measurement) -> dict[str, Any]:
    return {
        "idx": m.idx,
        "name": m.name,
        "value": _float(m.value),
        "text_value": m.text_value,
        "unit": m.unit,
        "low": _float(m.low),
        "high": _float(m.high),
        "low_inclusive": bool(m.low_inclusive),
        "high_inclusive": bool(m.high_inclusive),
        "nominal": _float(m.nominal),
        "marginal_low": _float(m.marginal_low),
        "marginal_high": _float(m.marginal_high),
        "verdict": m.verdict,
        "comparison": m.comparison,
        "instrument": m.instrument,
        "description": m.description,
        "measured_at": m.measured_at,
    }


def _verify_evidence(session: Session, report: VerifyReport, evidence_dir: Path) -> None:
    from results.attachments import EvidenceStore

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
