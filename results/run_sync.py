"""Accept a run a bench synced: exactly once per run UUID, its complaint and unit first, its step
seal checked against the values received.

A bench retries until it hears an answer, so the same run may arrive twice (the first reply was
lost when the link dropped): the run's UUID is recorded in the audit log with the service's run
id (``run_sync`` events, looked up by the indexed entity columns), and a repeat returns that id
instead of writing anything. A complaint or unit registered offline at the bench travels with
its runs and is created here first, in the same transaction as the run, so a run never arrives
before the unit it is about. A run whose values no longer fold to the chain its bench sealed
when recording ended was changed afterwards and is refused (``TamperedRun``); nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, insert, literal, select, union_all
from sqlalchemy.orm import Session

from procedures.records import RunInfo, RunOutcome, StepRecord
from results import audit
from results.attachments import EvidenceStore
from results.complaints import reserve_number, unit_key
from results.db import one_at_a_time
from results.errors import ValidationError
from results.integrity import snapshot, values_snapshot
from results.models import (
    COMPLAINT_DERIVED,
    AuditEvent,
    AuditPending,
    Complaint,
    ReturnedUnit,
    Run,
)
from results.recorder import interrupt_run
from results.run_import import import_run
from results.run_transfer import chain_of_records, row_values

SYNC_ENTITY = "run_sync"
_EVENTS = cast(Table, AuditEvent.__table__)
_PENDING = cast(Table, AuditPending.__table__)
_UNITS = cast(Table, ReturnedUnit.__table__)


def _sync_events(run_uuids: Sequence[str]) -> Select[Any]:
    """(run UUID, after_json) of the ``run.synced`` events of ``run_uuids``, those on the chain
    first in chain order, then those still pending (PostgreSQL's group commit,
    ``results.audit_group``) in their order: one statement, so a drain moving an event from one
    table to the other between two reads cannot hide it."""
    chained = select(
        _EVENTS.c.entity_id, _EVENTS.c.after_json, literal(0).label("tier"), _EVENTS.c.seq
    ).where(_EVENTS.c.entity_type == SYNC_ENTITY, _EVENTS.c.entity_id.in_(run_uuids))
    pending = select(
        _PENDING.c.entity_id, _PENDING.c.after_json, literal(1).label("tier"), _PENDING.c.id
    ).where(_PENDING.c.entity_type == SYNC_ENTITY, _PENDING.c.entity_id.in_(run_uuids))
    both = union_all(chained, pending).subquery()
    return select(both.c.entity_id, both.c.after_json).order_by(both.c.tier, both.c.seq)


class TamperedRun(ValidationError):
    """The run's values do not fold to the chain sealed at the bench: refused, never stored."""


@dataclass(frozen=True)
class Origin:
    """What the bench's store vouches for (``results.run_transfer.origins_of``)."""

    run_uuid: str
    run_id: int
    step_ids: Sequence[int]
    sealed_steps: int | None
    sealed_chain: str | None
    audit: Sequence[dict[str, Any]]
    interrupted: bool = False
    """The recording process died (power cut, kill): the run stays interrupted here too."""


@dataclass(frozen=True)
class Accepted:
    run_id: int
    created: bool
    """``False``: this UUID had arrived before; nothing was written."""


def synced_run_id(session: Session, run_uuid: str) -> int | None:
    """The service's id of the run synced under ``run_uuid``, if it arrived before (committed).

    A Core query on the tables, not the ``AuditEvent`` entity: an ORM read of the audit tables
    puts the transaction's buffered events on the chain first (``audit._append_before_audit_read``)
    and, on PostgreSQL, takes the chain's lock from there to the commit. A batch recording many
    runs in one transaction asks this once per run and must not hold the chain that long; it never
    asks about a run it recorded itself (``service.sync_document`` sends each UUID once). Events
    still pending count (``_sync_events``): a retry arriving after its original committed, but
    before a drain linked the original's events, must still be recognised (0 duplicated).
    """
    row = session.execute(_sync_events([run_uuid]).limit(1)).first()
    return None if row is None else int(_loads(row.after_json)["run_id"])


def synced_run_ids(session: Session, run_uuids: Sequence[str]) -> dict[str, int]:
    """``synced_run_id`` for many UUIDs in one query (a bench's batch): the ones that arrived."""
    found: dict[str, int] = {}
    if not run_uuids:
        return found
    for row in session.execute(_sync_events(sorted(set(run_uuids)))):
        if row.after_json is not None:
            found.setdefault(str(row.entity_id), int(_loads(str(row.after_json))["run_id"]))
    return found


def audit_after(event: AuditEvent) -> dict[str, Any]:
    return _loads(event.after_json)


