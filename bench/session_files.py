"""The folder of one recorded bench session: what is in it and how its files are read and written.

``packbench run ... --record DIR`` writes it (``bench.session_record``), ``packbench replay DIR``
runs the procedure against it (``bench.session_replay``) and ``python -m simulators conformance
DIR`` sends its commands to the emulators (``simulators.conformance``, which reads the same files
with its own few lines of JSON: a simulator shares no code with the bench). Layout::

    manifest.json        versions, procedure, spec, station, simulation, instruments, outcome
    station.toml         a copy of the station file the run used
    spec.toml            a copy of the pack spec file
    <role>.jsonl         every exchange of that instrument (``instruments.transports.recording``)
    clock.jsonl          every reading of the procedure's clock and every sleep
    prompts.jsonl        every question put to the operator and the answer given
    fixtures.jsonl       fixture moves of a simulated bench (a real one asks the operator)
    photos/              pictures the operator gave as answers

The stream files are JSON lines: a header ``{"stream": "clock", "format": 1}``, then one object
per call with ``t``, seconds since the session started (the instruments' ``t`` counts from the
same origin).
"""

from __future__ import annotations

import json
import platform
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bench.errors import InputError

SESSION_FORMAT = 1
MANIFEST = "manifest.json"
STATION_COPY = "station.toml"
SPEC_COPY = "spec.toml"
CLOCK = "clock.jsonl"
PROMPTS = "prompts.jsonl"
FIXTURES = "fixtures.jsonl"
PHOTOS = "photos"
_VERSIONED = ("packbench", "pyvisa", "pyvisa-py", "pyserial", "numpy", "pint")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstrumentEntry(_Strict):
    role: str
    model: str
    """The model that answered (``*IDN?`` or the binary identify frame)."""
    resource: str
    identity: str = ""
    transcripts: list[str]
    """One file per time the role was opened, in order."""
    timeout_s: float = 2.0
    options: dict[str, Any] = {}


class MeasurementEntry(_Strict):
    name: str
    value: float | None
    text_value: str | None = None
    unit: str
    verdict: str


class StepEntry(_Strict):
    name: str
    verdict: str
    measurements: list[MeasurementEntry] = []


class OutcomeEntry(_Strict):
    verdict: str
    message: str = ""
    steps: list[StepEntry] = []
    conclusions: list[dict[str, Any]] = []


class Manifest(_Strict):
    """``manifest.json``: written when the instruments are open, completed when the run ends."""

    format: int = SESSION_FORMAT
    recorded: str
    finished: str | None = None
    versions: dict[str, str]
    procedure: str
    complaint: str
    unit: str
    operator: str
    station_id: str
    simulated: bool
    simulation: dict[str, Any] | None = None
    """fault, seed and source model of a simulated bench (``None`` on hardware)."""
    spec_model: str
    capacity_check: bool = False
    fixtures: str = "operator"
    """``operator`` (a person moves the unit: prompts) or ``control`` (the simulator does)."""
    instruments: list[InstrumentEntry] = []
    outcome: OutcomeEntry | None = None


def versions() -> dict[str, str]:
    """Python and the packages whose behaviour a transcript depends on."""
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace ``manifest.json`` whole (a crash leaves the previous complete version)."""
    temporary = folder / (MANIFEST + ".tmp")
    temporary.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    temporary.replace(folder / MANIFEST)


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"{folder}: no readable {MANIFEST} ({exc.strerror}); give the folder "
            "`packbench run ... --record DIR` wrote"
        ) from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc}); re-record the session") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {where}: {first['msg']}; re-record the session") from None
    if manifest.format != SESSION_FORMAT:
        raise InputError(
            f"{path}: session format {manifest.format}, this packbench reads {SESSION_FORMAT}"
        )
    return manifest


def session_folders(folder: Path) -> list[Path]:
    """``folder`` if it is one session, else its sub-folders that are (one per unit)."""
    if (folder / MANIFEST).is_file():
        return [folder]
    found = (
        sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()) if folder.is_dir() else []
    )
    if not found:
        raise InputError(
            f"{folder}: no {MANIFEST} here or in its sub-folders; give the folder "
            "`packbench run ... --record DIR` wrote"
        )
    return found


class StreamWriter:
    """One JSON-lines stream of the session, flushed line by line (a crash keeps what ran)."""

    def __init__(self, path: Path, name: str, start: float) -> None:
        self._file: IO[str] = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._start = start
        self._lock = threading.Lock()
        self.count = 0
        self._file.write(json.dumps({"stream": name, "format": SESSION_FORMAT}) + "\n")

    def write(self, entry: dict[str, Any]) -> None:
        line = {"t": round(time.monotonic() - self._start, 6), **entry}
        with self._lock:
            if not self._file.closed:
                self._file.write(json.dumps(line) + "\n")
                self.count += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_stream(path: Path, name: str) -> list[dict[str, Any]]:
    """The entries of a stream file (header checked); a missing file is an empty stream."""
    if not path.is_file():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    try:
        entries = [json.loads(line) for line in lines]
    except ValueError as exc:
        raise InputError(f"{path}: a line is not JSON ({exc}); re-record the session") from None
    header = entries[0] if entries else {}
    if header.get("stream") != name or header.get("format") != SESSION_FORMAT:
        raise InputError(
            f"{path}: header {header!r} is not a format-{SESSION_FORMAT} {name} stream"
        )
    return entries[1:]
