"""The sync document: a run a bench recorded offline, with what its store vouches for.

``POST /api/runs`` takes a run against a unit the service already has; a synced run also
carries its identity (UUID), the complaint and unit it belongs to (registered at the bench,
perhaps offline) and its bench's step seal and audit references, so the service can record it
exactly once, create what it refers to first and refuse it if it was changed after recording
(``results.run_sync``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, Field
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import RunInfo, RunOutcome, StepRecord, TraceRecord, Verdict
from results.attachments import EvidenceStore
from results.errors import ResultsError, ValidationError
from results.integrity import sha256_hex
from results.run_sync import Accepted, Origin, accept_run, synced_run_id, synced_run_ids
from results.run_transfer import INLINE_BLOB_BYTES, MAX_CARRIED_BLOBS
from results.sync_blobs import BlobStage, DigestMismatch
from results.unit_results import refreshed_once
from service.api.body import ApiBody
from service.errors import Conflict, ServiceError, results_status
from service.run_document import (
    MAX_MEASUREMENTS,
    MAX_SAMPLES,
    MAX_STEP_ATTACHMENTS,
    MAX_STEPS,
    AttachmentIn,
    Finite,
    MeasurementIn,
    Name,
    OutcomeIn,
    RunInfoIn,
    VerdictName,
    base64_bytes,
    decode_base64,
    info_of,
    measurement_of,
    outcome_of,
)

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


class BlobArray(ApiBody):
    """A trace array uploaded apart: ``samples`` little-endian float64 values, named by the
    SHA-256 of those bytes (``PUT /api/sync/blobs/SHA``)."""

    blob: Hex64
    samples: Annotated[int, Field(ge=0, le=MAX_SAMPLES)]


Samples = BlobArray | Annotated[list[Finite], Field(max_length=MAX_SAMPLES)]


class SyncChannelIn(ApiBody):
    unit: Annotated[str, Field(max_length=32)]
    values: Samples


class SyncTraceIn(ApiBody):
    name: Name
    time_s: Samples
    channels: Annotated[
        dict[Annotated[str, Field(max_length=100)], SyncChannelIn], Field(max_length=16)
    ]
    timestamp: AwareDatetime


class BlobAttachmentIn(ApiBody):
    """A file uploaded apart, named by the SHA-256 of its bytes."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    blob: Hex64


class SyncStepIn(ApiBody):
    """``service.run_document.StepIn`` whose traces and files may be blob references."""

    name: Name
    index: Annotated[int, Field(ge=0, le=MAX_STEPS)]
    started: AwareDatetime
    ended: AwareDatetime
    verdict: VerdictName
    message: Annotated[str, Field(max_length=4000)] = ""
    measurements: Annotated[
        list[MeasurementIn], Field(max_length=MAX_MEASUREMENTS, default_factory=list)
    ]
    traces: Annotated[list[SyncTraceIn], Field(max_length=16, default_factory=list)]
    attachments: Annotated[
        list[AttachmentIn | BlobAttachmentIn],
        Field(max_length=MAX_STEP_ATTACHMENTS, default_factory=list),
    ]


class SyncDocument(ApiBody):
    info: RunInfoIn
    steps: Annotated[list[SyncStepIn], Field(max_length=MAX_STEPS)]
    outcome: OutcomeIn
    origin: OriginIn
    complaint: Row | None = None
    unit: Row


