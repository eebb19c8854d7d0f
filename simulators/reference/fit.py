"""Fit the cell model's DC tables to the DFN reference curves; writes ``fitted_cells.json``.

Run ``python -m simulators.reference.fit`` (needs scipy, which the ``fidelity`` extra brings).
For each chemistry with reference curves and each reference temperature, the unknowns are R0,
R1, tau1, R2 and tau2 at 20, 50 and 80 % SOC (held flat towards 0 and 100 %). They start from
the pulses (R0: the first 0.1 s; R1: the rest of the 10 s drop) and are then adjusted, in log
space, by least squares on residuals of the very comparison ``compare.py`` reports: the pulse
voltages, and the CC, CV and total durations, voltage error and 1 h relaxation of the four
charges. The resistances are stored times the reference cell's capacity (ohm*Ah), so the
simulator scales them to each shipped cell (``cell_tables``).

LFP's hysteresis is not in the DFN set (Prada2013 has one OCP per electrode), so it is not fitted:
its half-gap is a literature figure (a 10-20 mV gap between the charge and discharge OCV branches
over the plateau, e.g. Roscher and Sauer, J. Power Sources 196 (2011) 331), kept in the model
during the fit so the other parameters absorb its small offset.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from simulators.physics.cell_tables import FITTED_FILE, NAMES, build
from simulators.physics.parameters import Chemistry
from simulators.reference import compare

SOCS = (0.2, 0.5, 0.8)
MAX_RUNS = 12
"""Least-squares iterations per temperature (each costs 16 model runs of all eight curves)."""
HYSTERESIS = {"LFP": (0.007, 30.0)}
"""(half-gap V, rate per unit SOC) per chemistry that has hysteresis."""


def _entry(
    chemistry: Chemistry, by_temperature: dict[float, np.ndarray], capacity: float
) -> dict[str, Any]:
    """JSON entry from log-parameters (5 names x 3 SOCs per temperature, resistances in ohm)."""
    tables: dict[str, dict[str, list[float]]] = {}
    for celsius, logs in by_temperature.items():
        values = np.exp(logs.reshape(len(NAMES), len(SOCS)))
        table: dict[str, list[float]] = {}
        for name, row in zip(NAMES, values, strict=True):
            scaled = row * capacity if name.startswith("r") else row
            points = [scaled[0], *scaled, scaled[-1]]
            table[name] = [float(f"{v:.6g}") for v in points]
        tables[str(round(celsius))] = table
    swing, rate = HYSTERESIS.get(chemistry, (0.0, 30.0))
    return {
        "reference_capacity_ah": round(capacity, 4),
        "soc": [0.0, *SOCS, 1.0],
        "tables": tables,
        "hysteresis_v": swing,
        "hysteresis_rate": rate,
        "entropic_v_per_k": 0.0,
    }


def _initial(chemistry: Chemistry, celsius: float) -> np.ndarray:
    r0s, r1s = [], []
    for soc in SOCS:
        curve = compare.read_curve(f"{chemistry}_{celsius:.0f}C_pulse_1C_at_{soc * 100:.0f}")
        on = int(np.nonzero(curve.current < -1e-6)[0][0])
        current = -float(curve.current[on])
        first = float(np.interp(curve.time[on] + 0.1, curve.time, curve.voltage))
        r0 = (float(curve.voltage[on - 1]) - first) / current
        r10 = compare.pulse_resistance(curve.time, curve.current, curve.voltage)
        r0s.append(r0)
        r1s.append(max(r10 - r0, 0.1 * r0))
    r0 = np.asarray(r0s)
    logs = [np.log(r0), np.log(r1s), np.full(3, math.log(5.0)), np.log(r0), np.full(3, 7.0)]
    return np.concatenate(logs)


def _residuals(
    chemistry: Chemistry, celsius: float, logs: np.ndarray, others: dict[float, np.ndarray]
) -> np.ndarray:
    ref = compare.reference(chemistry)
    dynamics = build(chemistry, _entry(chemistry, {celsius: logs, **others}, ref.capacity_ah))
    rows = compare.compare(chemistry, dynamics, only_celsius=celsius)
    return np.asarray([row.error / row.target for row in rows])


def fit(chemistry: Chemistry) -> dict[str, Any]:
    from scipy.optimize import least_squares

    ref = compare.reference(chemistry)
    temps = compare.temperatures()
    found = {t: _initial(chemistry, t) for t in temps}
    for celsius in temps:
        others = {t: v for t, v in found.items() if t != celsius}
        began = time.perf_counter()
        result = least_squares(
            lambda x, c=celsius, o=others: _residuals(chemistry, c, x, o),
            found[celsius],
            diff_step=0.02,
            max_nfev=MAX_RUNS,
        )
        found[celsius] = result.x
        print(
            f"{chemistry} {celsius:.0f} degC: cost {result.cost:.3f} after {result.nfev} runs, "
            f"{time.perf_counter() - began:.0f} s"
        )
    return _entry(chemistry, found, ref.capacity_ah)


def main() -> None:
    chemistries = {c: fit(c) for c in compare.chemistries()}
    document = {
        "about": "Written by `python -m simulators.reference.fit` from simulators/reference/data "
        "(see its provenance.json). Resistances in ohm*Ah (divide by the cell's capacity), "
        "time constants in s; soc breakpoints, tables per degC.",
        "chemistries": chemistries,
        "aliases": {"LCO": "NMC"},
    }
    Path(FITTED_FILE).write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
