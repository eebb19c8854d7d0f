"""Speed of the simulated pack: a 2 h 0.5C recharge in 1 s steps, in-process.

The over-the-wire diagnosis budget (DESIGN §8: a full simulated diagnosis under 2 s) leaves
the physics a fraction of a second for the recharge, so this is measured on its own. Best of
three runs: the machine is shared and the minimum is the least disturbed measurement.
"""

from __future__ import annotations

import dataclasses
import time

from benchmarks.report import Result
from simulators.fixtures import SimulatedBench
from simulators.physics.parameters import DEFAULT_PACK, CellDynamics

_STEPS = 2 * 3600


def _recharge(dynamics: CellDynamics = "fixed") -> float:
    bench = SimulatedBench(dataclasses.replace(DEFAULT_PACK, cell_dynamics=dynamics))
    bench.set_cell_state(0, voltage=3.0)
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = 4.2, 2.6, True
    start = time.perf_counter()
    for _ in range(_STEPS):
        bench.advance(1.0)
    elapsed = time.perf_counter() - start
    if bench.source_output(1).mode != "CV":  # the run must really have charged the pack
        raise RuntimeError("recharge benchmark did not reach CV: the physics changed")
    return elapsed


def run() -> list[Result]:
    best = min(_recharge() for _ in range(3))
    fitted = min(_recharge("fitted") for _ in range(3))
    return [
        Result("physics: 2 h 0.5C recharge in 1 s steps", best, "s", 0.2),
        Result("physics: the same with the DFN-fitted cell dynamics", fitted, "s", 0.2),
    ]
