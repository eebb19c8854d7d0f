"""``packbench replay DIR``: run a recorded session's procedure again, against its transcript.

Nothing is reached: every transport the station opens is a ``ReplayTransport`` over the role's
transcript (the real drivers identify, configure and parse as on the bench), the clock serves the
recorded readings, the fixture moves and operator answers are checked and given back in order.
The first place where the run does something the recording did not (a different command, a read
the instrument never answered, an extra or missing exchange, another question) is *the*
divergence: it is kept even when a driver or the engine catches the error it raises. A run
that diverges nowhere must also come to the recorded outcome (every step's verdict, every
measurement, the conclusions). Nothing is written to the store: a replay is not a run of a pack.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

from bench.config import StationConfig, load_station
from bench.endpoints import Endpoint
from bench.errors import BenchError, InputError
from bench.live import LiveView, TableRow
from bench.runner import (
    MEASURE_ONLY,
    PROCEDURES,
    WITHOUT_INSTRUMENTS,
    ObservedRecorder,
    diagnosis_of,
    diagnosis_options,
)
from bench.safe_start import with_safe_start_record
from bench.session_files import (
    CLOCK,
    FIXTURES,
    PROMPTS,
    SPEC_COPY,
    STATION_COPY,
    Manifest,
    OutcomeEntry,
    read_manifest,
    read_stream,
)
from bench.session_record import outcome_entry
from bench.source_choice import check_opened
from bench.station import Station, open_station
from instruments.errors import InstrumentError, ReplayDivergence
from instruments.factory import TransportOpener
from instruments.transport import Transport
from instruments.transports.replay import ReplayTransport
from instruments.units import Q_, Quantity
from procedures.clock import Clock
from procedures.diagnosis.fixtures import FixtureChanger, FixtureName, OperatorFixtures
from procedures.engine import RunResult, run_procedure
from procedures.errors import AbortRequested
from procedures.prompts import Photo
from procedures.records import RunInfo, RunOutcome, StepRecord
from procedures.specs import load_spec


@dataclass(frozen=True)
class Divergence:
    """Where the replay first left the recording."""

    source: str
    """The instrument role, or ``clock``, ``prompts``, ``fixtures``."""
    file: str
    """The transcript or stream file; exchange N is its line N + 1 (line 1 is the header)."""
    resource: str
    """The instrument's recorded resource (empty for the streams)."""
    exchange: int
    expected: str
    actual: str

    def describe(self) -> str:
        where = f"{self.file} line {self.exchange + 1}" + (
            f", {self.resource}" if self.resource else ""
        )
        head = f"{self.source} exchange {self.exchange} ({where})"
        if self.actual.startswith("read") and self.expected.startswith("send"):
            return (
                f"{head}: a missing reply: the driver read a reply, the recording has "
                f"{self.expected}"
            )
        if self.expected == "the end of the recording" and self.actual.startswith("read"):
            return f"{head}: a missing reply: the driver read a reply, the recording ended"
        return f"{head}: the recording has {self.expected}, the replay did {self.actual}"


