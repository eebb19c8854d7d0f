"""Fit the cell model's DC tables to the DFN reference curves; writes ``fitted_cells.json``.

Run ``python -m simulators.reference.fit [--fresh] [NMC|LFP ...]`` (needs scipy, which the
``fidelity`` extra brings).
For each chemistry with reference curves and each reference temperature, the unknowns are R0,
R1, tau1, R2 and tau2 at 5, 20, 50, 80 and 95 % SOC (held flat towards 0 and 100 %). They start from
the pulses (R0: the first 0.1 s; R1: the rest of the 10 s drop) and are then adjusted, in log
space, by least squares on residuals of the very comparison ``compare.py`` reports: the pulse
resistances, and the CC, CV and total durations, voltage error and 1 h relaxation of the four
charges, plus the voltage error along each charge (so the curve's shape counts, not its RMS),
and one physical constraint the comparison does not report: no fall of the terminal under
constant charging current (``FALL_GUARD``). LFP adds the solid-diffusion lead per SOC and its
time constant (``DIFFUSION_SOCS``).
The resistances are stored times the reference cell's capacity (ohm*Ah), so the simulator
scales them to each shipped cell (``cell_tables``). Time constants and R1/R2 are bounded
(``TAU1_RANGE``...) so the bench's explicit, 10 s circuit steps stay stable.

LFP's hysteresis is not in the DFN set (Prada2013 has one OCP per electrode), so it is not fitted:
its half-gap is a literature figure (a 10-20 mV gap between the charge and discharge OCV branches
over the plateau, e.g. Roscher and Sauer, J. Power Sources 196 (2011) 331), kept in the model
during the fit so the other parameters absorb its small offset.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from simulators.physics.cell_tables import FITTED_FILE, NAMES, ChemistryTables, build
from simulators.physics.ocv import curve as ocv_curve
from simulators.physics.parameters import Chemistry
from simulators.reference import compare

SOCS = (0.05, 0.2, 0.5, 0.8, 0.95)
MAX_RUNS = 15
"""Least-squares iterations per temperature (each costs 16 model runs of all eight curves)."""
R0_SOCS: dict[str, tuple[float, ...]] = {
    "LFP": (0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
}
"""Where R0 gets its own breakpoints (default ``SOCS``): the DFN's LFP overpotential follows the
steps of its OCP along the plateau, which five breakpoints cannot follow."""
HYSTERESIS = {"LFP": (0.007, 30.0)}
"""(half-gap V, rate per unit SOC) per chemistry that has hysteresis."""
DIFFUSION_SOCS: dict[str, tuple[float, ...]] = {
    "LFP": (0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8, 0.9, 0.95, 1.0),
}
"""Chemistries fitted with a solid-diffusion lead (``cell_tables``), and its SOC breakpoints:
on LFP the DFN's charge voltage runs 200-400 mV over the OCV for the first 10 % of SOC and
its CV taper lasts longer than R(SOC) can make it, both where the OCV is steep. Per
temperature the unknowns add the lead at these SOCs and one time constant."""
LEAD_RANGE = (0.5, 3000.0)
LEAD_TAU_RANGE = (10.0, 2000.0)
"""Seconds. The time constant stays at or above the bench's longest flowing step, like tau1."""
KINETIC_SOCS: dict[str, tuple[float, ...]] = {
    "LFP": (0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8, 1.0),
}
"""Chemistries fitted with Butler-Volmer charge transfer (``cell_tables``: an overpotential
``(2RT/F) asinh(I / 2 i0)``, logarithmic in the current where i0 is small), and the SOC
breakpoints of its exchange current: on LFP the DFN's overpotential over the first 10 % of SOC
grows only about 1.2x from 0.5C to 1C, which no overpotential linear in the current can do.
Per temperature the unknowns add the exchange current (as a C-rate) at these SOCs."""
EXCHANGE_RANGE = (0.005, 20.0)
"""C-rates. Above ~20C the overpotential is linear at any bench current (R0 takes it over)."""


def _grid(chemistry: Chemistry) -> tuple[float, ...]:
    return R0_SOCS.get(chemistry, SOCS)


def _n_diffusion(chemistry: Chemistry) -> int:
    """How many unknowns the diffusion lead adds per temperature (its SOCs and one tau)."""
    socs = DIFFUSION_SOCS.get(chemistry)
    return 0 if socs is None else len(socs) + 1


