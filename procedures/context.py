"""What a step sees: the bench's instruments by role, the run so far, and the means to record.

Split from the run loop so a procedure author reads one short module to learn the whole API a
step may use. Everything here is synchronous and cheap: ``measure`` validates against the
declared limits (a few microseconds) and keeps the record for the step's ``StepRecord``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar, overload

import numpy as np
import numpy.typing as npt
import pint

from instruments.roles import (
    DCSource,
    ElectronicLoad,
    Instrument,
    Multimeter,
    ResistanceMeter,
    TemperatureChamber,
    Thermometer,
)
from instruments.units import Quantity
from procedures.errors import AbortRun, MissingInstrument, ProcedureError
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.records import (
    Conclusion,
    MeasurementRecord,
    StepRecord,
    TraceRecord,
    Verdict,
)

if TYPE_CHECKING:
    from procedures.clock import Clock
    from procedures.prompts import Prompts
    from procedures.specs import PackSpec

_I = TypeVar("_I", bound=Instrument)


class BenchInstruments:
    """The station's instruments by role; a station may lack some roles.

    Steps use the properties, which raise ``MissingInstrument`` (an *error* verdict) naming the
    role, so a procedure never checks for ``None`` itself; ``has(role)`` is for optional use.
    """

    __slots__ = (
        "_chamber",
        "_load",
        "_multimeter",
        "_resistance_meter",
        "_source",
        "_thermometer",
    )

    def __init__(
        self,
        *,
        multimeter: Multimeter | None = None,
        source: DCSource | None = None,
        load: ElectronicLoad | None = None,
        resistance_meter: ResistanceMeter | None = None,
        thermometer: Thermometer | None = None,
        chamber: TemperatureChamber | None = None,
    ) -> None:
        self._multimeter = multimeter
        self._source = source
        self._load = load
        self._resistance_meter = resistance_meter
        self._thermometer = thermometer
        self._chamber = chamber

    def has(self, role: str) -> bool:
        return dict(self.present()).get(role) is not None

    @staticmethod
    def _need(instrument: _I | None, role: str) -> _I:
        if instrument is None:
            raise MissingInstrument(
                f"this step needs a {role}, but the station has none; add one to the station "
                "configuration or choose a procedure that does without"
            )
        return instrument

    @property
    def multimeter(self) -> Multimeter:
        return self._need(self._multimeter, "multimeter")

    @property
    def source(self) -> DCSource:
        return self._need(self._source, "DC source")

    @property
    def load(self) -> ElectronicLoad:
        return self._need(self._load, "electronic load")

    @property
    def resistance_meter(self) -> ResistanceMeter:
        return self._need(self._resistance_meter, "resistance meter")

    @property
    def thermometer(self) -> Thermometer:
        """The pack's temperature channel (optional: check ``has("thermometer")`` first)."""
        return self._need(self._thermometer, "temperature channel")

    @property
    def chamber(self) -> TemperatureChamber:
        """The temperature chamber around the cell fixture (optional: ``has("chamber")``)."""
        return self._need(self._chamber, "temperature chamber")

    @contextmanager
    def timed_by(self, clock: Clock) -> Iterator[None]:
        """Within: every instrument's own waits run on ``clock`` (``instruments.timebase``); on
        leaving, each gets back the clock it had. A run on a simulated bench's virtual time
        then spends no wall time on, e.g., the resistance tester's settling, and the bench's
        time moves by it as a real bench's would."""
        before = [(instrument, instrument.timebase) for _role, instrument in self.present()]
        for instrument, _timebase in before:
            instrument.use_timebase(clock)
        try:
            yield
        finally:
            for instrument, timebase in before:
                instrument.use_timebase(timebase)

    def present(self) -> list[tuple[str, Instrument]]:
        """(role, instrument) of every instrument the station has, in safe-state order.

        Sources and loads first: they are the ones that push energy into or out of the pack.
        """
        roles: list[tuple[str, Instrument | None]] = [
            ("source", self._source),
            ("load", self._load),
            ("multimeter", self._multimeter),
            ("resistance_meter", self._resistance_meter),
            ("thermometer", self._thermometer),
            ("chamber", self._chamber),
        ]
        return [(role, inst) for role, inst in roles if inst is not None]


