"""``packbench run ... --record DIR``: keep everything a run said to and heard from the bench.

A ``SessionRecorder`` is a station tap (``bench.station.StationTap``): every transport the
station opens is wrapped in ``RecordingTransport`` (one file per role), the procedure's clock, the
simulator's fixture moves and the operator's answers each go to their own stream, and the
manifest names the versions, procedure, spec, station, simulation seed and, at the end, the
outcome a replay must reproduce. The same code path runs on a real and on a simulated station:
only the transports underneath differ. Layout: ``bench.session_files``.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.config import StationConfig
from bench.endpoints import Endpoint
from bench.errors import InputError
from bench.session_files import (
    CLOCK,
    FIXTURES,
    PHOTOS,
    PROMPTS,
    SPEC_COPY,
    STATION_COPY,
    InstrumentEntry,
    Manifest,
    MeasurementEntry,
    OutcomeEntry,
    StepEntry,
    StreamWriter,
    versions,
    write_manifest,
)
from instruments.factory import TransportOpener, open_transport
from instruments.roles import Instrument
from instruments.transport import Transport
from instruments.transports.recording import RecordingTransport
from instruments.units import Quantity
from procedures.clock import Clock
from procedures.diagnosis.fixtures import FixtureChanger, FixtureName, OperatorFixtures
from procedures.engine import RunResult
from procedures.errors import AbortRequested
from procedures.prompts import Photo, Prompts


def check_record_folder(folder: Path) -> None:
    """Refuse, before anything runs, a folder that already holds something (never overwrite an
    earlier session: it may be the only record of a real instrument's behaviour)."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(
            f"--record {folder}: exists and is not an empty folder; give a new folder "
            "(an earlier session is never overwritten)"
        )


class RecordingClock:
    """The procedure's clock, each reading and each sleep written to ``clock.jsonl``."""

    def __init__(self, inner: Clock, stream: StreamWriter) -> None:
        self.inner = inner
        self.stream = stream

    def now(self) -> float:
        value = self.inner.now()
        self.stream.write({"call": "now", "value": value})
        return value

    def monotonic(self) -> float:
        value = self.inner.monotonic()
        self.stream.write({"call": "monotonic", "value": value})
        return value

    def sleep(self, seconds: float) -> None:
        self.stream.write({"call": "sleep", "seconds": float(seconds)})
        self.inner.sleep(seconds)


class RecordingFixtures:
    """A simulated bench's fixture moves (a real bench's are operator prompts, recorded there)."""

    def __init__(self, inner: FixtureChanger, stream: StreamWriter) -> None:
        self.inner = inner
        self.stream = stream

    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        self.stream.write({"call": "move_to", "name": name, "cell": cell_index})
        self.inner.move_to(name, cell_index)


class RecordingPrompts:
    """Each question and the operator's answer (or abort), so a replay answers it the same way."""

    def __init__(self, inner: Prompts, stream: StreamWriter, photos: Path) -> None:
        self.inner = inner
        self.stream = stream
        self.photos = photos

    def _ask(self, call: str, question_id: str, ask: Any, encode: Any = lambda a: a) -> Any:
        try:
            answer = ask()
        except AbortRequested:
            self.stream.write({"call": call, "id": question_id, "abort": True})
            raise
        self.stream.write({"call": call, "id": question_id, "answer": encode(answer)})
        return answer

    def confirm(self, question_id: str, text: str) -> None:
        self._ask("confirm", question_id, lambda: self.inner.confirm(question_id, text))

    def yes_no(self, question_id: str, text: str) -> bool:
        answer: bool = self._ask(
            "yes_no", question_id, lambda: self.inner.yes_no(question_id, text)
        )
        return answer

    def choice(self, question_id: str, text: str, options: Sequence[str]) -> str:
        answer: str = self._ask(
            "choice", question_id, lambda: self.inner.choice(question_id, text, options)
        )
        return answer

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        def encode(q: Quantity) -> dict[str, Any]:
            return {"value": float(q.magnitude), "unit": str(q.units)}

        answer: Quantity = self._ask(
            "number", question_id, lambda: self.inner.number(question_id, text, unit), encode
        )
        return answer

    def text(self, question_id: str, text: str) -> str:
        answer: str = self._ask("text", question_id, lambda: self.inner.text(question_id, text))
        return answer

    def photo(self, question_id: str, text: str) -> Photo:
        def keep(photo: Photo) -> dict[str, str]:
            self.photos.mkdir(exist_ok=True)
            stored = self.photos / f"{self.stream.count + 1:03d}-{Path(photo.name).name}"
            stored.write_bytes(photo.data)
            return {"name": photo.name, "file": f"{PHOTOS}/{stored.name}"}

        answer: Photo = self._ask(
            "photo", question_id, lambda: self.inner.photo(question_id, text), keep
        )
        return answer