def _n_kinetics(chemistry: Chemistry) -> int:
    """How many unknowns the Butler-Volmer exchange current adds per temperature."""
    return len(KINETIC_SOCS.get(chemistry, ()))


def _split(chemistry: Chemistry, logs: np.ndarray) -> dict[str, np.ndarray]:
    """Log-parameters per name on the output grid (R0's breakpoints; the others interpolated);
    the diffusion lead's, if any, under ``lead`` and ``lead_tau``; the exchange current's, if
    any, under ``exchange`` (the vector ends with the diffusion unknowns, then these)."""
    grid = _grid(chemistry)
    out = {"r0": logs[: len(grid)]}
    n_kinetics = _n_kinetics(chemistry)
    if n_kinetics:
        out["exchange"] = logs[len(logs) - n_kinetics :]
        logs = logs[: len(logs) - n_kinetics]
    n_lead = _n_diffusion(chemistry)
    if n_lead:
        out["lead"] = logs[len(logs) - n_lead : -1]
        out["lead_tau"] = logs[-1:]
        logs = logs[: len(logs) - n_lead]
    rest = logs[len(grid) :].reshape(len(NAMES) - 1, len(SOCS))
    for name, row in zip(NAMES[1:], rest, strict=True):
        out[name] = np.interp(grid, SOCS, row)
    return out


def _entry(
    chemistry: Chemistry, by_temperature: dict[float, np.ndarray], capacity: float
) -> dict[str, Any]:
    """JSON entry from log-parameters per temperature (resistances in ohm on the reference)."""
    tables: dict[str, dict[str, list[float]]] = {}
    leads: dict[str, list[float]] = {}
    taus: dict[str, float] = {}
    exchange: dict[str, list[float]] = {}
    for celsius, logs in by_temperature.items():
        table: dict[str, list[float]] = {}
        split = _split(chemistry, logs)
        if "exchange" in split:
            values = np.exp(split.pop("exchange"))
            exchange[str(round(celsius))] = [float(f"{v:.4g}") for v in values]
        if "lead" in split:
            leads[str(round(celsius))] = [float(f"{v:.4g}") for v in np.exp(split.pop("lead"))]
            taus[str(round(celsius))] = float(f"{float(np.exp(split.pop('lead_tau')[0])):.4g}")
        for name, row in split.items():
            values = np.exp(row)
            scaled = values * capacity if name.startswith("r") else values
            points = [scaled[0], *scaled, scaled[-1]]
            table[name] = [float(f"{v:.6g}") for v in points]
        tables[str(round(celsius))] = table
    swing, rate = HYSTERESIS.get(chemistry, (0.0, 30.0))
    entry: dict[str, Any] = {
        "reference_capacity_ah": round(capacity, 4),
        "soc": [0.0, *_grid(chemistry), 1.0],
        "tables": tables,
        "hysteresis_v": swing,
        "hysteresis_rate": rate,
        "entropic_v_per_k": 0.0,
    }
    if leads:
        entry["diffusion"] = {
            "soc": list(DIFFUSION_SOCS[chemistry]),
            "lead_s": leads,
            "tau_s": taus,
        }
    if exchange:
        entry["kinetics"] = {"soc": list(KINETIC_SOCS[chemistry]), "exchange_c": exchange}
    return entry


def _initial_diffusion(chemistry: Chemistry) -> np.ndarray:
    """A start for the lead: a minute where the OCV is steep at the ends, little between."""
    socs = DIFFUSION_SOCS.get(chemistry)
    if socs is None:
        return np.zeros(0)
    leads = [60.0 if s <= 0.15 else 10.0 for s in socs]
    logs: np.ndarray = np.log(np.asarray([*leads, 60.0]))
    return logs


def _initial_kinetics(chemistry: Chemistry) -> np.ndarray:
    """A start for the exchange current: small at the empty end (a nearly empty electrode
    surface: i0 ~ sqrt(x (1 - x)) of its stoichiometry), a few C beyond."""
    socs = KINETIC_SOCS.get(chemistry)
    if socs is None:
        return np.zeros(0)
    logs: np.ndarray = np.log(np.asarray([0.2 if s <= 0.1 else 3.0 for s in socs]))
    return logs