class ProgressListener(Protocol):
    """Who watches a run live (the bench's terminal view, a web page); never the recorder.

    Progress is display only: it is not evidence, so it is not recorded, and a listener must be
    cheap and must not raise.
    """

    def step_started(self, step: str) -> None: ...

    def progress(self, step: str, fraction: float | None, values: Mapping[str, object]) -> None:
        """``fraction`` of the step done (0..1, ``None``: unknown) and live values to show."""
        ...


@dataclass
class RunState:
    """Everything the run accumulated so far; shared by the steps' contexts and the engine."""

    procedure: str
    instruments: BenchInstruments
    prompts: Prompts
    clock: Clock
    spec: PackSpec | None
    log: logging.Logger
    abort_event: threading.Event | None = None
    steps: list[StepRecord] = field(default_factory=list)
    latest: dict[str, tuple[str, MeasurementRecord]] = field(default_factory=dict)
    conclusions: list[Conclusion] = field(default_factory=list)
    identities: dict[int, str] = field(default_factory=dict)
    listener: ProgressListener | None = None
    stopped: str | None = None
    """Set when a step raised ``PackLimitExceeded``: its summary (the run ends there as a fail)."""


class RunView:
    """Read-only view of the run so far: what conditional steps and the rules look at."""

    __slots__ = ("_run",)

    def __init__(self, run: RunState) -> None:
        self._run = run

    @property
    def spec(self) -> PackSpec:
        if self._run.spec is None:
            raise ProcedureError(
                f"procedure {self._run.procedure!r} needs a pack spec; pass spec= to run_procedure"
            )
        return self._run.spec

    @property
    def steps(self) -> Sequence[StepRecord]:
        """Finished steps, in order."""
        return self._run.steps

    def step(self, name: str) -> StepRecord | None:
        for record in reversed(self._run.steps):
            if record.name == name:
                return record
        return None

    def has(self, measurement: str) -> bool:
        return measurement in self._run.latest

    def measurement(self, name: str) -> MeasurementRecord:
        """The latest record of measurement ``name`` taken so far in this run."""
        try:
            return self._run.latest[name][1]
        except KeyError:
            raise KeyError(
                f"no measurement {name!r} recorded yet; taken so far: {sorted(self._run.latest)}"
            ) from None

    def latest(self) -> list[tuple[str, MeasurementRecord]]:
        """(step name, record) of the latest record of every measurement taken so far."""
        return list(self._run.latest.values())

    def value(self, name: str) -> float:
        """Numeric value (in its recorded unit) of the latest measurement ``name``."""
        record = self.measurement(name)
        if record.value is None:
            raise ProcedureError(f"measurement {name!r} is categorical: {record.text_value!r}")
        return record.value

    def ref(self, name: str) -> str:
        """``"<step>/<measurement>"`` of the latest ``name``, for ``Conclusion.evidence``."""
        if name not in self._run.latest:
            self.measurement(name)  # raises with the list of known names
        step, record = self._run.latest[name]
        return f"{step}/{record.name}"

    @property
    def conclusions(self) -> Sequence[Conclusion]:
        return self._run.conclusions


