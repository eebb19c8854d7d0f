"""``verify``: re-derive every hash in the store and compare it with the audit log.

What is checked, and against what: the audit chain link by link; complaints, units, runs and
attachments against their last audited state; each measurement and trace against its own hash and
the step digest; each run's steps against the chain sealed into the audit log when the run ended
(``integrity.step_link``, ``results.verify_runs``); reports and calendar exceptions
(``results.verify_documents``); evidence files against their SHA-256; the checkpoints and, when
given, an external anchor (``results.verify_checkpoint``). Tamper-*evident*, not tamper-proof: see
``results.audit``.

Everything is streamed: the chain in server-side batches, records and runs a batch at a time with
their audit events looked up per batch, so memory stays bounded whatever the store's size.
A routine verify (``Scope(since=checkpoint)``) checks the events after the checkpoint, the records
and runs they touched, new runs, steps and attachments, and a random sample of older ones; a full
verify (``Scope()``, the default) checks everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ScalarResult, Table, func, select
from sqlalchemy.orm import Session

from results.attachments import EvidenceStore
from results.audit import GENESIS_HASH, event_hash
from results.containment_models import Claim, ContainmentAction, ContainmentCheck, FeedbackForm
from results.integrity import SNAPSHOT_FIELDS, canonical_json, row_snapshot, snapshot, stored_iso
from results.models import (
    Attachment,
    AuditEvent,
    AuditHead,
    AuditPending,
    Complaint,
    ReturnedUnit,
    Run,
    RunInvalidation,
    Step,
)
from results.outgoing_models import OutgoingReport
from results.returns_models import InspectionRequest, ReturnNotice, ReturnReceipt
from results.unit_merge import duplicate_units
from results.unit_results import verify_unit_results
from results.verify_checkpoint import check_anchor, verify_checkpoints
from results.verify_documents import verify_calendar, verify_reports
from results.verify_parallel import RunWorkers
from results.verify_report import KEEP_EVENTS_OF, AuditIndex, VerifyReport
from results.verify_runs import (
    count_runs,
    existing_ids,
    latest_after,
    runs_in_scope,
    verify_runs,
)
from results.verify_scope import BATCH, Progress, Scope, batches, no_progress

_EVENTS = cast(Table, AuditEvent.__table__)
_CHAIN_COLUMNS = (
    _EVENTS.c.seq,
    _EVENTS.c.at,
    _EVENTS.c.actor,
    _EVENTS.c.action,
    _EVENTS.c.entity_type,
    _EVENTS.c.entity_id,
    _EVENTS.c.reason,
    _EVENTS.c.before_json,
    _EVENTS.c.after_json,
    _EVENTS.c.prev_hash,
    _EVENTS.c.hash,
)


def verify_store(
    session: Session,
    evidence_dir: Path | str,
    *,
    scope: Scope | None = None,
    progress: Progress = no_progress,
    jobs: int = 1,
) -> VerifyReport:
    """Re-derive the hashes in ``scope`` (everything by default) and compare; every mismatch
    is one ``Problem``.

    ``jobs`` > 1 on a full verify: the runs are checked by that many worker processes while
    this one checks the chain and the records (``results.verify_parallel``); same report.
    """
    scope = scope or Scope()
    report = VerifyReport(full=scope.full)
    workers = RunWorkers(session, jobs) if scope.full and jobs > 1 else None
    try:
        touched = _verify_chain(session, report, scope, progress)
        _verify_records(session, report, scope, touched, progress)
        total = count_runs(session) if scope.full else 0
        if workers is not None:
            workers.collect(report, progress, total)
        else:
            verify_runs(session, report, runs_in_scope(session, scope, touched), progress, total)
    finally:
        if workers is not None:
            workers.close()
    verify_reports(session, report, _document_index(session))
    verify_calendar(session, report, _document_index(session).latest)
    if scope.full:
        verify_unit_results(session, report)
    else:
        verify_unit_results(session, report, _units_of_runs(session, touched, scope))
    _verify_one_unit_per_pack(session, report)
    _verify_evidence(session, report, Path(evidence_dir), scope)
    verify_checkpoints(session, report)
    if scope.anchor is not None:
        check_anchor(session, report, scope.anchor)
    return report


def verify_audit_chain(session: Session) -> VerifyReport:
    """The audit chain alone, link by link (streamed): for a quick look after a load test."""
    report = VerifyReport()
    _verify_chain(session, report, Scope(), no_progress)
    return report


def _check_event(report: VerifyReport, event: Any, expected_seq: int, expected_prev: str) -> None:
    """One event (a row of ``_CHAIN_COLUMNS``, its ``at`` as loaded or as the driver gives it)
    against its own hash and its place in the chain."""
    seq, at, actor, action, entity_type, entity_id, reason, before, after, prev, stored = event
    ref = f"audit_event seq={seq}"
    if seq != expected_seq:
        report.add("audit_chain", ref, f"expected seq {expected_seq}: events missing")
    if prev != expected_prev:
        report.add("audit_chain", ref, "prev_hash does not match the previous event's hash")
    recomputed = event_hash(
        prev,
        seq=seq,
        at=stored_iso(at),  # canonical_json spells a datetime so: the same text, hashed
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        reason=reason,
        before_json=before,
        after_json=after,
    )
    if recomputed != stored:
        report.add("audit_chain", ref, "content does not match its hash: the event was edited")


_CHAIN_SQL = (
    f"SELECT {', '.join(c.name for c in _CHAIN_COLUMNS)} FROM audit_event "
    "WHERE seq >= {mark} ORDER BY seq"
)


def _verify_chain(
    session: Session, report: VerifyReport, scope: Scope, progress: Progress
) -> set[tuple[str, str]]:
    """The chain link by link from the start (full) or from the checkpoint, streamed; returns
    the records the checked events touched (routine only: a full verify checks them all).

    The events are read as the driver's rows (a server-side cursor on PostgreSQL), their time
    as the driver gives it, so no SQLAlchemy row or type decorator is made per event.
    """
    touched: set[tuple[str, str]] = set()
    since = scope.since
    expected_prev = GENESIS_HASH if since is None else since.audit_hash
    expected_seq = 1 if since is None else since.audit_seq + 1
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    total = 0 if head is None else int(head.seq) - expected_seq + 1
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    rows = connection.exec_driver_sql(
        _CHAIN_SQL.replace("{mark}", mark),
        (expected_seq,),
        execution_options={"yield_per": BATCH},
    )
    done = 0
    for event in rows:
        report.audit_events += 1
        _check_event(report, event, expected_seq, expected_prev)
        expected_prev = event[10]
        expected_seq = event[0] + 1
        if since is not None:
            touched.add((event[4], event[5]))
        done += 1
        if done % BATCH == 0:
            progress("audit events", done, total)
    progress("audit events", done, total)
    if head is None or head.seq != expected_seq - 1 or head.hash != expected_prev:
        report.add("audit_chain", "audit_head", "head does not match the last event: tail removed")
    _count_pending(session, report)
    if since is not None:
        _sample_chain(session, report, scope, since.audit_seq)
    return touched


def _count_pending(session: Session, report: VerifyReport) -> None:
    """Events still in ``audit_pending`` after the head was read (reading it linked every one
    committed by then, ``audit.link_before_read``): on PostgreSQL those committed since, or
    left when the chain's lock could not be had; on SQLite, which links at commit, rows no
    store operation wrote."""
    pending = int(session.scalar(select(func.count()).select_from(AuditPending)) or 0)
    report.pending_events = pending
    if pending and session.get_bind().dialect.name != "postgresql":
        report.add(
            "audit_chain",
            "audit_pending",
            f"{pending} row(s) in audit_pending: this database links events at commit, so "
            "they were inserted behind the store's back",
        )


def _sample_chain(session: Session, report: VerifyReport, scope: Scope, upto: int) -> None:
    """Sampled older events: each against its own hash and its predecessor's."""
    for seq in scope.sample_ids(upto):
        pair = session.execute(
            select(*_CHAIN_COLUMNS).where(_EVENTS.c.seq.in_([seq - 1, seq])).order_by(_EVENTS.c.seq)
        ).all()
        event = pair[-1] if pair else None
        if event is None or event.seq != seq:
            report.add("audit_chain", f"audit_event seq={seq}", "event missing (deleted)")
            continue
        expected_prev = GENESIS_HASH if seq == 1 else (pair[0].hash if len(pair) == 2 else "")
        report.audit_events += 1
        _check_event(report, event, seq, expected_prev)