class MissingBlobs(Conflict):
    """The document names blobs the service does not hold (never sent, or cleaned up since):
    the bench uploads them (``HEAD`` tells which) and sends the document again."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(
            f"blob(s) {', '.join(sorted(missing))} not uploaded; PUT them to /api/sync/blobs/SHA "
            "and send the run again"
        )
        self.missing = list(missing)


def blob_names(doc: SyncDocument) -> set[str]:
    """Every blob the document refers to."""
    names: set[str] = set()
    for step in doc.steps:
        for trace in step.traces:
            for samples in [trace.time_s, *(c.values for c in trace.channels.values())]:
                if isinstance(samples, BlobArray):
                    names.add(samples.blob)
        names.update(a.blob for a in step.attachments if isinstance(a, BlobAttachmentIn))
    return names


def fetch_blobs(
    doc: SyncDocument,
    stage: BlobStage,
    evidence: EvidenceStore,
    inline: Mapping[str, bytes] = MappingProxyType({}),
) -> dict[str, bytes]:
    """The bytes of every blob the document names: sent with its batch (``inline``, checked
    already), staged, or (a file) already evidence here."""
    found: dict[str, bytes] = {}
    missing: list[str] = []
    for name in blob_names(doc):
        data = inline.get(name)
        if data is None:
            data = stage.read(name)
        if data is None and evidence.check(name) is None:
            data = evidence.path_for(name).read_bytes()
        if data is None:
            missing.append(name)
        else:
            found[name] = data
    if missing:
        raise MissingBlobs(missing)
    return found


def _array(where: str, samples: Samples, blobs: dict[str, bytes]) -> npt.NDArray[np.float64]:
    if not isinstance(samples, BlobArray):
        return np.asarray(samples, dtype=np.float64)
    data = blobs[samples.blob]
    if len(data) != 8 * samples.samples:
        raise ValidationError(
            where,
            f"blob {samples.blob} holds {len(data)} bytes, not {samples.samples} float64 values",
            "upload the array as little-endian float64 bytes",
        )
    values = np.frombuffer(data, dtype="<f8").astype(np.float64)
    if not np.isfinite(values).all():
        raise ValidationError(where, "holds NaN or infinite values", "send finite numbers")
    return values


def _length(samples: Samples) -> int:
    return samples.samples if isinstance(samples, BlobArray) else len(samples)


def check_sync_channels(doc: SyncDocument) -> None:
    """As ``service.run_document.check_channels``: one value per time point, named by place."""
    for step in doc.steps:
        for trace in step.traces:
            for name, channel in trace.channels.items():
                if _length(channel.values) != _length(trace.time_s):
                    raise ValidationError(
                        f"{step.name}.{trace.name}.{name}",
                        f"{_length(channel.values)} samples against {_length(trace.time_s)} "
                        "time points",
                        "give every channel one value per time point",
                    )


def sync_records(
    doc: SyncDocument, blobs: dict[str, bytes]
) -> tuple[RunInfo, list[StepRecord], RunOutcome]:
    """The records the document describes, blob references replaced by their bytes."""
    steps = []
    for s in doc.steps:
        traces = [
            TraceRecord(
                name=t.name,
                time_s=_array(f"{s.name}.{t.name}.time_s", t.time_s, blobs),
                channels={
                    k: (_array(f"{s.name}.{t.name}.{k}", c.values, blobs), c.unit)
                    for k, c in t.channels.items()
                },
                timestamp=t.timestamp,
            )
            for t in s.traces
        ]
        files = [
            (a.name, blobs[a.blob] if isinstance(a, BlobAttachmentIn) else decode_base64(s.name, a))
            for a in s.attachments
        ]
        steps.append(
            StepRecord(
                name=s.name,
                index=s.index,
                started=s.started,
                ended=s.ended,
                verdict=Verdict[s.verdict],
                message=s.message,
                measurements=[measurement_of(m) for m in s.measurements],
                traces=traces,
                attachments=files,
            )
        )
    return info_of(doc.info), steps, outcome_of(doc.outcome)


def store_synced(
    sessions: sessionmaker[Session],
    evidence: EvidenceStore,
    doc: SyncDocument,
    *,
    actor: str,
    stage: BlobStage | None = None,
    looked_up: bool = False,
    inline: Mapping[str, bytes] = MappingProxyType({}),
) -> Accepted:
    """Record the synced run (or recognise it) in one transaction.

    A UUID that arrived before is answered from the audit log before its blobs are looked for
    (they may be cleaned up since; ``looked_up``: the caller did that already, for a whole
    batch); ``accept_run`` checks again under the run's lock. ``inline``: blobs its batch
    brought (``SyncBatch.blobs``).
    """
    if not looked_up:
        with sessions() as session:
            known = synced_run_id(session, doc.origin.run_uuid)
        if known is not None:
            return Accepted(known, created=False)
    stage = stage or BlobStage(evidence.root)
    prepared = _Prepared.of(doc, stage, evidence, inline)
    with sessions.begin() as session:
        accepted = prepared.accept(session, evidence, actor=actor)
    return accepted


MAX_BATCH_RUNS = 200
"""Runs in one ``POST /api/sync/runs/batch`` at most (a bench sends fewer, see ``bench.sync``)."""


class SyncBatch(ApiBody):
    """Several runs in one request: a backlog drains without a round trip per run."""

    runs: Annotated[list[SyncDocument], Field(min_length=1, max_length=MAX_BATCH_RUNS)]
    blobs: Annotated[
        dict[Hex64, Annotated[str, Field(max_length=4 * (INLINE_BLOB_BYTES // 3 + 1))]],
        Field(max_length=MAX_CARRIED_BLOBS),
    ] = Field(default_factory=dict)
    """Blobs the runs name, base64 by their SHA-256, sent along instead of uploaded apart
    (each of at most ``INLINE_BLOB_BYTES``): what a bench has not uploaded yet. Used for this
    batch's runs only, never staged; a run naming a blob neither here nor staged is answered
    409 as ever."""


def inline_blobs(blobs: Mapping[str, str]) -> dict[str, bytes]:
    """A batch's ``blobs``' bytes, each checked against its name: a blob whose bytes are not
    the ones its SHA-256 names is refused, never stored."""
    found: dict[str, bytes] = {}
    for sha, text in blobs.items():
        data = base64_bytes(f"blobs.{sha}", "the blob", text)
        actual = sha256_hex(data)
        if actual != sha:
            raise DigestMismatch(
                f"blobs.{sha}",
                f"the {len(data)} bytes sent hash to {actual}, not {sha}",
                "send each blob's own bytes under the SHA-256 of those bytes",
            )
        found[sha] = data
    return found


def _refusal(uuid: str, exc: Exception) -> dict[str, Any]:
    """A run's refusal as its item in a batch answer: the status and detail that
    ``POST /api/sync/runs`` would have answered for it alone."""
    if isinstance(exc, ServiceError):
        status, detail, field = exc.status, exc.message, None
    elif isinstance(exc, ResultsError):
        status, detail = results_status(exc), str(exc)
        field = exc.field if isinstance(exc, ValidationError) else None
    else:  # IntegrityError, DataError: as ``service.app``'s database refusal handler answers
        status = 409 if isinstance(exc, IntegrityError) else 422
        detail = f"the database refused the change ({type(exc).__name__}); check the values"
        field = None
    item: dict[str, Any] = {"uuid": uuid, "status": status, "detail": detail}
    if field is not None:
        item["field"] = field
    if isinstance(exc, MissingBlobs):
        item["missing"] = exc.missing
    return item


@dataclass(frozen=True)
class _Prepared:
    """A synced run made ready for ``accept_run``: its records (blobs fetched) and origin."""

    doc: SyncDocument
    info: RunInfo
    steps: list[StepRecord]
    outcome: RunOutcome
    origin: Origin
    blobs: dict[str, bytes]

    @classmethod
    def of(
        cls,
        doc: SyncDocument,
        stage: BlobStage,
        evidence: EvidenceStore,
        inline: Mapping[str, bytes] = MappingProxyType({}),
    ) -> _Prepared:
        check_sync_channels(doc)
        blobs = fetch_blobs(doc, stage, evidence, inline)
        info, steps, outcome = sync_records(doc, blobs)
        origin = Origin(
            run_uuid=doc.origin.run_uuid,
            run_id=doc.origin.run_id,
            step_ids=doc.origin.step_ids,
            sealed_steps=doc.origin.sealed_steps,
            sealed_chain=doc.origin.sealed_chain,
            audit=[a.model_dump() for a in doc.origin.audit],
            interrupted=doc.origin.interrupted,
        )
        return cls(doc, info, steps, outcome, origin, blobs)

    def accept(self, session: Session, evidence: EvidenceStore, *, actor: str) -> Accepted:
        """``accept_run`` of this run in ``session``'s transaction (the single path and the
        batch's shared transaction call the same)."""
        return accept_run(
            session,
            self.origin,
            complaint=self.doc.complaint,
            unit=self.doc.unit,
            info=self.info,
            steps=self.steps,
            outcome=self.outcome,
            evidence=evidence,
            actor=actor,
        )


