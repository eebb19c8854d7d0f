"""Content hashes and canonical snapshots: the one definition that writers and ``verify`` share.

A tamper check is only as good as the agreement between what was hashed at write time and what is
re-hashed later, so both sides call these functions and nothing else. Measurements are hashed with a
cheap field join (they are the hot path); everything else as canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from results.models import (
    COMPLAINT_DERIVED,
    Attachment,
    Complaint,
    ReturnedUnit,
    Run,
    RunInvalidation,
    Step,
)
from results.returns_models import InspectionRequest, ReturnNotice, ReturnReceipt

if TYPE_CHECKING:
    from hashlib import _Hash


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} into an audit snapshot")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
)
"""The encoder ``json.dumps`` would build for these options on every call; built once, since its
construction was a fifth of an audit event's encoding (the text is the same: same class, same
options)."""


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTC timestamps: equal content gives equal text on any host."""
    return _ENCODER.encode(value)


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def stored_micros(value: datetime | str) -> int:
    """Microseconds since the epoch of a ``UTCDateTime`` value as the database driver returns it,
    without SQLAlchemy's result processing: ISO text on SQLite (read with ``fromisoformat``, as
    SQLAlchemy's SQLite ``DATETIME`` reads it), a naive value taken as UTC (as ``UTCDateTime``
    does), an aware one as it is. ``verify`` reads hundreds of thousands of timestamps per
    thousand runs; going through the type's processors was a fifth of its time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return (value - _NAIVE_EPOCH) // _MICROSECOND
    return (value - _EPOCH) // _MICROSECOND


def stored_iso(value: datetime | str) -> str:
    """``value`` (as ``stored_micros`` takes it) as ``canonical_json`` spells a UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()


def measurement_hash(run_id: int, step_idx: int, row: Mapping[str, Any]) -> str:
    """Hash of one measurement row, bound to its run and step position so it cannot be moved.

    The ``repr`` of a tuple (floats round-trip exactly, strings are quoted and escaped, so no
    separator games) and the time as integer microseconds since the epoch: this runs once per
    measurement, and this spelling is the cheapest canonical form found.
    """
    content = (
        run_id,
        step_idx,
        row["idx"],
        row["name"],
        row["value"],
        row["text_value"],
        row["unit"],
        row["low"],
        row["high"],
        row["low_inclusive"],
        row["high_inclusive"],
        row["nominal"],
        row["marginal_low"],
        row["marginal_high"],
        row["verdict"],
        row["comparison"],
        row["instrument"],
        row["description"],
        (row["measured_at"] - _EPOCH) // _MICROSECOND,
    )
    return hashlib.sha256(repr(content).encode()).hexdigest()


MEASUREMENT_HASHED = (
    "idx",
    "name",
    "value",
    "text_value",
    "unit",
    "low",
    "high",
    "low_inclusive",
    "high_inclusive",
    "nominal",
    "marginal_low",
    "marginal_high",
    "verdict",
    "comparison",
    "instrument",
    "description",
    "measured_at",
)
"""The columns ``measurement_hash`` hashes, in its order (``measured_at`` as microseconds)."""


def measurement_hash_of(run_id: int, step_idx: int, values: tuple[Any, ...]) -> str:
    """``measurement_hash`` of a row given as its ``MEASUREMENT_HASHED`` values in order, already
    converted to their stored types and ``measured_at`` as integer microseconds: ``verify``'s
    path, which reads rows as plain tuples (the same tuple, so the same ``repr`` and hash)."""
    return hashlib.sha256(repr((run_id, step_idx, *values)).encode()).hexdigest()


def measurement_hashes_at(
    positions: Mapping[int, tuple[int, int]], rows: Iterable[tuple[Any, ...]], start: int
) -> list[str]:
    """``measurement_hash_of`` of each row, a row being its step's id, then anything, then its
    ``MEASUREMENT_HASHED`` values from position ``start`` on; ``positions`` gives each step's
    (run id, step index).

    Why one call for many rows: ``verify --full`` hashes tens of millions of rows, and one
    comprehension saves a Python call and an argument tuple per row (the same tuple is hashed,
    so the same ``repr`` and hash)."""
    sha256 = hashlib.sha256
    return [sha256(repr(positions[row[0]] + row[start:]).encode()).hexdigest() for row in rows]


def trace_hash(name: str, channels: Iterable[tuple[str, str, str, str, bytes]]) -> str:
    """Hash of a trace: its name and every channel's (name, unit, dtype, shape, raw bytes)."""
    digest = trace_digest(name)
    for channel in channels:
        add_channel(digest, *channel)
    return digest.hexdigest()


def trace_digest(name: str) -> _Hash:
    """The running hash of a trace named ``name``, before its channels (``add_channel``)."""
    return hashlib.sha256(name.encode())


def add_channel(digest: _Hash, name: str, unit: str, dtype: str, shape: str, data: bytes) -> None:
    """Fold one channel into a trace's running hash; ``verify`` streams channels through this
    one at a time, so a batch of traces is never in memory at once."""
    digest.update(f"\x1e{name}\x1f{unit}\x1f{dtype}\x1f{shape}\x1f".encode())
    digest.update(data)