_PROCESS_RECORDS: tuple[Any, ...] = (
    ContainmentCheck,
    ContainmentAction,
    Claim,
    FeedbackForm,
    OutgoingReport,
)
"""Complaint-process records audited as ``results.integrity.row_snapshot`` under their table's
name: containment (checks and actions), claims, the customer feedback form and the stored
outgoing inspection reports."""
_AUDITED: tuple[tuple[str, Any, Callable[[Any], dict[str, Any]]], ...] = (
    ("complaint", Complaint, snapshot),
    ("unit", ReturnedUnit, snapshot),
    ("run", Run, snapshot),
    ("attachment", Attachment, snapshot),
    ("run_invalidation", RunInvalidation, snapshot),
    ("return_notice", ReturnNotice, snapshot),
    ("return_receipt", ReturnReceipt, snapshot),
    ("inspection_request", InspectionRequest, snapshot),
    *((str(model.__tablename__), model, row_snapshot) for model in _PROCESS_RECORDS),
)


def _verify_records(
    session: Session,
    report: VerifyReport,
    scope: Scope,
    touched: set[tuple[str, str]],
    progress: Progress,
) -> None:
    for entity_type, model, state in _AUDITED:
        if scope.full:
            for chunk in _states(session, model, state, None):
                _compare_rows(session, report, entity_type, chunk)
            _deleted_rows(session, report, entity_type, model, None)
        else:
            keys = {int(k) for kind, k in touched if kind == entity_type and k.isdigit()}
            keys.update(scope.sample_rows(session, model.id))
            for chunk_ids in batches(sorted(keys)):
                for chunk in _states(session, model, state, chunk_ids):
                    _compare_rows(session, report, entity_type, chunk)
            _deleted_rows(session, report, entity_type, model, sorted(keys))
        progress("records", report.records, 0)
    if scope.full:
        _deleted_rows(session, report, "step", Step, None, kind="step")