def _initial(chemistry: Chemistry, celsius: float) -> np.ndarray:
    r0s, r1s = [], []
    for soc in (0.2, 0.5, 0.8):
        curve = compare.read_curve(f"{chemistry}_{celsius:.0f}C_pulse_1C_at_{soc * 100:.0f}")
        on = int(np.nonzero(curve.current < -1e-6)[0][0])
        current = -float(curve.current[on])
        first = float(np.interp(curve.time[on] + 0.1, curve.time, curve.voltage))
        r0 = (float(curve.voltage[on - 1]) - first) / current
        r10 = compare.pulse_resistance(curve.time, curve.current, curve.voltage)
        r0s.append(r0)
        r1s.append(max(r10 - r0, 0.1 * r0))
    r0_grid = np.interp(_grid(chemistry), (0.2, 0.5, 0.8), r0s)
    r1 = np.interp(SOCS, (0.2, 0.5, 0.8), r1s)
    n = len(SOCS)
    r2 = np.interp(SOCS, (0.2, 0.5, 0.8), r0s)
    logs = [np.log(r0_grid), np.log(r1), np.full(n, math.log(20.0)), np.log(r2), np.full(n, 7.0)]
    return np.concatenate([*logs, _initial_diffusion(chemistry), _initial_kinetics(chemistry)])


def _residuals(
    chemistry: Chemistry, celsius: float, logs: np.ndarray, others: dict[float, np.ndarray]
) -> np.ndarray:
    ref = compare.reference(chemistry)
    dynamics = build(chemistry, _entry(chemistry, {celsius: logs, **others}, ref.capacity_ah))
    rows = compare.compare(chemistry, dynamics, only_celsius=celsius)
    summary = [row.error / row.target for row in rows]
    # A row near its target weighs no more than one far inside it, so a fit can leave a row on
    # the edge (LFP's 0.5C from empty at 19.9 mV, and at 20.3 after one more run): past
    # ``MARGIN`` of its target each row's excess counts ``MARGIN_WEIGHT`` times over.
    summary += [MARGIN_WEIGHT * max(abs(row.error) / row.target - MARGIN, 0.0) for row in rows]
    # The shape of each charge curve too, not only its RMS: 40 points of the voltage error per
    # charge, in units of the 20 mV target, weighted so the 40 count like one summary row.
    # And a physical constraint: under constant charging current the DFN's terminal never falls
    # (the OCV rises faster than its overpotential eases), so the model's must not either: a
    # fall is what the diagnosis reads as an internal leak (``FALL_GUARD``).
    shape = []
    for pair in compare.charges(chemistry, dynamics, celsius):
        shape.append(_fall_under_cc(pair.model) / FALL_GUARD)
        end = min(
            pair.reference.cc_seconds + pair.reference.cv_seconds,
            pair.model.cc_seconds + pair.model.cv_seconds,
        )
        times = np.linspace(0.0, end, 40)
        error = np.interp(times, pair.model.time, pair.model.voltage) - np.interp(
            times, pair.reference.time, pair.reference.voltage
        )
        shape.extend(error / 0.020 / math.sqrt(40))
    shape.extend(_shipped_falls(chemistry, celsius, dynamics))
    return np.asarray(summary + shape)


SHIPPED_FALL_ALLOWED = 0.025
"""Volts per cell a charge from empty of the *shipped* cell may fall under CC before it counts
(the wake recharge reads 0.05 V per cell as a leak; the tables before Butler-Volmer kinetics
fell 37 mV there on LFP)."""


def _shipped_falls(chemistry: Chemistry, celsius: float, dynamics: ChemistryTables) -> list[float]:
    """The fall guard on the cell the bench simulates: the same tables on the shipped OCV.

    The tables are indexed by SOC, and the shipped OCV is not the reference cell's (LFP's rises
    from 2.0 V to 3.2 V over the first 10 % where the reference's reaches 3.0 V): an
    overpotential that eases over SOC where the reference OCV climbs can outrun the shipped
    OCV and make the deep-discharged pack's wake recharge fall as if it leaked.
    """
    ref = compare.reference(chemistry)
    shipped = dataclasses.replace(ref, ocv=ocv_curve(chemistry))
    out = []
    for rate in (0.5,):  # the wake recharge's rate
        cell = compare.model_cell(shipped, 0.0, celsius, dynamics)
        charge = compare.run_charge(
            cell, rate * ref.capacity_ah, ref.nominal_capacity_ah / 20.0, ref.max_voltage, 0.0
        )
        out.append(max(_fall_under_cc(charge) - SHIPPED_FALL_ALLOWED, 0.0) / FALL_GUARD)
    return out


MARGIN = 0.9
MARGIN_WEIGHT = 10.0
FALL_GUARD = 0.002
"""Volts: the residual unit of a fall of the model's terminal under constant charging current."""