class Divergences:
    """The first divergence of the whole replay (threads of the safe state included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first: Divergence | None = None

    def note(self, source: str, file: str, resource: str, error: ReplayDivergence) -> None:
        with self._lock:
            if self.first is None:
                self.first = Divergence(
                    source, file, resource, error.exchange, error.expected, error.actual
                )


class ReplayStream:
    """One recorded stream (clock, prompts, fixtures) served in order, checked call by call."""

    def __init__(self, folder: Path, name: str, file: str, log: Divergences) -> None:
        self.name = name
        self.file = file
        self.entries = read_stream(folder / file, name)
        self.position = 0
        self.log = log
        self._lock = threading.Lock()

    def take(self, call: str, doing: str, matches: Any = lambda entry: True) -> dict[str, Any]:
        """The next entry, which must be ``call`` and satisfy ``matches``; else a divergence."""
        with self._lock:
            if self.position >= len(self.entries):
                self._diverge("the end of the recording", doing, self.position + 1)
            entry = self.entries[self.position]
            self.position += 1
        if entry.get("call") != call or not matches(entry):
            self._diverge(describe_entry(entry), doing, self.position)
        return entry

    def finish(self) -> None:
        if self.position < len(self.entries):
            pending = describe_entry(self.entries[self.position])
            with contextlib.suppress(ReplayDivergence):
                self._diverge(pending, "nothing more (the run ended)", self.position + 1)

    def _diverge(self, expected: str, actual: str, exchange: int) -> NoReturn:
        error = ReplayDivergence(
            f"{self.file}: replay diverged at entry {exchange}: the recording has {expected}, "
            f"the replay did {actual}",
            exchange=exchange,
            expected=expected,
            actual=actual,
        )
        self.log.note(self.name, self.file, "", error)
        raise error


def describe_entry(entry: dict[str, Any]) -> str:
    call = entry.get("call")
    if call == "sleep":
        return f"sleep {entry.get('seconds')!r} s"
    if call in ("now", "monotonic"):
        return f"a {call}() reading"
    if call == "move_to":
        return f"a move to the {entry.get('name')} fixture (cell {entry.get('cell')})"
    if entry.get("abort"):
        return f"{call} {entry.get('id')!r} answered by an abort"
    return f"{call} {entry.get('id')!r}"


class ReplayClock:
    """The recorded clock: readings given back, sleeps checked (a different wait diverges)."""

    def __init__(self, stream: ReplayStream) -> None:
        self.stream = stream

    def now(self) -> float:
        return float(self.stream.take("now", "a now() reading")["value"])

    def monotonic(self) -> float:
        return float(self.stream.take("monotonic", "a monotonic() reading")["value"])

    def sleep(self, seconds: float) -> None:
        wanted = float(seconds)
        self.stream.take(
            "sleep",
            f"sleep {wanted!r} s",
            lambda e: math.isclose(float(e.get("seconds", -1.0)), wanted, rel_tol=1e-9),
        )


class ReplayFixtures:
    """A simulated bench's recorded fixture moves, checked in order."""

    def __init__(self, stream: ReplayStream) -> None:
        self.stream = stream

    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        self.stream.take(
            "move_to",
            f"a move to the {name} fixture (cell {cell_index})",
            lambda e: e.get("name") == name and e.get("cell") == cell_index,
        )


class ReplayPrompts:
    """The operator's recorded answers, each given to the same question (id and kind)."""

    def __init__(self, stream: ReplayStream, folder: Path) -> None:
        self.stream = stream
        self.folder = folder

    def _answer(self, call: str, question_id: str) -> Any:
        entry = self.stream.take(
            call, f"{call} {question_id!r}", lambda e: e.get("id") == question_id
        )
        if entry.get("abort"):
            raise AbortRequested(f"the operator aborted at {question_id!r} (replayed)")
        return entry.get("answer")

    def confirm(self, question_id: str, text: str) -> None:
        self._answer("confirm", question_id)

    def yes_no(self, question_id: str, text: str) -> bool:
        return bool(self._answer("yes_no", question_id))

    def choice(self, question_id: str, text: str, options: Any) -> str:
        return str(self._answer("choice", question_id))

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        answer = self._answer("number", question_id)
        return Q_(float(answer["value"]), answer["unit"])

    def text(self, question_id: str, text: str) -> str:
        return str(self._answer("text", question_id))

    def photo(self, question_id: str, text: str) -> Photo:
        answer = self._answer("photo", question_id)
        path = self.folder / answer["file"]
        return Photo(answer["name"], path.read_bytes(), path)