def _states(
    session: Session, model: Any, state: Callable[[Any], dict[str, Any]], ids: list[int] | None
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """(id, audited state) of the rows of ``model`` (every row, or those of ``ids``), a batch
    at a time. ``snapshot``'s models are read as Core rows of exactly their audited columns
    (the same type processing as the ORM, without building an object per row); the others
    (``row_snapshot``: every column, some converted) as ORM objects."""
    if state is snapshot:
        fields = SNAPSHOT_FIELDS[model]
        table = cast(Table, model.__table__)
        query: Any = select(*(table.c[name] for name in fields)).order_by(table.c.id)
        if ids is not None:
            query = query.where(table.c.id.in_(ids))
        at = fields.index("id")
        rows = session.execute(query.execution_options(yield_per=BATCH))
        for part in rows.partitions():
            yield [(row[at], dict(zip(fields, row, strict=True))) for row in part]
        return
    objects = select(model).order_by(model.id)
    if ids is not None:
        objects = objects.where(model.id.in_(ids))
    streamed: ScalarResult[Any] = session.scalars(objects.execution_options(yield_per=BATCH))
    for chunk in streamed.partitions():
        yield [(row.id, state(row)) for row in chunk]


def _compare_rows(
    session: Session, report: VerifyReport, entity_type: str, rows: list[tuple[int, dict[str, Any]]]
) -> None:
    latest = latest_after(session, entity_type, [str(row_id) for row_id, _state in rows])
    for row_id, state in rows:
        report.records += 1
        key = str(row_id)
        ref = f"{entity_type} id={key}"
        if key not in latest:
            report.add("record", ref, "row has no audit event: written behind the store's back")
        elif latest[key] != canonical_json(state):
            report.add("record", ref, "row differs from its last audited state")


def _deleted_rows(
    session: Session,
    report: VerifyReport,
    entity_type: str,
    model: Any,
    keys: list[int] | None,
    *,
    kind: str = "record",
) -> None:
    """Audited rows of ``entity_type`` that are gone (their last event is not a deletion):
    every audited id (``keys`` ``None``, streamed in batches) or only ``keys``."""
    if keys is None:
        ids = session.scalars(
            select(AuditEvent.entity_id)
            .where(AuditEvent.entity_type == entity_type)
            .distinct()
            .order_by(AuditEvent.entity_id)
            .execution_options(yield_per=BATCH)
        )
        chunks: Any = (list(c) for c in ids.partitions())
    else:
        chunks = batches([str(k) for k in keys])
    for chunk in chunks:
        numeric = [int(k) for k in chunk if k.isdigit()]
        present = {str(key) for key in existing_ids(session, model.__tablename__, numeric)}
        missing = [k for k in chunk if k not in present]
        if not missing:
            continue
        latest = latest_after(session, entity_type, missing)
        for key in missing:
            if latest.get(key) is not None:
                ref = f"{entity_type} id={key}"
                report.add(kind, ref, "audited row is missing (deleted)")


def _document_index(session: Session) -> AuditIndex:
    """The audit events the document checks need: every event of the kinds whose whole history
    they read (reports), and the last state of calendar days (both small tables)."""
    latest: dict[tuple[str, str], str | None] = {}
    kept: dict[tuple[str, str], list[AuditEvent]] = {}
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type.in_([*KEEP_EVENTS_OF, "calendar_day"]))
        .order_by(AuditEvent.seq)
    ):
        latest[(event.entity_type, event.entity_id)] = event.after_json
        if event.entity_type in KEEP_EVENTS_OF:
            kept.setdefault((event.entity_type, event.entity_id), []).append(event)
    return AuditIndex(latest, kept)


