"""The local run journal: every record of a run, fsync'd to a file before the store sees it.

A database that is busy, down or out of disk must never cost a measured step: the step exists
once, at the moment the engine hands it over, and a bench cannot measure it again (the pack has
moved on). So each record (run start, every step, run end) is first appended to a journal file on
the bench's own disk as one JSON line, flushed and fsync'd, and only then written to the store
(``results.journal_apply`` does that, exactly once). The journal is the same data as the
``procedures.records`` types, encoded losslessly: floats as JSON numbers (``repr`` round-trips),
times as ISO text with microseconds, trace arrays and attachments as base64 of their raw bytes, so
the rows and hashes written from a replayed journal are the ones the live write would have made.

A journal belongs to one run and one store. The process recording it holds an exclusive
``flock`` on the file for the whole run, so a replay elsewhere (``packbench recover``, the next
command) never touches a journal that is still being written; the kernel drops the lock when
the process dies, which is how a replay knows the writer is gone. A crash in the middle of an
append leaves a last line without its newline: that record was never acknowledged to the engine,
so the reader drops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pybase64

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

FORMAT = 1
SUFFIX = ".journal"
RUN_STARTED = "run_started"
STEP = "step"
RUN_FINISHED = "run_finished"


class JournalError(Exception):
    """A journal file cannot be written or read; the message names the file."""


class EmptyJournal(JournalError):
    """A journal whose run-start record never completed: the run never began, nothing to do."""


@dataclass(frozen=True)
class UnitUpdate:
    """A unit status change that belongs to a run record (applied in the same transaction)."""

    status: str
    actor: str
    reason: str
    disposition: str | None = None


@dataclass(frozen=True)
class RunHeader:
    """What a replay needs besides the records: where the run belongs and who recorded it."""

    key: str
    store: str
    """The store the run belongs to (URL without password, or SQLite path): never replayed
    into another one."""
    unit_id: int
    complaint_id: int | None
    evidence_dir: str
    host: str
    pid: int
    info: RunInfo
    unit_update: UnitUpdate | None = None


@dataclass
class JournalContents:
    path: Path
    header: RunHeader
    steps: list[StepRecord] = field(default_factory=list)
    finished: RunOutcome | None = None
    finish_update: UnitUpdate | None = None
    torn_tail: bool = False
    """The last line was cut by a crash during its append (that record was never acknowledged)."""


# -- encoding ---------------------------------------------------------------------------------


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        raise JournalError(f"naive datetime {value.isoformat()} cannot be journaled: use UTC")
    return value.isoformat()


def _array(values: npt.ArrayLike) -> dict[str, Any]:
    arr = np.ascontiguousarray(np.asarray(values))
    return {
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "b64": pybase64.b64encode(arr.tobytes()).decode("ascii"),
    }


def _unarray(data: dict[str, Any]) -> npt.NDArray[np.float64]:
    raw = pybase64.b64decode(data["b64"])
    arr = np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(tuple(data["shape"]))
    return np.array(arr, copy=True)


def _measurement(m: MeasurementRecord) -> dict[str, Any]:
    limits = m.limits
    return {
        "name": m.name,
        "value": m.value,
        "unit": m.unit,
        "limits": {
            "low": limits.low,
            "high": limits.high,
            "low_inclusive": limits.low_inclusive,
            "high_inclusive": limits.high_inclusive,
            "nominal": limits.nominal,
            "marginal_low": limits.marginal_low,
            "marginal_high": limits.marginal_high,
        },
        "verdict": m.verdict.name,
        "comparison": m.comparison,
        "timestamp": _time(m.timestamp),
        "instrument": m.instrument,
        "description": m.description,
        "text_value": m.text_value,
    }


def _unmeasurement(d: dict[str, Any]) -> MeasurementRecord:
    return MeasurementRecord(
        name=d["name"],
        value=d["value"],
        unit=d["unit"],
        limits=LimitsRecord(**d["limits"]),
        verdict=Verdict[d["verdict"]],
        comparison=d["comparison"],
        timestamp=datetime.fromisoformat(d["timestamp"]),
        instrument=d["instrument"],
        description=d["description"],
        text_value=d["text_value"],
    )


def encode_step(step: StepRecord) -> dict[str, Any]:
    return {
        "name": step.name,
        "index": step.index,
        "started": _time(step.started),
        "ended": _time(step.ended),
        "verdict": step.verdict.name,
        "message": step.message,
        "measurements": [_measurement(m) for m in step.measurements],
        "traces": [
            {
                "name": t.name,
                "time_s": _array(t.time_s),
                "channels": [
                    {"name": name, "unit": unit, "values": _array(values)}
                    for name, (values, unit) in t.channels.items()
                ],
                "timestamp": _time(t.timestamp),
            }
            for t in step.traces
        ],
        "attachments": [
            {"name": name, "b64": pybase64.b64encode(data).decode("ascii")}
            for name, data in step.attachments
        ],
    }


def decode_step(d: dict[str, Any]) -> StepRecord:
    return StepRecord(
        name=d["name"],
        index=d["index"],
        started=datetime.fromisoformat(d["started"]),
        ended=datetime.fromisoformat(d["ended"]),
        verdict=Verdict[d["verdict"]],
        measurements=[_unmeasurement(m) for m in d["measurements"]],
        traces=[
            TraceRecord(
                name=t["name"],
                time_s=_unarray(t["time_s"]),
                channels={c["name"]: (_unarray(c["values"]), c["unit"]) for c in t["channels"]},
                timestamp=datetime.fromisoformat(t["timestamp"]),
            )
            for t in d["traces"]
        ],
        message=d["message"],
        attachments=[(a["name"], pybase64.b64decode(a["b64"])) for a in d["attachments"]],
    )


def encode_info(info: RunInfo) -> dict[str, Any]:
    return {
        "procedure": info.procedure,
        "procedure_version": info.procedure_version,
        "station": info.station,
        "operator": info.operator,
        "spec": info.spec,
        "unit_serial": info.unit_serial,
        "complaint_number": info.complaint_number,
        "started": _time(info.started),
    }


def _uninfo(d: dict[str, Any]) -> RunInfo:
    return RunInfo(**{**d, "started": datetime.fromisoformat(d["started"])})


def encode_outcome(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "verdict": outcome.verdict.name,
        "ended": _time(outcome.ended),
        "message": outcome.message,
        "conclusions": [
            {
                "kind": c.kind,
                "value": c.value,
                "explanation": c.explanation,
                "evidence": list(c.evidence),
            }
            for c in outcome.conclusions
        ],
    }


def _unoutcome(d: dict[str, Any]) -> RunOutcome:
    return RunOutcome(
        verdict=Verdict[d["verdict"]],
        ended=datetime.fromisoformat(d["ended"]),
        message=d["message"],
        conclusions=tuple(
            Conclusion(c["kind"], c["value"], c["explanation"], tuple(c["evidence"]))
            for c in d["conclusions"]
        ),
    )


def _update(update: UnitUpdate | None) -> dict[str, Any] | None:
    if update is None:
        return None
    return {
        "status": update.status,
        "actor": update.actor,
        "reason": update.reason,
        "disposition": update.disposition,
    }


def _unupdate(d: dict[str, Any] | None) -> UnitUpdate | None:
    return None if d is None else UnitUpdate(**d)


def _line(record: dict[str, Any]) -> bytes:
    # allow_nan: a reading can be NaN or inf (an open circuit); JSON's extension round-trips it.
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# -- writing ----------------------------------------------------------------------------------


class JournalWriter:
    """One run's journal file: created, locked, appended with fsync, closed or completed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key = uuid.uuid4().hex
        self.path = directory / f"{self.key}{SUFFIX}"
        self._fd: int | None = None
        self._seq = 0

    def start(self, header: RunHeader) -> None:
        """Create the file (and its folder), lock it, and write the run-start record."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except OSError as exc:
            raise JournalError(f"cannot create the run journal {self.path}: {exc}") from exc
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._fd = fd
        self._append(
            {
                "format": FORMAT,
                "kind": RUN_STARTED,
                "key": header.key,
                "store": header.store,
                "unit_id": header.unit_id,
                "complaint_id": header.complaint_id,
                "evidence_dir": header.evidence_dir,
                "host": header.host,
                "pid": header.pid,
                "info": encode_info(header.info),
                "unit_update": _update(header.unit_update),
            }
        )
        _fsync_dir(self.directory)  # the new file's name is durable too, not only its content

    def step(self, step: StepRecord) -> None:
        self._append({"kind": STEP, "step": encode_step(step)})

    def finished(self, outcome: RunOutcome, update: UnitUpdate | None) -> None:
        self._append(
            {
                "kind": RUN_FINISHED,
                "outcome": encode_outcome(outcome),
                "unit_update": _update(update),
            }
        )

    def _append(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            raise JournalError(f"run journal {self.path} is not open")
        data = _line({"seq": self._seq, **record})
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:
            raise JournalError(f"cannot append to the run journal {self.path}: {exc}") from exc
        self._seq += 1

    def close(self) -> None:
        """Release the lock and the file (it stays for a replay)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor releases the flock

    def discard(self) -> None:
        """The store holds every record: the journal has done its job."""
        remove_journal(self.path)
        self.close()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_journal(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        _fsync_dir(path.parent)


# -- reading ----------------------------------------------------------------------------------


def pending_journals(directory: Path) -> list[Path]:
    """Journal files in ``directory``, oldest first (by modification time, then name)."""
    if not directory.is_dir():
        return []
    files = [p for p in directory.iterdir() if p.name.endswith(SUFFIX) and p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


@contextlib.contextmanager
def claimed(path: Path) -> Iterator[bool]:
    """Lock ``path`` for a replay without waiting; yields ``False`` while its writer is alive
    (or another replay holds it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield path.exists()
    finally:
        os.close(fd)


def read_journal(path: Path) -> JournalContents:
    """Decode one journal; a torn last line (crash during its append) is dropped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JournalError(f"cannot read the run journal {path}: {exc}") from exc
    lines = raw.split(b"\n")
    torn = lines[-1] != b""
    complete = lines[:-1]
    contents: JournalContents | None = None
    for number, line in enumerate(complete, start=1):
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise JournalError(f"{path}: line {number} is not a journal record ({exc})") from exc
        kind = record.get("kind")
        if kind == RUN_STARTED:
            if record.get("format") != FORMAT:
                raise JournalError(f"{path}: journal format {record.get('format')!r} unknown")
            contents = JournalContents(
                path,
                RunHeader(
                    key=record["key"],
                    store=record["store"],
                    unit_id=record["unit_id"],
                    complaint_id=record["complaint_id"],
                    evidence_dir=record["evidence_dir"],
                    host=record["host"],
                    pid=record["pid"],
                    info=_uninfo(record["info"]),
                    unit_update=_unupdate(record["unit_update"]),
                ),
            )
        elif contents is None:
            raise JournalError(f"{path}: line {number} comes before the run-start record")
        elif kind == STEP:
            contents.steps.append(decode_step(record["step"]))
        elif kind == RUN_FINISHED:
            contents.finished = _unoutcome(record["outcome"])
            contents.finish_update = _unupdate(record["unit_update"])
        else:
            raise JournalError(f"{path}: line {number} has unknown kind {kind!r}")
    if contents is None:
        if not complete:
            raise EmptyJournal(f"{path}: no complete record (the run never began)")
        raise JournalError(f"{path}: no run-start record")
    contents.torn_tail = torn
    return contents