class ReplayTap:
    """The station tap of a replay: the recorded bench instead of the configured one."""

    def __init__(self, folder: Path, manifest: Manifest, log: Divergences) -> None:
        self.folder = folder
        self.manifest = manifest
        self.log = log
        self.clock_replay = ReplayClock(ReplayStream(folder, "clock", CLOCK, log))
        self.prompts = ReplayPrompts(ReplayStream(folder, "prompts", PROMPTS, log), folder)
        self.fixture_stream = (
            ReplayStream(folder, "fixtures", FIXTURES, log)
            if manifest.fixtures == "control"
            else None
        )
        self.transports: list[ReplayTransport] = []
        self._opened: dict[str, int] = {}

    def bench(self, config: StationConfig) -> tuple[dict[str, Endpoint], Clock, FixtureChanger]:
        endpoints = {
            e.role: Endpoint(e.role, e.model, e.resource, e.timeout_s, dict(e.options))
            for e in self.manifest.instruments
        }
        fixtures: FixtureChanger = (
            OperatorFixtures(self.prompts)
            if self.fixture_stream is None
            else ReplayFixtures(self.fixture_stream)
        )
        return endpoints, self.clock_replay, fixtures

    def opener(self, endpoint: Endpoint) -> TransportOpener:
        entry = next(e for e in self.manifest.instruments if e.role == endpoint.role)
        index = self._opened.get(endpoint.role, 0)
        self._opened[endpoint.role] = index + 1
        if index >= len(entry.transcripts):
            raise InputError(
                f"{self.folder}: instruments.{endpoint.role} is opened {index + 1} times, the "
                f"session recorded {len(entry.transcripts)}"
            )
        path = self.folder / entry.transcripts[index]

        def opened(resource: str, *, timeout: float = 2.0, **options: Any) -> Transport:
            def note(error: ReplayDivergence) -> None:
                self.log.note(endpoint.role, path.name, resource, error)

            try:
                transport = ReplayTransport.from_file(path, on_divergence=note)
            except (OSError, ValueError) as exc:
                raise InputError(f"{path}: cannot be replayed ({exc}); re-record it") from None
            transport.timeout = timeout
            self.transports.append(transport)
            return transport

        return opened

    def clock(self, clock: Clock) -> Clock:
        return clock

    def fixtures(self, fixtures: FixtureChanger) -> FixtureChanger:
        return fixtures

    def finish(self) -> None:
        """Whatever the recording still holds after the run is a divergence too."""
        for transport in self.transports:
            with contextlib.suppress(ReplayDivergence):  # noted by the transport's callback
                transport.assert_finished()
        self.clock_replay.stream.finish()
        self.prompts.stream.finish()
        if self.fixture_stream is not None:
            self.fixture_stream.finish()

    def counts(self) -> str:
        exchanges = sum(t.recorded for t in self.transports)
        return (
            f"{exchanges} exchanges with {len(self._opened)} instrument(s), "
            f"{len(self.clock_replay.stream.entries)} clock calls, "
            f"{len(self.prompts.stream.entries)} operator answers"
        )


class _Discard:
    """A replay records nothing: it is not a run of a pack."""

    def run_started(self, info: RunInfo) -> None:
        pass

    def step_finished(self, step: StepRecord) -> None:
        pass

    def run_finished(self, outcome: RunOutcome) -> None:
        pass


@dataclass
class ReplayReport:
    folder: Path
    manifest: Manifest
    result: RunResult | None = None
    divergence: Divergence | None = None
    differences: list[str] = field(default_factory=list)
    counts: str = ""
    error: str = ""
    """A failure that is no divergence (the replay could not start)."""

    @property
    def matched(self) -> bool:
        return self.divergence is None and not self.differences and not self.error

    def row(self) -> TableRow:
        simulation = self.manifest.simulation or {}
        if self.result is None:
            return TableRow(self.manifest.unit, "not run", "-", "-", "-", None, "")
        d = diagnosis_of(self.result.outcome.conclusions)
        return TableRow(
            self.manifest.unit,
            self.result.verdict.name.lower(),
            d["root_cause"] or "-",
            d["symptom"] or "-",
            d["disposition"] or "-",
            None,
            str(simulation.get("fault") or ""),
        )