def _store_together(
    sessions: sessionmaker[Session],
    evidence: EvidenceStore,
    stage: BlobStage,
    docs: Sequence[SyncDocument],
    inline: Mapping[str, bytes],
    *,
    actor: str,
) -> list[Accepted] | None:
    """Record ``docs`` (each UUID once) in one transaction: one commit, one append to the
    audit chain and one refresh of the units' stored results (``refreshed_once``) for the
    batch instead of one per run.
    ``None`` when any run is refused or fails: nothing was written (the transaction rolled back)
    and the caller records the runs one transaction each, which names the refused one."""
    try:
        prepared = [_Prepared.of(doc, stage, evidence, inline) for doc in docs]
        with sessions.begin() as session, refreshed_once(session):
            accepted = [run.accept(session, evidence, actor=actor) for run in prepared]
    except (ServiceError, ResultsError, SQLAlchemyError):
        return None
    return accepted


def store_synced_batch(
    sessions: sessionmaker[Session],
    evidence: EvidenceStore,
    docs: Sequence[SyncDocument],
    *,
    actor: str,
    blobs: Mapping[str, str] = MappingProxyType({}),
) -> list[dict[str, Any]]:
    """Each run of a batch as ``store_synced`` records it alone, with one answer per run in
    the same order: ``status`` 201 (recorded now), 200 (had it: ``id`` is the first copy's) or
    the refusal a lone run would get (409 a blob missing, 422 changed after recording...).

    The UUIDs that arrived before are looked up for the whole batch in one query; the new runs
    are first tried in one transaction (``_store_together``). Should any of them be refused or
    fail, that transaction is rolled back and each run is recorded in a transaction of its own,
    in order, so a refused run does not stop the others. A failure that is not a refusal of a
    run (the database gone) ends the request: the bench sends the batch again, and the runs
    recorded before the failure are answered 200. ``blobs``: the batch's own (``SyncBatch``),
    checked against their names before anything else (``inline_blobs``: a wrong one refuses
    the batch).
    """
    inline = inline_blobs(blobs)
    with sessions() as session:
        known = synced_run_ids(session, [d.origin.run_uuid for d in docs])
    stage = BlobStage(evidence.root)
    fresh: dict[str, SyncDocument] = {}
    for doc in docs:  # each new UUID once: a second copy in the batch is a repeat
        if doc.origin.run_uuid not in known:
            fresh.setdefault(doc.origin.run_uuid, doc)
    created: set[str] = set()
    if len(fresh) > 1:
        together = _store_together(
            sessions, evidence, stage, list(fresh.values()), inline, actor=actor
        )
        for uuid, accepted in zip(fresh, together or [], strict=False):
            known[uuid] = accepted.run_id
            if accepted.created:
                created.add(uuid)
    answers: list[dict[str, Any]] = []
    for doc in docs:
        uuid = doc.origin.run_uuid
        if uuid in created:
            created.discard(uuid)  # its first copy; a later one is a repeat
            answers.append({"uuid": uuid, "status": 201, "id": known[uuid], "created": True})
            continue
        if uuid in known:
            answers.append({"uuid": uuid, "status": 200, "id": known[uuid], "created": False})
            continue
        try:
            accepted = store_synced(
                sessions, evidence, doc, actor=actor, stage=stage, looked_up=True, inline=inline
            )
        except (ServiceError, ResultsError, IntegrityError, DataError) as exc:
            answers.append(_refusal(uuid, exc))
            continue
        known[uuid] = accepted.run_id  # the same run twice in one batch: the second is a repeat
        answers.append(
            {
                "uuid": uuid,
                "status": 201 if accepted.created else 200,
                "id": accepted.run_id,
                "created": accepted.created,
            }
        )
    return answers