def check_seal(origin: Origin, steps: Sequence[StepRecord], evidence: EvidenceStore) -> None:
    """Refuse a run whose values are not the ones its bench sealed (``TamperedRun``)."""
    if origin.sealed_chain is None:
        raise TamperedRun(
            "origin.sealed_chain",
            f"run {origin.run_uuid} has no step seal in its bench's audit log",
            "run 'packbench verify' at the bench; an unsealed run cannot be vouched for",
        )

    def media_type(data: bytes, name: str) -> str:
        return evidence.validate(data, name=name).media_type

    chain = chain_of_records(origin.run_id, origin.step_ids, steps, media_type)
    if origin.sealed_steps != len(steps) or chain != origin.sealed_chain:
        raise TamperedRun(
            "steps",
            f"run {origin.run_uuid} (bench run {origin.run_id}) differs from what its bench "
            f"sealed when recording ended ({origin.sealed_steps} steps sealed, {len(steps)} "
            "sent): a value, trace or file was changed after recording",
            "run 'packbench verify' at the bench and investigate; the run is not accepted",
        )


def _complaint(session: Session, data: dict[str, Any] | None, actor: str) -> int | None:
    if data is None:
        return None
    # The derived columns (deadlines, SLA state) are the service's own: its calendar computes them.
    values = {
        key: value
        for key, value in row_values(Complaint, data).items()
        if key not in COMPLAINT_DERIVED
    }
    one_at_a_time(session, f"complaint\x1f{values['number']}")
    found = session.scalars(select(Complaint).where(Complaint.number == values["number"])).first()
    if found is not None:
        for key in ("customer", "product_model", "registered_at"):
            if getattr(found, key) != values[key]:
                raise ValidationError(
                    "complaint.number",
                    f"{found.number} exists here with {key} {getattr(found, key)!r}, the bench's "
                    f"has {values[key]!r}",
                    "register complaints on the service when benches share numbers, or renumber",
                )
        return found.id
    reserve_number(session, values["number"])
    complaint = Complaint(**values)
    session.add(complaint)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="complaint.synced",
        entity_type="complaint",
        entity_id=complaint.id,
        after=snapshot(complaint),
    )
    return complaint.id


def _unit(session: Session, complaint_id: int | None, data: dict[str, Any], actor: str) -> int:
    values = row_values(ReturnedUnit, data)
    one_at_a_time(session, unit_key(complaint_id, values["serial"]))
    found = session.scalars(
        select(ReturnedUnit.id).where(
            ReturnedUnit.complaint_id == complaint_id, ReturnedUnit.serial == values["serial"]
        )
    ).first()
    if found is not None:
        return found
    # A Core INSERT, not an ORM object and a flush: half the runs of a backlog bring a new unit,
    # and the unit of work's flush of one object was a tenth of a synced run's CPU.
    row = {"complaint_id": complaint_id, **values}
    unit_id: int = session.execute(insert(_UNITS).values(row).returning(_UNITS.c.id)).scalar_one()
    audit.record(
        session,
        actor=actor,
        action="unit.synced",
        entity_type="unit",
        entity_id=unit_id,
        after=values_snapshot(ReturnedUnit, {"id": unit_id, **row}),
    )
    return unit_id


def accept_run(
    session: Session,
    origin: Origin,
    *,
    complaint: dict[str, Any] | None,
    unit: dict[str, Any],
    info: RunInfo,
    steps: Sequence[StepRecord],
    outcome: RunOutcome,
    evidence: EvidenceStore,
    actor: str,
) -> Accepted:
    """Record a synced run once (complaint and unit first); a repeat returns the first id."""
    one_at_a_time(session, origin.run_uuid)
    known = synced_run_id(session, origin.run_uuid)
    if known is not None:
        return Accepted(known, created=False)
    check_seal(origin, steps, evidence)
    complaint_id = _complaint(session, complaint, actor)
    unit_id = _unit(session, complaint_id, unit, actor)
    run_id = import_run(session, info, steps, outcome, unit_id=unit_id, evidence=evidence)
    if origin.interrupted:
        interrupt_run(session, session.get_one(Run, run_id), outcome.message, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="run.synced",
        entity_type=SYNC_ENTITY,
        entity_id=origin.run_uuid,
        after={
            "run_id": run_id,
            "bench_run_id": origin.run_id,
            "sealed_chain": origin.sealed_chain,
            "bench_audit": list(origin.audit),
        },
    )
    return Accepted(run_id, created=True)


def runs_of_bench(session: Session, actor: str) -> list[Run]:
    """Runs this bench account synced: what its token may read back."""
    uuids = select(AuditEvent.after_json).where(
        AuditEvent.entity_type == SYNC_ENTITY, AuditEvent.actor == actor
    )
    ids = [int(_loads(text)["run_id"]) for text in session.scalars(uuids)]
    return list(session.scalars(select(Run).where(Run.id.in_(ids))))


def _loads(text: str | None) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text or "{}")
    return value
