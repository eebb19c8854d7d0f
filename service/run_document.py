"""The run-submission document: a finished run as JSON, validated, stored in one transaction.

A bench that records locally (or has no database access) posts the whole run once it is done.
The document maps one-to-one onto ``procedures.records`` and is written by
``results.run_import.import_run``: the same rows, hashes and audit events a bench recording live
produces (so ``verify`` treats both alike), but in one transaction, so a failure half-way leaves
nothing behind.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import numpy.typing as npt
import pybase64
from pydantic import AwareDatetime, Field
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
    Verdict,
)
from results import audit
from results.attachments import EvidenceStore
from results.errors import ValidationError
from results.run_import import import_run
from service.api.body import ApiBody

MAX_STEPS = 200
MAX_MEASUREMENTS = 2000
MAX_SAMPLES = 200_000
MAX_STEP_ATTACHMENTS = 20
MAX_ATTACHMENT_CHARS = 70_000_000
"""Base64 of the largest file any evidence store accepts here; the store's own limit is lower."""
Name = Annotated[str, Field(min_length=1, max_length=200)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
VerdictName = Annotated[str, Field(pattern=f"^({'|'.join(v.name for v in Verdict)})$")]
"""A verdict by name; the set of names is the enum's, so a new verdict needs no edit here."""


class LimitsIn(ApiBody):
    low: Finite | None = None
    high: Finite | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    nominal: Finite | None = None
    marginal_low: Finite | None = None
    marginal_high: Finite | None = None


class MeasurementIn(ApiBody):
    """``procedures.records.MeasurementRecord`` as the API accepts it: the same field names (so
    ``to_records`` copies them without naming each), with the document's size limits
    (tests/service/test_run_submission.py checks the names stay the record's)."""

    name: Name
    value: Finite | None
    unit: Annotated[str, Field(max_length=32)]
    limits: LimitsIn = LimitsIn()
    verdict: VerdictName
    comparison: Annotated[str, Field(max_length=2000)] = ""
    timestamp: AwareDatetime
    instrument: Annotated[str, Field(max_length=255)] | None = None
    description: Annotated[str, Field(max_length=2000)] = ""
    text_value: Annotated[str, Field(max_length=2000)] | None = None


PACKED_CHARS = 4 * ((8 * MAX_SAMPLES + 2) // 3)
"""Base64 length of ``MAX_SAMPLES`` float64 values."""


class PackedArray(ApiBody):
    """A trace array as base64 of its little-endian IEEE-754 float64 bytes (8 bytes a sample).

    The compact alternative to a JSON list of numbers, for big traces: a 10,000-sample array is
    107 KB of base64 that both ends encode and decode in well under a millisecond, where the
    same array as a list of numbers is about 200 KB of text that costs each side milliseconds to
    print and parse (the largest cost of a diagnosis-sized submission). Both give the service
    the same doubles bit for bit: the list because a float's shortest repr round-trips, the
    packed form because it is the bytes themselves.
    """

    f64le_base64: Annotated[str, Field(max_length=PACKED_CHARS)]


Samples = PackedArray | Annotated[list[Finite], Field(max_length=MAX_SAMPLES)]
"""A trace array: a JSON list of finite numbers, or ``PackedArray``."""


class ChannelIn(ApiBody):
    unit: Annotated[str, Field(max_length=32)]
    values: Samples


class TraceIn(ApiBody):
    name: Name
    time_s: Samples
    channels: Annotated[
        dict[Annotated[str, Field(max_length=100)], ChannelIn], Field(max_length=16)
    ]
    timestamp: AwareDatetime


class AttachmentIn(ApiBody):
    """A file the step produced (a photo of the pack, an instrument's log), base64 in the JSON.

    The evidence store types it by content and enforces the size limit; the name is only a label.
    """

    name: Annotated[str, Field(min_length=1, max_length=255)]
    content_base64: Annotated[str, Field(max_length=MAX_ATTACHMENT_CHARS)]


class StepIn(ApiBody):
    name: Name
    index: Annotated[int, Field(ge=0, le=MAX_STEPS)]
    started: AwareDatetime
    ended: AwareDatetime
    verdict: VerdictName
    message: Annotated[str, Field(max_length=4000)] = ""
    measurements: Annotated[
        list[MeasurementIn], Field(max_length=MAX_MEASUREMENTS, default_factory=list)
    ]
    traces: Annotated[list[TraceIn], Field(max_length=16, default_factory=list)]
    attachments: Annotated[
        list[AttachmentIn], Field(max_length=MAX_STEP_ATTACHMENTS, default_factory=list)
    ]


class ConclusionIn(ApiBody):
    kind: Annotated[str, Field(max_length=100)]
    value: Annotated[str, Field(max_length=200)]
    explanation: Annotated[str, Field(max_length=4000)] = ""
    evidence: Annotated[
        list[Annotated[str, Field(max_length=400)]], Field(max_length=100, default_factory=list)
    ]


class RunInfoIn(ApiBody):
    procedure: Annotated[str, Field(min_length=1, max_length=100)]
    procedure_version: Annotated[str, Field(max_length=32)]
    station: Annotated[str, Field(min_length=1, max_length=100)]
    operator: Annotated[str, Field(min_length=1, max_length=100)]
    spec: Annotated[str, Field(max_length=100)]
    unit_serial: Annotated[str, Field(min_length=1, max_length=100)]
    complaint_number: Annotated[str, Field(max_length=32)] | None = None
    started: AwareDatetime


class OutcomeIn(ApiBody):
    verdict: VerdictName
    ended: AwareDatetime
    message: Annotated[str, Field(max_length=4000)] = ""
    conclusions: Annotated[list[ConclusionIn], Field(max_length=100, default_factory=list)]


class RunBody(ApiBody):
    """A finished run as ``POST /api/runs`` carries it (``POST /api/sync/runs`` carries the same
    fields, its big parts possibly as blob references: ``service.sync_document``)."""

    info: RunInfoIn
    steps: Annotated[list[StepIn], Field(max_length=MAX_STEPS)]
    outcome: OutcomeIn


class RunDocument(RunBody):
    """A finished run, as a bench posts it to ``POST /api/runs``."""

    unit_id: Annotated[int, Field(ge=1, le=2_147_483_647)]


def decode_base64(step: str, attachment: AttachmentIn) -> bytes:
    return base64_bytes(
        f"{step}.attachments.{attachment.name}", "content_base64", attachment.content_base64
    )


def base64_bytes(where: str, what: str, text: str) -> bytes:
    """``text`` decoded as standard base64, or a ``ValidationError`` naming ``where``."""
    try:
        return pybase64.b64decode(text, validate=True)
    except ValueError as exc:  # binascii.Error, or a non-ASCII letter (a plain ValueError)
        raise ValidationError(
            where, f"{what} is not base64 ({exc})", "encode the bytes with standard base64"
        ) from None


def sample_count(samples: Samples) -> int:
    """How many values ``samples`` holds; a packed array's from its length (``samples_array``
    has checked that it decodes to whole float64 values)."""
    if isinstance(samples, PackedArray):
        text = samples.f64le_base64
        return (len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))) // 8
    return len(samples)