def step_digest(
    measurement_hashes: Iterable[str],
    trace_hashes: Iterable[str],
    attachments: Iterable[tuple[str, str, str]],
) -> str:
    """One hash over everything a step recorded; ``step_link`` folds it into the run's chain."""
    # Fed as three joined strings rather than an update per hash: SHA-256 is a stream, so the
    # bytes hashed, and the digest, are the same; a step of ``verify`` costs a few calls, not one
    # per measurement.
    files = "".join(f"{sha}\x1f{name}\x1f{media_type}\x1e" for sha, name, media_type in attachments)
    content = f"m{''.join(measurement_hashes)}t{''.join(trace_hashes)}a{files}"
    return hashlib.sha256(content.encode()).hexdigest()


def steps_genesis(run_id: int) -> str:
    """Start of a run's step chain: bound to the run, so steps cannot move between runs."""
    return hashlib.sha256(f"run-steps:{run_id}".encode()).hexdigest()


def step_link(prev: str, step_id: int, row: Mapping[str, Any]) -> str:
    """Fold one step row (its digest covers its measurements, traces and files) into the chain.

    The recorder folds each step as it commits it and seals the run's chain into the audit log once,
    at the end of the run, instead of appending an audit event per step: the step path then never
    touches the audit head (a per-step SELECT ... FOR UPDATE that every bench queued on). ``verify``
    re-folds the step rows in insertion order and compares with the seal, so an edited, inserted,
    deleted or re-ordered step (or measurement, via the digest) is still caught.
    """
    return step_link_of(
        prev,
        step_id,
        row["run_id"],
        row["idx"],
        row["name"],
        (row["started_at"] - _EPOCH) // _MICROSECOND,
        (row["ended_at"] - _EPOCH) // _MICROSECOND,
        row["verdict"],
        row["message"],
        row["digest"],
    )


def step_link_of(prev: str, step_id: int, *values: Any) -> str:
    """``step_link`` given the row's values in its order (run_id, idx, name, started and ended
    as integer microseconds, verdict, message, digest): ``verify`` reads steps as tuples."""
    return hashlib.sha256(repr((prev, step_id, *values)).encode()).hexdigest()


def _columns(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


_COMPLAINT_FIELDS = tuple(
    c.key for c in Complaint.__table__.columns if c.key not in COMPLAINT_DERIVED
)
_UNIT_FIELDS = tuple(c.key for c in ReturnedUnit.__table__.columns)
# heartbeat and the step counter change with every step; the step events cover that progress.
_RUN_FIELDS = tuple(
    c.key for c in Run.__table__.columns if c.key not in {"heartbeat_at", "steps_recorded"}
)
_STEP_FIELDS = tuple(c.key for c in Step.__table__.columns)
_ATTACHMENT_FIELDS = tuple(c.key for c in Attachment.__table__.columns)
_INVALIDATION_FIELDS = tuple(c.key for c in RunInvalidation.__table__.columns)
_NOTICE_FIELDS = tuple(c.key for c in ReturnNotice.__table__.columns)
_RECEIPT_FIELDS = tuple(c.key for c in ReturnReceipt.__table__.columns)
_REQUEST_FIELDS = tuple(c.key for c in InspectionRequest.__table__.columns)


SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    Complaint: _COMPLAINT_FIELDS,
    ReturnedUnit: _UNIT_FIELDS,
    Run: _RUN_FIELDS,
    Step: _STEP_FIELDS,
    Attachment: _ATTACHMENT_FIELDS,
    RunInvalidation: _INVALIDATION_FIELDS,
    ReturnNotice: _NOTICE_FIELDS,
    ReturnReceipt: _RECEIPT_FIELDS,
    InspectionRequest: _REQUEST_FIELDS,
}
"""The audited columns of each model ``snapshot`` takes: ``verify`` selects exactly these."""


def snapshot(
    row: Complaint
    | ReturnedUnit
    | Run
    | Step
    | Attachment
    | RunInvalidation
    | ReturnNotice
    | ReturnReceipt
    | InspectionRequest,
) -> dict[str, Any]:
    """The audited state of a row: what ``verify`` compares the live row against."""
    return _columns(row, SNAPSHOT_FIELDS[type(row)])


def run_snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """``snapshot`` of a run given as column values instead of a loaded row (the live
    recorder's driver-level start and finish, ``results.run_writer``): the same fields."""
    return values_snapshot(Run, values)


def values_snapshot(model: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """``snapshot`` of a ``model`` row given as its column values (a row written with a Core
    ``INSERT``, no ORM object): the same fields, in the same order."""
    return {name: values[name] for name in SNAPSHOT_FIELDS[model]}


RUN_FIELDS = _RUN_FIELDS
"""The audited columns of a run, in ``snapshot`` order."""


def row_snapshot(row: Any) -> dict[str, Any]:
    """Every column of a row as audited by the complaint-process records (containment, claims,
    the feedback form, the major record): exact amounts as text, since JSON has no decimal.
    Their writers and ``verify`` both call this, so what was audited is what is compared."""
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