class SessionRecorder:
    """The station tap that records one unit's run into ``folder`` (created if missing)."""

    def __init__(self, folder: Path) -> None:
        check_record_folder(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.start = time.monotonic()
        self.recorded = datetime.now(UTC).isoformat(timespec="seconds")
        self.clock_stream = StreamWriter(folder / CLOCK, "clock", self.start)
        self.prompt_stream = StreamWriter(folder / PROMPTS, "prompts", self.start)
        self.fixture_stream: StreamWriter | None = None
        self.opened: dict[str, list[tuple[str, Endpoint]]] = {}
        """Role -> (transcript file, endpoint) of every transport opened for it."""
        self.manifest: Manifest | None = None

    # -- StationTap ---------------------------------------------------------------------------
    def bench(self, config: StationConfig) -> None:
        return None  # the station's own instruments, simulated or real, are what is recorded

    def opener(self, endpoint: Endpoint) -> TransportOpener:
        files = self.opened.setdefault(endpoint.role, [])
        suffix = "" if not files else f"-{len(files) + 1}"
        name = f"{endpoint.role}{suffix}.jsonl"
        files.append((name, endpoint))

        def opened(resource: str, *, timeout: float = 2.0, **options: Any) -> Transport:
            inner = open_transport(resource, timeout=timeout, **options)
            return RecordingTransport(inner, self.folder / name, start=self.start)

        return opened

    def clock(self, clock: Clock) -> Clock:
        return RecordingClock(clock, self.clock_stream)

    def fixtures(self, fixtures: FixtureChanger) -> FixtureChanger:
        if isinstance(fixtures, OperatorFixtures):
            return fixtures  # a person moves the unit: the prompts stream has each move
        self.fixture_stream = StreamWriter(self.folder / FIXTURES, "fixtures", self.start)
        return RecordingFixtures(fixtures, self.fixture_stream)

    def prompts(self, prompts: Prompts) -> Prompts:
        return RecordingPrompts(prompts, self.prompt_stream, self.folder / PHOTOS)

    # -- the run ------------------------------------------------------------------------------
    def started(
        self,
        config: StationConfig,
        *,
        procedure: str,
        complaint: str,
        unit: str,
        spec_model: str,
        spec_file: Path,
        fault: str,
        source_model: str | None,
        capacity_check: bool,
        opened: dict[str, Instrument],
    ) -> None:
        """Copy the station and spec files and write the manifest (instruments identified).

        Reading ``identity`` may query a driver that identifies lazily (the Hioki asks ``*IDN?``
        again): the replay reads the identities at the same point, so the exchanges line up.
        """
        if Path(config.source).is_file():  # a station built in a test has no file to copy
            shutil.copyfile(config.source, self.folder / STATION_COPY)
        shutil.copyfile(spec_file, self.folder / SPEC_COPY)
        simulation = None
        if config.simulation is not None:
            simulation = {
                "fault": fault,
                "seed": config.simulation.seed,
                "source_model": source_model,
                "attached": config.simulation.control,
            }
        self.manifest = Manifest(
            recorded=self.recorded,
            versions=versions(),
            procedure=procedure,
            complaint=complaint,
            unit=unit,
            operator=config.operator,
            station_id=config.station_id,
            simulated=config.simulation is not None,
            simulation=simulation,
            spec_model=spec_model,
            capacity_check=capacity_check,
            fixtures="control" if self.fixture_stream is not None else "operator",
            instruments=[
                InstrumentEntry(
                    role=role,
                    model=opened[role].identity.model if role in opened else str(e.model),
                    resource=e.resource,
                    identity=str(opened[role].identity) if role in opened else "",
                    transcripts=[name for name, _ in files],
                    timeout_s=e.timeout_s,
                    options={k: v for k, v in e.options.items() if _plain(v)},
                )
                for role, files in self.opened.items()
                for e in [files[0][1]]
            ],
        )
        write_manifest(self.folder, self.manifest)

    def finished(self, result: RunResult | None) -> None:
        """Close the streams and complete the manifest with the outcome a replay must match."""
        self.clock_stream.close()
        self.prompt_stream.close()
        if self.fixture_stream is not None:
            self.fixture_stream.close()
        if self.manifest is None:
            return
        self.manifest.finished = datetime.now(UTC).isoformat(timespec="seconds")
        if result is not None:
            self.manifest.outcome = outcome_entry(result)
        write_manifest(self.folder, self.manifest)


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def outcome_entry(result: RunResult) -> OutcomeEntry:
    """What a run came to, in the manifest's terms (and in a replay's, to compare)."""
    return OutcomeEntry(
        verdict=result.verdict.name.lower(),
        message=result.outcome.message,
        steps=[
            StepEntry(
                name=step.name,
                verdict=step.verdict.name.lower(),
                measurements=[
                    MeasurementEntry(
                        name=m.name,
                        value=m.value if m.value is None or math.isfinite(m.value) else None,
                        text_value=m.text_value,
                        unit=m.unit,
                        verdict=m.verdict.name.lower(),
                    )
                    for m in step.measurements
                ],
            )
            for step in result.steps
        ],
        conclusions=[
            {"kind": c.kind, "value": c.value, "evidence": list(c.evidence)}
            for c in result.outcome.conclusions
        ],
    )
