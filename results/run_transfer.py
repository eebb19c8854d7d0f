"""A recorded run as the JSON a bench hands to the QA service, and the check of its step seal.

Both ends of a sync use this module: the bench encodes a run read back from its own store
(``run_json``, ``rows_json``, ``origins_of``), and the service re-folds the step chain from the
values it received with the bench's own row ids (``chain_of_records``) and compares it with the
seal the bench's audit log holds. A value edited in the bench's store after recording changes a
step digest, so the chain no longer matches the seal and the run is refused.

The run's identity across stores is a UUID derived from what the run row already holds (station,
host, local id, start time): no new column, and the same run always gets the same UUID.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import pybase64
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from procedures.records import StepRecord
from results import audit
from results.attachments import EvidenceStore
from results.errors import ValidationError
from results.integrity import _jsonable, sha256_hex, step_digest, step_link, steps_genesis
from results.journal import encode_info, encode_outcome
from results.models import Attachment, AuditEvent, Base, Complaint, ReturnedUnit, Run
from results.read_model import RunRead
from results.readback import RecordedRun, read_runs, recorded_run
from results.recorder import DatabaseRecorder

RUN_NAMESPACE = uuid.UUID("6f1d2c3e-4b5a-4c7d-9e8f-0a1b2c3d4e5f")
"""Namespace of run UUIDs (fixed forever: changing it would make every run look new)."""

measurement_rows = DatabaseRecorder.measurement_rows
trace_rows_of = DatabaseRecorder.trace_rows_of


def run_uuid(run: Run) -> str:
    """The run's identity in every store: the same run row always gives the same UUID."""
    return run_uuid_of(run.station, run.host, run.id, run.started_at)


def run_uuid_of(station: str, host: str, run_id: int, started_at: datetime) -> str:
    """``run_uuid`` from the run row's columns (a Core row, no ORM object)."""
    started = started_at.isoformat()
    return str(uuid.uuid5(RUN_NAMESPACE, f"{station}\x1f{host}\x1f{run_id}\x1f{started}"))


def _jsonish(value: Any) -> Any:
    return _jsonable(value) if isinstance(value, datetime | date) else value