def _fall_under_cc(charge: compare.ChargeResult) -> float:
    """Largest fall of the terminal below its running peak while the CC current flows (V)."""
    flowing = (charge.time > 0.0) & (charge.time < charge.cc_seconds) & (charge.current > 0.0)
    volts = charge.voltage[flowing]
    if len(volts) == 0:
        return 0.0
    return float(np.max(np.maximum.accumulate(volts) - volts))


def _previous(chemistry: Chemistry, celsius: float) -> np.ndarray | None:
    """Log-parameters at ``SOCS`` from the committed tables (a warm start), if there are any."""
    if not Path(FITTED_FILE).exists():
        return None
    entry = json.loads(Path(FITTED_FILE).read_text())["chemistries"].get(chemistry)
    if entry is None or str(round(celsius)) not in entry["tables"]:
        return None
    key = str(round(celsius))
    table = entry["tables"][key]
    capacity = entry["reference_capacity_ah"]
    logs = []
    for name in NAMES:
        values = np.interp(_grid(chemistry) if name == "r0" else SOCS, entry["soc"], table[name])
        logs.append(np.log(values / capacity if name.startswith("r") else values))
    diffusion = entry.get("diffusion")
    socs = DIFFUSION_SOCS.get(chemistry)
    if socs is not None and diffusion is not None:
        leads = np.interp(socs, diffusion["soc"], diffusion["lead_s"][key])
        logs.append(np.log(np.asarray([*leads, diffusion["tau_s"][key]])))
    else:
        logs.append(_initial_diffusion(chemistry))
    kinetics = entry.get("kinetics")
    k_socs = KINETIC_SOCS.get(chemistry)
    if k_socs is not None and kinetics is not None:
        logs.append(np.log(np.interp(k_socs, kinetics["soc"], kinetics["exchange_c"][key])))
    else:
        logs.append(_initial_kinetics(chemistry))
    return np.concatenate(logs)


TAU1_RANGE = (10.0, 300.0)
TAU2_RANGE = (300.0, 5000.0)
"""Time constants stay at or above the simulator's longest flowing step (10 s): the bench solves
the circuit explicitly per step, and a faster RC pair than the step would overshoot the source's
CV level. R1 and R2 stay below the smallest R0 for the same reason."""


def _bounds(chemistry: Chemistry, celsius: float) -> tuple[np.ndarray, np.ndarray]:
    """Log-space bounds: R0 within 0.5-2x the pulses' first 0.1 s (0.1-2x with kinetics),
    R1, R2 <= min R0."""
    first = _initial(chemistry, celsius)
    n0, n = len(_grid(chemistry)), len(SOCS)
    r0 = first[:n0]
    cap = float(np.min(r0))
    n_lead = max(_n_diffusion(chemistry) - 1, 0)
    # With nonlinear kinetics the pulses' first 0.1 s holds charge transfer at the pulse's
    # current too, so the linear R0 may fall well below it (the DFN's jump at t = 0 from empty
    # doubles by 2RT/F ln 2 with the current: almost all kinetics there).
    floor = math.log(10.0) if _n_kinetics(chemistry) else math.log(2.0)
    low = np.concatenate(
        [
            r0 - floor,
            np.full(n, cap - math.log(50.0)),
            np.full(n, math.log(TAU1_RANGE[0])),
            np.full(n, cap - math.log(50.0)),
            np.full(n, math.log(TAU2_RANGE[0])),
            np.full(n_lead, math.log(LEAD_RANGE[0])),
            np.full(min(n_lead, 1), math.log(LEAD_TAU_RANGE[0])),
            np.full(_n_kinetics(chemistry), math.log(EXCHANGE_RANGE[0])),
        ]
    )
    high = np.concatenate(
        [
            r0 + math.log(2.0),
            np.full(n, cap),
            np.full(n, math.log(TAU1_RANGE[1])),
            np.full(n, cap),
            np.full(n, math.log(TAU2_RANGE[1])),
            np.full(n_lead, math.log(LEAD_RANGE[1])),
            np.full(min(n_lead, 1), math.log(LEAD_TAU_RANGE[1])),
            np.full(_n_kinetics(chemistry), math.log(EXCHANGE_RANGE[1])),
        ]
    )
    return low, high