class StepContext(RunView):
    """Handed to every step. Records go into this step's record; the run sees them afterwards."""

    __slots__ = (
        "_names",
        "attachments",
        "measurements",
        "missing",
        "name",
        "skipped",
        "traces",
    )

    def __init__(self, run: RunState, name: str) -> None:
        super().__init__(run)
        self.name = name
        self.measurements: list[MeasurementRecord] = []
        self.traces: list[TraceRecord] = []
        self.attachments: list[tuple[str, bytes]] = []
        self.skipped: str | None = None
        self.missing: list[tuple[str, str]] = []
        """(measurement, reason) of required tests this step could not perform."""
        self._names: set[str] = set()

    @property
    def instruments(self) -> BenchInstruments:
        return self._run.instruments

    @property
    def prompt(self) -> Prompts:
        return self._run.prompts

    @property
    def clock(self) -> Clock:
        return self._run.clock

    @property
    def log(self) -> logging.Logger:
        return self._run.log

    def _identity(self, instrument: Instrument | str | None) -> str | None:
        if instrument is None or isinstance(instrument, str):
            return instrument
        key = id(instrument)
        known = self._run.identities.get(key)
        if known is None:
            known = self._run.identities[key] = str(instrument.identity)
        return known

    @overload
    def measure(
        self,
        measurement: Measurement,
        value: Quantity,
        *,
        instrument: Instrument | str | None = None,
        abort_on_fail: bool = False,
    ) -> MeasurementRecord: ...

    @overload
    def measure(
        self,
        measurement: CategoricalMeasurement,
        value: str,
        *,
        instrument: Instrument | str | None = None,
        abort_on_fail: bool = False,
    ) -> MeasurementRecord: ...

    def measure(
        self,
        measurement: Measurement | CategoricalMeasurement,
        value: Any,
        *,
        instrument: Instrument | str | None = None,
        abort_on_fail: bool = False,
    ) -> MeasurementRecord:
        """Validate ``value`` against ``measurement`` and record it with the instrument's identity.

        ``abort_on_fail``: a fail is a safety limit, so the run stops (aborted) right here.
        """
        event = self._run.abort_event
        if event is not None and event.is_set():
            raise AbortRun("abort requested")
        name = measurement.name
        if name in self._names:
            raise ProcedureError(
                f"measurement {name!r} recorded twice in step {self.name!r}; give each reading "
                f"its own name (e.g. {name}_2) or record a trace"
            )
        record = measurement.validate(
            value, instrument=self._identity(instrument), timestamp=datetime.now(UTC)
        )
        self._names.add(name)
        self.measurements.append(record)
        self._run.latest[name] = (self.name, record)
        if abort_on_fail and record.verdict is Verdict.FAIL:
            raise AbortRun(f"abort limit breached: {name} {record.comparison}")
        return record

    def record_trace(
        self,
        name: str,
        time_s: npt.ArrayLike,
        channels: Mapping[str, Quantity | tuple[npt.ArrayLike, str]],
    ) -> TraceRecord:
        """Keep a time series (e.g. the recharge curve) as arrays, one unit per channel."""
        t = np.asarray(time_s, dtype=np.float64)
        converted: dict[str, tuple[npt.NDArray[np.float64], str]] = {}
        for channel, data in channels.items():
            if isinstance(data, pint.Quantity):
                array = np.asarray(data.magnitude, dtype=np.float64)
                unit = format(data.units, "~")
            else:
                array, unit = np.asarray(data[0], dtype=np.float64), data[1]
            if array.shape != t.shape:
                raise ProcedureError(
                    f"trace {name!r}: channel {channel!r} has shape {array.shape}, but the time "
                    f"axis has {t.shape}; record one value per time point"
                )
            converted[channel] = (array, unit)
        trace = TraceRecord(name, t, converted, datetime.now(UTC))
        self.traces.append(trace)
        return trace

    def progress(self, fraction: float | None = None, **values: object) -> None:
        """Tell the live view how far this step is (e.g. the recharge: elapsed, voltage, mode)."""
        listener = self._run.listener
        if listener is not None:
            listener.progress(self.name, fraction, values)

    def attach(self, name: str, data: bytes) -> None:
        """Keep an evidence file (photo, instrument log) with this step."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ProcedureError(f"attachment {name!r} must be bytes, got {type(data).__name__}")
        self.attachments.append((name, bytes(data)))

    def conclude(
        self, kind: str, value: str, explanation: str, evidence: Iterable[str] = ()
    ) -> Conclusion:
        """State part of the diagnosis; ``evidence`` holds ``ref(...)`` strings."""
        conclusion = Conclusion(kind, value, explanation, tuple(evidence))
        self._run.conclusions.append(conclusion)
        return conclusion

    def missing_evidence(self, name: str, reason: str) -> None:
        """Declare that required test ``name`` was not performed, and why.

        The step then ends ``INCOMPLETE`` (unless something in it failed, which says more), and
        its message names the missing evidence. Use ``record_not_measured(required=True)`` in
        the diagnosis, which also records the skipped measurement.
        """
        self.missing.append((name, reason))

    def skip(self, reason: str) -> NoReturn:
        """End this step now as *skipped* (it then counts for nothing in the verdict)."""
        raise StepSkipped(reason)


class StepSkipped(Exception):
    """Control flow of ``StepContext.skip``; the engine catches it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