def replay_session(folder: Path, view: LiveView | None) -> ReplayReport:
    """Replay the session in ``folder``; the report says whether it matched, and if not where."""
    manifest = read_manifest(folder)
    report = ReplayReport(folder, manifest)
    builder = PROCEDURES.get(manifest.procedure)
    if builder is None:
        raise InputError(f"{folder}: procedure {manifest.procedure!r} is not known here")
    config = load_station(folder / STATION_COPY)
    try:
        spec = load_spec(folder / SPEC_COPY)
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder / SPEC_COPY}: {exc}") from None
    options = replace(diagnosis_options(config), discharge_capacity_check=manifest.capacity_check)
    log = Divergences()
    tap = ReplayTap(folder, manifest, log)
    if view is not None:
        view.unit_started(manifest.unit, f"replay of {folder}")
    station: Station | None = None
    try:
        if manifest.procedure not in WITHOUT_INSTRUMENTS:
            station = open_station(config, prompts=tap.prompts, unit_serial=manifest.unit, tap=tap)
            station.identities()  # as the recording did for its manifest (a Hioki asks *IDN?)
            if manifest.procedure not in MEASURE_ONLY:
                check_opened(station.instruments.source, spec, config)
        built = builder(station.fixtures if station else OperatorFixtures(tap.prompts), options)
        if station is not None and station.found_on:
            built = with_safe_start_record(built, station.found_on)
        report.result = run_procedure(
            built,
            instruments=station.instruments if station else _no_instruments(),
            recorder=ObservedRecorder(_Discard(), view),
            prompts=tap.prompts,
            clock=station.clock if station else tap.clock_replay,
            spec=spec,
            run_info=built.run_info(
                station=manifest.station_id,
                operator=manifest.operator,
                spec=spec.model,
                unit_serial=manifest.unit,
                complaint_number=manifest.complaint,
            ),
            listener=view,
        )
    except (BenchError, InstrumentError) as exc:
        if log.first is None:  # not the recording's doing: the replay itself could not run
            report.error = str(exc)
    finally:
        if station is not None:
            station.close()
    tap.finish()
    report.divergence = log.first
    report.counts = tap.counts()
    if report.divergence is None and report.result is not None and manifest.outcome is not None:
        report.differences = outcome_differences(manifest.outcome, outcome_entry(report.result))
    return report


def _no_instruments() -> Any:
    from procedures.context import BenchInstruments

    return BenchInstruments()


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def outcome_differences(recorded: OutcomeEntry, replayed: OutcomeEntry) -> list[str]:
    """Where the replayed outcome differs from the recorded one (first difference per step)."""
    found: list[str] = []
    steps = {s.name: s for s in replayed.steps}
    for step in recorded.steps:
        other = steps.get(step.name)
        if other is None:
            found.append(f"step {step.name}: recorded, not run in the replay")
            continue
        if other.verdict != step.verdict:
            found.append(f"step {step.name}: recorded {step.verdict}, replayed {other.verdict}")
        mine = [(m.name, m) for m in step.measurements]
        theirs = [(m.name, m) for m in other.measurements]
        for (name, m), (_, o) in zip(mine, theirs, strict=False):
            if o.name != name or not _same(m.value, o.value) or m.text_value != o.text_value:
                shown = m.text_value if m.value is None else f"{m.value!r} {m.unit}"
                again = o.text_value if o.value is None else f"{o.value!r} {o.unit}"
                found.append(
                    f"step {step.name}: measurement {name}: recorded {shown}, replayed "
                    f"{o.name} {again}"
                    if o.name != name
                    else f"step {step.name}: measurement {name}: recorded {shown}, replayed {again}"
                )
                break
        if len(mine) != len(theirs):
            found.append(
                f"step {step.name}: {len(mine)} measurements recorded, {len(theirs)} replayed"
            )
    for name in steps.keys() - {s.name for s in recorded.steps}:
        found.append(f"step {name}: run in the replay, not in the recording")
    if recorded.verdict != replayed.verdict:
        found.append(f"run verdict: recorded {recorded.verdict}, replayed {replayed.verdict}")
    if recorded.conclusions != replayed.conclusions:
        found.append("conclusions differ from the recorded ones")
    return found