EMPTY_END_SOC = 0.3
FOCUS_RUNS = 40
"""``--focus=empty``: only the unknowns that shape a charge from empty are adjusted (R0, the
lead and the exchange current up to ``EMPTY_END_SOC``, R1, tau1 and R2 at the two lowest
``SOCS``, the lead's time constant, every exchange current), with more iterations: a third of
the unknowns, so each iteration costs a third, and the rest of the curve stays where the full
fit put it (every row still counts in the residuals)."""


def _empty_end(chemistry: Chemistry) -> np.ndarray:
    """Indices (in the layout of ``_split``) of the unknowns ``--focus=empty`` adjusts."""
    grid, n = _grid(chemistry), len(SOCS)
    n0 = len(grid)
    chosen = [i for i, soc in enumerate(grid) if soc <= EMPTY_END_SOC]
    low = [j for j, soc in enumerate(SOCS) if soc <= 0.2]
    for block in (0, 1, 2):  # r1, tau1, r2
        chosen += [n0 + block * n + j for j in low]
    start = n0 + 4 * n
    leads = DIFFUSION_SOCS.get(chemistry, ())
    if leads:
        chosen += [start + k for k, soc in enumerate(leads) if soc <= EMPTY_END_SOC]
        chosen.append(start + len(leads))  # the lead's time constant
        start += len(leads) + 1
    chosen += [start + k for k in range(_n_kinetics(chemistry))]
    return np.asarray(chosen, dtype=int)


def fit(chemistry: Chemistry, fresh: bool, focus: str = "") -> dict[str, Any]:
    """Least squares per temperature; ``focus`` "empty": only ``_empty_end``'s unknowns."""
    from scipy.optimize import least_squares

    ref = compare.reference(chemistry)
    temps = compare.temperatures()
    found = {}
    for t in temps:
        previous = None if fresh else _previous(chemistry, t)
        found[t] = _initial(chemistry, t) if previous is None else previous
    for celsius in temps:
        others = {t: v for t, v in found.items() if t != celsius}
        began = time.perf_counter()
        low, high = _bounds(chemistry, celsius)
        start = np.clip(found[celsius], low + 1e-6, high - 1e-6)
        chosen = _empty_end(chemistry) if focus == "empty" else np.arange(len(start))

        def residuals(
            x: np.ndarray,
            c: float = celsius,
            o: dict[float, np.ndarray] = others,
            base: np.ndarray = start,
            where: np.ndarray = chosen,
        ) -> np.ndarray:
            full = base.copy()
            full[where] = x
            return _residuals(chemistry, c, full, o)

        result = least_squares(
            residuals,
            start[chosen],
            bounds=(low[chosen], high[chosen]),
            diff_step=0.02,
            max_nfev=FOCUS_RUNS if focus == "empty" else MAX_RUNS,
        )
        found[celsius] = start.copy()
        found[celsius][chosen] = result.x
        print(
            f"{chemistry} {celsius:.0f} degC: cost {result.cost:.3f} after {result.nfev} runs, "
            f"{time.perf_counter() - began:.0f} s"
        )
    return _entry(chemistry, found, ref.capacity_ah)


def main(argv: list[str]) -> None:
    """``fit.py [--fresh] [--focus=empty] [CHEMISTRY ...]``: refit the named chemistries
    (default: all).

    Without ``--fresh`` the fit starts from the committed tables (quicker, and a refit of
    unchanged curves stays put); with it, from the pulses alone. ``--focus=empty`` adjusts
    only the unknowns of the empty end (``_empty_end``).
    """
    fresh = "--fresh" in argv
    focus = "empty" if "--focus=empty" in argv else ""
    unknown = [a for a in argv if a.startswith("--") and a not in ("--fresh", "--focus=empty")]
    if unknown:
        raise SystemExit(f"fit.py: unknown option {unknown[0]}; use --fresh or --focus=empty")
    named = [a for a in argv if not a.startswith("--")]
    chemistries: dict[str, Any] = {}
    if Path(FITTED_FILE).exists():
        chemistries = json.loads(Path(FITTED_FILE).read_text())["chemistries"]
    for chemistry in compare.chemistries():
        if not named or chemistry in named:
            chemistries[chemistry] = fit(chemistry, fresh, focus)
    document = {
        "about": "Written by `python -m simulators.reference.fit` from simulators/reference/data "
        "(see its provenance.json). Resistances in ohm*Ah (divide by the cell's capacity), "
        "time constants in s; soc breakpoints, tables per degC.",
        "chemistries": chemistries,
        "aliases": {"LCO": "NMC"},
    }
    Path(FITTED_FILE).write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
