"""The sync document: a run a bench recorded offline, with what its store vouches for.

``POST /api/runs`` takes a run against a unit the service already has; a synced run also
carries its identity (UUID), the complaint and unit it belongs to (registered at the bench,
perhaps offline) and its bench's step seal and audit references, so the service can record it
exactly once, create what it refers to first and refuse it if it was changed after recording
(``results.run_sync``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.orm import Session, sessionmaker

from results.attachments import EvidenceStore
from results.run_sync import Accepted, Origin, accept_run
from service.api.body import ApiBody
from service.run_document import MAX_STEPS, RunBody, check_channels, to_records

Hex64 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
RowValue = str | int | float | bool | None
Row = Annotated[dict[Annotated[str, Field(max_length=64)], RowValue], Field(max_length=80)]


class AuditRefIn(ApiBody):
    """One of the bench's audit events about the run, cited (not replayed) by the service."""

    seq: Annotated[int, Field(ge=1)]
    action: Annotated[str, Field(max_length=64)]
    at: Annotated[str, Field(max_length=40)]
    hash: Hex64


class OriginIn(ApiBody):
    run_uuid: Annotated[str, Field(pattern="^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")]
    run_id: Annotated[int, Field(ge=1)]
    interrupted: bool = False
    step_ids: Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=MAX_STEPS)]
    sealed_steps: Annotated[int, Field(ge=0)] | None
    sealed_chain: Hex64 | None
    audit: Annotated[list[AuditRefIn], Field(max_length=10_000, default_factory=list)]


class SyncDocument(RunBody):
    origin: OriginIn
    complaint: Row | None = None
    unit: Row


def store_synced(
    sessions: sessionmaker[Session], evidence: EvidenceStore, doc: SyncDocument, *, actor: str
) -> Accepted:
    """Record the synced run (or recognise it) in one transaction."""
    check_channels(doc)
    info, steps, outcome = to_records(doc)
    origin = Origin(
        run_uuid=doc.origin.run_uuid,
        run_id=doc.origin.run_id,
        step_ids=doc.origin.step_ids,
        sealed_steps=doc.origin.sealed_steps,
        sealed_chain=doc.origin.sealed_chain,
        audit=[a.model_dump() for a in doc.origin.audit],
        interrupted=doc.origin.interrupted,
    )
    complaint: dict[str, Any] | None = doc.complaint
    with sessions.begin() as session:
        return accept_run(
            session,
            origin,
            complaint=complaint,
            unit=doc.unit,
            info=info,
            steps=steps,
            outcome=outcome,
            evidence=evidence,
            actor=actor,
        )