def _units_of_runs(session: Session, touched: set[tuple[str, str]], scope: Scope) -> list[int]:
    """Units whose stored result a routine verify re-derives: those of touched or new runs and
    touched units (a sample of the others rides on the sampled runs)."""
    runs = [int(k) for kind, k in touched if kind == "run" and k.isdigit()]
    units = {int(k) for kind, k in touched if kind == "unit" and k.isdigit()}
    since = scope.since
    new_runs = select(Run.unit_id).where(Run.id > (since.max_run_id if since else 0))
    units.update(session.scalars(new_runs.distinct()))
    for chunk in batches(runs):
        units.update(session.scalars(select(Run.unit_id).where(Run.id.in_(chunk)).distinct()))
    return sorted(units)


def _verify_one_unit_per_pack(session: Session, report: VerifyReport) -> None:
    """A pack logged as several units (``results.unit_merge``): its runs are split between them,
    so each unit's result and every count by unit is wrong until they are merged."""
    for found in duplicate_units(session):
        ids = ", ".join(str(unit_id) for unit_id in found.unit_ids)
        report.add(
            "unit",
            f"serial {found.serial}",
            f"logged as {len(found.unit_ids)} units without a complaint (ids {ids}): its runs "
            f"are split between them; QA merges them with `packbench unit merge {found.serial} "
            "--reason TEXT --token QA_TOKEN`",
        )


def _verify_evidence(
    session: Session, report: VerifyReport, evidence_dir: Path, scope: Scope
) -> None:
    store = EvidenceStore(evidence_dir)
    if scope.since is None:
        query = select(Attachment.sha256).distinct().execution_options(yield_per=BATCH)
        hashes: Any = session.scalars(query)
    else:
        since = scope.since
        picked = scope.sample_rows(session, Attachment.id, Attachment.id <= since.max_attachment_id)
        hashes = set(
            session.scalars(
                select(Attachment.sha256).where(Attachment.id > since.max_attachment_id)
            )
        )
        for chunk in batches(picked):
            hashes.update(
                session.scalars(select(Attachment.sha256).where(Attachment.id.in_(chunk)))
            )
        hashes = sorted(hashes)
    for sha in hashes:
        report.evidence_files += 1
        problem = store.check(sha)
        if problem:
            report.add("evidence", f"file {sha}", problem)