def samples_array(where: str, samples: Samples) -> npt.NDArray[np.float64]:
    """The values as float64: a packed array decoded and held to the list form's rules (whole
    float64 values, finite), so neither form can store what the other would refuse."""
    if not isinstance(samples, PackedArray):
        return np.asarray(samples, dtype=np.float64)
    try:
        data = pybase64.b64decode(samples.f64le_base64, validate=True)
    except ValueError as exc:  # binascii.Error, or a non-ASCII letter (a plain ValueError)
        raise ValidationError(
            where, f"f64le_base64 is not base64 ({exc})", "encode the array's bytes as base64"
        ) from None
    if len(data) % 8:
        raise ValidationError(
            where,
            f"f64le_base64 holds {len(data)} bytes, not a whole number of float64 values",
            "send the array's little-endian float64 bytes (8 per sample)",
        )
    values = np.frombuffer(data, dtype="<f8").astype(np.float64)
    if len(values) > MAX_SAMPLES:
        raise ValidationError(
            where, f"{len(values)} samples, more than {MAX_SAMPLES}", "split the trace"
        )
    if not np.isfinite(values).all():
        raise ValidationError(where, "holds NaN or infinite values", "send finite numbers")
    return values


def info_of(doc: RunInfoIn) -> RunInfo:
    return RunInfo(**doc.model_dump())


def measurement_of(m: MeasurementIn) -> MeasurementRecord:
    """The record of ``m``, its fields copied by name from the validated model's ``__dict__``
    (two ``model_dump`` a measurement: to_records 2.0-2.1 -> 1.8-1.9 ms a realistic run)."""
    fields = m.__dict__.copy()
    fields["limits"] = LimitsRecord(**m.limits.__dict__)
    fields["verdict"] = Verdict[m.verdict]
    return MeasurementRecord(**fields)


def outcome_of(doc: OutcomeIn) -> RunOutcome:
    return RunOutcome(
        verdict=Verdict[doc.verdict],
        ended=doc.ended,
        message=doc.message,
        conclusions=tuple(
            Conclusion(c.kind, c.value, c.explanation, tuple(c.evidence)) for c in doc.conclusions
        ),
    )


def to_records(doc: RunBody) -> tuple[RunInfo, list[StepRecord], RunOutcome]:
    steps = [
        StepRecord(
            name=s.name,
            index=s.index,
            started=s.started,
            ended=s.ended,
            verdict=Verdict[s.verdict],
            message=s.message,
            measurements=[measurement_of(m) for m in s.measurements],
            traces=[
                TraceRecord(
                    name=t.name,
                    time_s=samples_array(f"{s.name}.{t.name}.time_s", t.time_s),
                    channels={
                        k: (samples_array(f"{s.name}.{t.name}.{k}", c.values), c.unit)
                        for k, c in t.channels.items()
                    },
                    timestamp=t.timestamp,
                )
                for t in s.traces
            ],
            attachments=[(a.name, decode_base64(s.name, a)) for a in s.attachments],
        )
        for s in doc.steps
    ]
    return info_of(doc.info), steps, outcome_of(doc.outcome)


def check_channels(doc: RunBody) -> None:
    """Name the offending channel by its place in the document (the store names it by trace)."""
    for step in doc.steps:
        for trace in step.traces:
            for name, channel in trace.channels.items():
                count, times = sample_count(channel.values), sample_count(trace.time_s)
                if count != times:
                    raise ValidationError(
                        f"{step.name}.{trace.name}.{name}",
                        f"{count} samples against {times} time points",
                        "give every channel one value per time point",
                    )


def store_run(
    sessions: sessionmaker[Session], evidence: EvidenceStore, doc: RunDocument, *, actor: str
) -> int:
    """Record the whole document in one transaction and return the run's id."""
    info, steps, outcome = to_records(doc)  # first: a packed array's bytes checked, by place
    check_channels(doc)
    with sessions.begin() as session:
        run_id = import_run(session, info, steps, outcome, unit_id=doc.unit_id, evidence=evidence)
        audit.record(
            session,
            actor=actor,
            action="run.submitted",
            entity_type="run_submission",
            entity_id=run_id,
            after={"run_id": run_id, "steps": len(steps), "via": "api"},
        )
    return run_id
