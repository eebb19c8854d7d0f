"""Procedure-engine overhead, in memory (no instruments, no database).

(a) Per recorded measurement: ``StepContext.measure`` with a reading in mV against limits in V
    (conversion, limit check, marginal band, comparison text, timestamp, instrument identity,
    record appended to the step) inside one step, ``N_MEASUREMENTS`` distinct measurements.
(b) Per step: a procedure of ``N_STEPS`` steps that each record one measurement, run through
    ``run_procedure`` into ``MemoryRecorder`` (step record, verdict roll-up, recorder call),
    minus nothing: the measurement's own cost is included, so this is an upper bound.
(c) For scale, the bare ``Measurement.validate`` call, which is what (a) spends most time in.
Each figure is the best of ``REPEATS`` runs (the least disturbed by the machine's other load).
"""

from __future__ import annotations

import time

from benchmarks.report import Result
from instruments.roles import Identity
from instruments.units import Q_
from procedures.clock import RealClock
from procedures.context import BenchInstruments, StepContext
from procedures.engine import Procedure, Step, run_procedure
from procedures.measurements import Measurement
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts

N_MEASUREMENTS = 20_000
N_STEPS = 5_000
REPEATS = 5


class _Meter:
    """Stands in for an instrument: only its identity is read by ``measure``."""

    identity = Identity("Keysight Technologies", "34461A", "MY0", "A.03")


def _measurements(n: int) -> list[Measurement]:
    return [
        Measurement(
            f"v{i}",
            "V",
            low=Q_(3.0, "V"),
            high=Q_(4.25, "V"),
            marginal_low=Q_(3.3, "V"),
            marginal_high=Q_(4.2, "V"),
        )
        for i in range(n)
    ]


def _run(procedure: Procedure) -> MemoryRecorder:
    recorder = MemoryRecorder()
    run_procedure(
        procedure,
        instruments=BenchInstruments(),
        recorder=recorder,
        prompts=ScriptedPrompts({}),
        clock=RealClock(),
        spec=None,
        run_info=procedure.run_info(station="bench", operator="bench", spec="-", unit_serial="-"),
        handle_signals=False,
    )
    return recorder


def _per_measurement_us() -> float:
    measurements = _measurements(N_MEASUREMENTS)
    reading = Q_(3712.5, "mV")
    meter = _Meter()
    elapsed: list[float] = []

    def many(ctx: StepContext) -> None:
        measure = ctx.measure
        start = time.perf_counter()
        for m in measurements:
            measure(m, reading, instrument=meter)  # type: ignore[arg-type]
        elapsed.append(time.perf_counter() - start)

    procedure = Procedure("bench-measure", "1", [many])
    for _ in range(REPEATS):
        recorder = _run(procedure)
        assert len(recorder.steps[0].measurements) == N_MEASUREMENTS
    return min(elapsed) / N_MEASUREMENTS * 1e6


def _per_step_us() -> float:
    measurement = _measurements(1)[0]
    reading = Q_(3.7, "V")

    def one(ctx: StepContext) -> None:
        ctx.measure(measurement, reading, instrument="DMM")

    procedure = Procedure("bench-steps", "1", [Step(f"s{i}", one) for i in range(N_STEPS)])
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        recorder = _run(procedure)
        best = min(best, time.perf_counter() - start)
        assert len(recorder.steps) == N_STEPS
    return best / N_STEPS * 1e6


def _validate_us() -> float:
    measurement = _measurements(1)[0]
    reading = Q_(3712.5, "mV")
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(N_MEASUREMENTS):
            measurement.validate(reading)
        best = min(best, time.perf_counter() - start)
    return best / N_MEASUREMENTS * 1e6


def run() -> list[Result]:
    return [
        Result(
            "engine: per recorded measurement (mV vs V limits)", _per_measurement_us(), "us", 10.0
        ),
        Result("engine: per step (1 measurement, recorder call)", _per_step_us(), "us", 100),
        Result("engine: Measurement.validate alone", _validate_us(), "us"),
    ]
