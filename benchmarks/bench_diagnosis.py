"""Wall time of the full diagnosis of one simulated pack over TCP, simulated recharge included.

DESIGN §8: under 2 s. The healthy pack runs every step (intake to bare-board sweeps) and a
1.5 h CC-CV recharge plus a 25 h rest in virtual time; the bench start-up and instrument
opening are outside the timed part, as they are once per station, not per pack.
"""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack

from benchmarks.report import Result
from instruments.factory import open_instrument
from instruments.roles import (
    DCSource,
    ElectronicLoad,
    Multimeter,
    ResistanceMeter,
    Thermometer,
)
from procedures.clock import SimulatedClock
from procedures.context import BenchInstruments
from procedures.diagnosis.fixtures import ControlFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.specs import SPEC_DIR, load_spec
from simulators.launcher import start_bench

ANSWERS: dict[str, object] = {
    "usage_device": "scanner",
    "usage_charger": "original",
    "usage_temperature": "normal",
    "usage_time_in_use": "1_to_12_months",
    "usage_location": "indoor",
    "known_good_pack_works": "yes",
    "pack_swelling": "none",
    "disassembly_confirm": True,
    "cell_swelling": "none",
}
REPEATS = 3


def _one_run(fault: str) -> tuple[float, str]:
    spec = load_spec(SPEC_DIR / "PB-1S2P-18650-5200.toml")
    with ExitStack() as stack:
        sim = stack.enter_context(start_bench(fault=fault, spec=spec.source, seed=1))
        opened = {}
        for role in ("dmm", "source", "load", "rmeter", "temperature"):
            instrument = open_instrument(sim.instruments[role].resource, role=role)
            stack.callback(instrument.close)
            opened[role] = instrument
        assert isinstance(opened["dmm"], Multimeter)
        assert isinstance(opened["source"], DCSource)
        assert isinstance(opened["load"], ElectronicLoad)
        assert isinstance(opened["rmeter"], ResistanceMeter)
        assert isinstance(opened["temperature"], Thermometer)
        bench = BenchInstruments(
            multimeter=opened["dmm"],
            source=opened["source"],
            load=opened["load"],
            resistance_meter=opened["rmeter"],
            thermometer=opened["temperature"],
        )
        clock = SimulatedClock(sim.control_address)
        stack.callback(clock.close)
        procedure = build_diagnosis(ControlFixtures(clock))
        started = time.perf_counter()
        result = run_procedure(
            procedure,
            instruments=bench,
            recorder=MemoryRecorder(),
            prompts=ScriptedPrompts(ANSWERS),
            clock=clock,
            spec=spec,
            run_info=procedure.run_info(
                station="bench", operator="bench", spec=spec.model, unit_serial="B-1"
            ),
            handle_signals=False,
        )
        elapsed = time.perf_counter() - started
    roots = [c.value for c in result.outcome.conclusions if c.kind == "root_cause"]
    return elapsed, roots[0] if roots else result.outcome.message


def run() -> list[Result]:
    times = []
    for _ in range(REPEATS):
        elapsed, root = _one_run("healthy")
        if root != "customer_misjudgement":
            raise RuntimeError(f"benchmark run did not diagnose the healthy pack: {root}")
        times.append(elapsed)
    uv, _ = _one_run("deep_discharge_uv")
    return [
        Result(
            "full diagnosis, healthy pack, TCP (median of 3)", statistics.median(times), "s", 2.0
        ),
        Result("full diagnosis, deep-discharged pack (wake + recharge)", uv, "s", 2.0),
    ]


if __name__ == "__main__":
    for item in run():
        print(item.line())