def rows_json(session: Session, model: type[Base], ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The columns of the ``model`` rows (complaints, units) of ``ids`` as JSON, by id, without
    the store-local ids: one Core SELECT, no ORM objects."""
    table = cast(Table, model.__table__)
    rows = session.connection().execute(select(table).where(table.c.id.in_(set(ids))))
    return {
        row.id: {
            c.key: _jsonish(row._mapping[c.key])
            for c in table.columns
            if c.key not in {"id", "complaint_id"}
        }
        for row in rows
    }


def row_values(model: type[Base], data: dict[str, Any]) -> dict[str, Any]:
    """A row of ``rows_json`` back into column values of ``model``: dates parsed, names
    checked."""
    table = cast(Table, model.__table__)
    columns = {c.key: c for c in table.columns if c.key not in {"id", "complaint_id"}}
    unknown = sorted(set(data) - set(columns))
    if unknown:
        raise ValidationError(
            table.name, f"unknown field(s) {', '.join(unknown)}", "send the fields of this version"
        )
    values: dict[str, Any] = {}
    for key, column in columns.items():
        value = data.get(key)
        kind = getattr(column.type, "impl", column.type).python_type  # through UTCDateTime
        if value is not None and kind is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and kind is date:
            value = date.fromisoformat(value)
        values[key] = value
    return values


BLOB_FROM_BYTES = 8192
"""Trace arrays and files of this size or more travel as separate blobs (``sync_parts``)."""
INLINE_BLOB_BYTES = 1024 * 1024
"""A blob of at most this size may travel inside the batch of runs that names it
(``POST /api/sync/runs/batch``'s ``blobs``) instead of in uploads of its own: a realistic run's
trace arrays (80 kB each) cost the service more in their own requests (authentication, a
staged file written, renamed, read back and hashed twice) than the rest of the run."""
MAX_CARRIED_BLOBS = 800
"""Blobs one batch of runs carries at most; a bench uploads the rest apart."""

Blobber = Callable[[bytes], str | None]
"""Takes a part's bytes; returns the blob name (SHA-256) it travels as, or ``None``: inline."""


def _inline(data: bytes) -> str | None:
    return None


def _samples(values: Any, blob: Blobber) -> Any:
    """An array inline (a JSON list of floats) or as a blob of little-endian float64 bytes; both
    give the service the same doubles bit for bit (a float's JSON repr round-trips exactly)."""
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    name = blob(data)
    return values.tolist() if name is None else {"blob": name, "samples": len(values)}


def _file(name: str, data: bytes, blob: Blobber) -> dict[str, Any]:
    sha = blob(data)
    if sha is None:
        return {"name": name, "content_base64": pybase64.b64encode(data).decode()}
    return {"name": name, "blob": sha}


def _step_json(step: StepRecord, blob: Blobber = _inline) -> dict[str, Any]:
    return {
        "name": step.name,
        "index": step.index,
        "started": step.started.isoformat(),
        "ended": step.ended.isoformat(),
        "verdict": step.verdict.name,
        "message": step.message,
        "measurements": [
            {
                "name": m.name,
                "value": m.value,
                "unit": m.unit,
                "limits": {
                    "low": m.limits.low,
                    "high": m.limits.high,
                    "low_inclusive": m.limits.low_inclusive,
                    "high_inclusive": m.limits.high_inclusive,
                    "nominal": m.limits.nominal,
                    "marginal_low": m.limits.marginal_low,
                    "marginal_high": m.limits.marginal_high,
                },
                "verdict": m.verdict.name,
                "comparison": m.comparison,
                "timestamp": m.timestamp.isoformat(),
                "instrument": m.instrument,
                "description": m.description,
                "text_value": m.text_value,
            }
            for m in step.measurements
        ],
        "traces": [
            {
                "name": t.name,
                "time_s": _samples(t.time_s, blob),
                "channels": {
                    k: {"unit": unit, "values": _samples(values, blob)}
                    for k, (values, unit) in t.channels.items()
                },
                "timestamp": t.timestamp.isoformat(),
            }
            for t in step.traces
        ],
        "attachments": [_file(name, data, blob) for name, data in step.attachments],
    }


def run_json(recorded: RecordedRun, blob: Blobber = _inline) -> dict[str, Any]:
    """The run (info, steps with evidence bytes, outcome) in ``POST /api/runs``'s shape (info and
    outcome spelled as the run journal spells them: one shape per idea); with ``blob``, the big
    parts are references to separately uploaded blobs (``POST /api/sync/runs`` only)."""
    if recorded.outcome is None:
        raise ValidationError("run", f"run {recorded.id} is still recording", "sync it later")
    return {
        "info": encode_info(recorded.info),
        "steps": [_step_json(s, blob) for s in recorded.steps],
        "outcome": encode_outcome(recorded.outcome),
    }


def origins_of(session: Session, runs: Sequence[RunRead]) -> dict[int, dict[str, Any]]:
    """What the bench's store vouches for, by run id: each run's own and its steps' ids (from
    its read model), the sealed chain, and the audit events of the run and its files (sequence,
    action, hash), so the service can check and cite them: two statements for all the runs.

    Columns, not ORM objects, and a chunk of runs at a time: a bench builds this for every run
    it syncs, and loading the events and the run as objects, then a statement per run and
    table, cost more CPU than building the rest of the document (the run's own read aside). The
    event columns are still selected through the mapped class, so the audit module's read hook
    appends this transaction's own pending events first."""
    ids = [run.id for run in runs]
    file_runs = {
        str(file_id): owner
        for file_id, owner in session.execute(
            select(Attachment.id, Attachment.run_id).where(Attachment.run_id.in_(ids))
        )
        if owner is not None
    }
    events = session.execute(
        select(
            AuditEvent.seq,
            AuditEvent.action,
            AuditEvent.at,
            AuditEvent.hash,
            AuditEvent.entity_type,
            AuditEvent.entity_id,
            AuditEvent.after_json,
        )
        .where(
            (
                AuditEvent.entity_type.in_(["run", audit.RUN_STEPS])
                & AuditEvent.entity_id.in_([str(run_id) for run_id in ids])
            )
            | ((AuditEvent.entity_type == "attachment") & AuditEvent.entity_id.in_(list(file_runs)))
        )
        .order_by(AuditEvent.seq)
    ).all()
    by_run: dict[int, list[Any]] = {run_id: [] for run_id in ids}
    for event in events:
        attachment = event.entity_type == "attachment"
        by_run[file_runs[event.entity_id] if attachment else int(event.entity_id)].append(event)
    origins = {}
    for run in runs:
        seals = [e for e in by_run[run.id] if e.entity_type == audit.RUN_STEPS]
        seal = json.loads(seals[-1].after_json or "{}") if seals else {}
        origins[run.id] = {
            "run_id": run.id,
            "run_uuid": run_uuid_of(run.station, run.host, run.id, run.started_at),
            "interrupted": run.interrupted,
            "step_ids": [step.id for step in run.steps],
            "sealed_steps": seal.get("steps"),
            "sealed_chain": seal.get("chain"),
            "audit": [
                {"seq": e.seq, "action": e.action, "at": e.at.isoformat(), "hash": e.hash}
                for e in by_run[run.id]
            ],
        }
    return origins


def chain_of_records(
    run_id: int,
    step_ids: Sequence[int],
    steps: Sequence[StepRecord],
    media_type: Callable[[bytes, str], str],
) -> str:
    """The step chain ``step_link`` folds, from records and the store-local ids they had.

    Steps fold in insertion (id) order, as ``verify`` re-folds them; ``media_type`` types an
    attachment exactly as the evidence store typed it when it was recorded.
    """
    if len(step_ids) != len(steps):
        raise ValidationError(
            "origin.step_ids", f"{len(step_ids)} ids for {len(steps)} steps", "one id per step"
        )
    chain = steps_genesis(run_id)
    for step_id, step in sorted(zip(step_ids, steps, strict=True), key=lambda pair: pair[0]):
        rows = measurement_rows(run_id, step)
        values = {
            "run_id": run_id,
            "idx": step.index,
            "name": step.name,
            "started_at": step.started,
            "ended_at": step.ended,
            "verdict": step.verdict.name,
            "message": step.message,
            "digest": step_digest(
                [row["row_hash"] for row in rows],
                [trace_rows_of(trace)[0] for trace in step.traces],
                [
                    (sha256_hex(data), name, media_type(data, name))
                    for name, data in step.attachments
                ],
            ),
        }
        chain = step_link(chain, step_id, values)
    return chain


def sync_document(
    session: Session, run_id: int, evidence: EvidenceStore, blob: Blobber = _inline
) -> dict[str, Any]:
    """The whole of what a bench sends for one run (``POST /api/sync/runs``): the run with its
    evidence bytes, its complaint and unit, and what the store vouches for (``origins_of``)."""
    return sync_documents(session, [run_id], evidence, lambda _run_id: blob)[0]


def sync_documents(
    session: Session,
    run_ids: Sequence[int],
    evidence: EvidenceStore,
    blob_of: Callable[[int], Blobber] = lambda _run_id: _inline,
) -> list[dict[str, Any]]:
    """``sync_document`` of each of ``run_ids``, in that order, read together: a bench syncing
    a backlog reads its runs a chunk at a time (``read_runs``, ``origins_of``, and its units and
    complaints in one statement each). ``blob_of`` gives each run's blobber."""
    runs = read_runs(session, run_ids)  # NotFound for a missing run
    origins = origins_of(session, runs)
    complaints = rows_json(
        session, Complaint, (r.complaint_id for r in runs if r.complaint_id is not None)
    )
    units = rows_json(session, ReturnedUnit, (r.unit_id for r in runs))
    documents = []
    for run in runs:
        unit = units[run.unit_id]
        complaint = None if run.complaint_id is None else complaints[run.complaint_id]
        number = None if complaint is None else complaint["number"]
        recorded = recorded_run(run, unit["serial"], number, evidence)
        documents.append(
            run_json(recorded, blob_of(run.id))
            | {"origin": origins[run.id], "complaint": complaint, "unit": unit}
        )
    return documents


@dataclass(frozen=True)
class SyncParts:
    """A run's sync document whose big parts are blob references, and those blobs' bytes."""

    document: dict[str, Any]
    blobs: dict[str, bytes]


def sync_parts(
    session: Session, run_id: int, evidence: EvidenceStore, *, from_bytes: int = BLOB_FROM_BYTES
) -> SyncParts:
    """``sync_document`` with every trace array and file of ``from_bytes`` or more as a blob:
    the bench uploads those first (resumably, ``PUT /api/sync/blobs/SHA``), then the document."""
    return sync_parts_of(session, [run_id], evidence, from_bytes=from_bytes)[0]


def sync_parts_of(
    session: Session,
    run_ids: Sequence[int],
    evidence: EvidenceStore,
    *,
    from_bytes: int = BLOB_FROM_BYTES,
) -> list[SyncParts]:
    """``sync_parts`` of each of ``run_ids``, in that order, read together (``sync_documents``)."""
    blobs: dict[int, dict[str, bytes]] = {run_id: {} for run_id in run_ids}

    def blob_of(run_id: int) -> Blobber:
        into = blobs[run_id]

        def blob(data: bytes) -> str | None:
            if len(data) < from_bytes:
                return None
            sha = sha256_hex(data)
            into[sha] = data
            return sha

        return blob

    documents = sync_documents(session, run_ids, evidence, blob_of)
    return [
        SyncParts(document, blobs[run_id])
        for run_id, document in zip(run_ids, documents, strict=True)
    ]
