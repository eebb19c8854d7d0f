"""The shipped cell model against the shipped DFN curves: the fidelity table and its targets.

No PyBaMM here: the curves under ``data/`` are read as CSV, the model is ``Cell`` with the
fitted tables of ``simulators/physics/fitted_cells.json``, run on the reference cell (its
capacity and its OCV, so that what is judged is the dynamic model, not the OCV table of a
different cell) through the same protocols: CC-CV charge with C/20 cut-off and 1 h rest,
1C 10 s discharge pulses. The DFN is isothermal, so the model cell is held at ambient too.

``python -m simulators.reference.compare`` (``make fidelity``) prints the table and exits 1 when
a target is missed; ``tests/simulators/reference/test_fidelity.py`` asserts the same rows.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from simulators.physics.cell import Cell, CellParameters
from simulators.physics.cell_tables import ChemistryTables
from simulators.physics.ocv import OcvCurve
from simulators.physics.parameters import Chemistry

DATA = Path(__file__).with_name("data")
CHARGE_DT = 2.0
PULSE_DT = 0.1


@dataclass(frozen=True)
class Curve:
    time: np.ndarray
    current: np.ndarray
    voltage: np.ndarray


@dataclass(frozen=True)
class Reference:
    """One chemistry's reference cell: its OCV, capacity, limits and where its curves are."""

    chemistry: Chemistry
    parameter_set: str
    nominal_capacity_ah: float
    """PyBaMM's nominal capacity: what its C-rates and the C/20 cut-off refer to."""
    capacity_ah: float
    """Charge between the set's voltage cut-offs at equilibrium (the model's 0..100 % SOC)."""
    max_voltage: float
    ocv: OcvCurve


@cache
def provenance() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((DATA / "provenance.json").read_text())
    return loaded


def read_curve(name: str) -> Curve:
    with (DATA / f"{name}.csv").open() as handle:
        rows = [tuple(float(x) for x in row) for row in list(csv.reader(handle))[1:]]
    columns = np.asarray(rows).T
    return Curve(columns[0], columns[1], columns[2])


def read_charge(name: str) -> Curve:
    """A charge curve from the end of its leading rest (t = 0 when the current starts)."""
    curve = read_curve(name)
    start = int(np.nonzero(curve.current > 1e-6)[0][0]) - 1
    return Curve(
        curve.time[start:] - curve.time[start], curve.current[start:], curve.voltage[start:]
    )


@cache
def reference(chemistry: Chemistry) -> Reference:
    chemistries = provenance()["chemistries"]
    assert isinstance(chemistries, dict)
    entry = chemistries[chemistry]
    with (DATA / f"{chemistry}_ocv.csv").open() as handle:
        rows = [(float(q), float(v)) for q, v in list(csv.reader(handle))[1:]]
    capacity = rows[-1][0]
    points = [(q / capacity, v) for q, v in rows]
    return Reference(
        chemistry=chemistry,
        parameter_set=str(entry["parameter_set"]),
        nominal_capacity_ah=float(entry["nominal_capacity_ah"]),
        capacity_ah=capacity,
        max_voltage=float(entry["max_voltage"]),
        ocv=OcvCurve(chemistry, points),
    )


def model_cell(
    ref: Reference, soc: float, celsius: float, dynamics: ChemistryTables | None = None
) -> Cell:
    """The model on the reference cell, isothermal at ``celsius`` (thermal_resistance 0).

    Its 1 kHz figure is set above any R0 so the whole R0 acts at once: the DFN has no
    double-layer capacitance, so in it charge transfer is as instantaneous as ohmic loss.
    """
    parameters = CellParameters(
        capacity_ah=ref.capacity_ah,
        r0=1.0,
        r1=0.0,
        tau1=1.0,
        r2=0.0,
        tau2=1.0,
        self_discharge_current=0.0,
        thermal_resistance=0.0,
        ambient_c=celsius,
    )
    cell = Cell(parameters, ref.ocv, soc, dynamics)
    cell.temperature_c = celsius
    cell.soc = soc
    cell._lookup()
    return cell


@dataclass(frozen=True)
class ChargeResult:
    time: np.ndarray
    current: np.ndarray
    voltage: np.ndarray
    cc_seconds: float
    cv_seconds: float
    relaxation: float
    """Volts the terminal falls in the hour after the cut-off."""


def run_charge(cell: Cell, cc: float, cut_off: float, v_max: float, rest: float) -> ChargeResult:
    """CC at ``cc`` A to ``v_max``, CV to ``cut_off`` A, then ``rest`` s open circuit.

    Where the current steps (on at t = 0, off at the cut-off) both sides are recorded at the
    same time, as the reference curves record them (``voltage_rms`` pairs them side by side).
    """
    times, currents, volts = [0.0], [0.0], [cell.terminal_voltage(0.0)]
    t, cc_end, cv_end = 0.0, math.nan, math.nan
    while t < 6 * 3600.0:
        current = cc
        if cell.terminal_voltage(cc) >= v_max:
            current = min(cc, max(0.0, (v_max - cell.emf()) / cell.r0()))
            if math.isnan(cc_end):
                cc_end = t
            if current <= cut_off:
                cv_end = t
                break
        if t == 0.0:
            times.append(t)
            currents.append(current)
            volts.append(cell.terminal_voltage(current))
        cell.step(current, CHARGE_DT)
        t += CHARGE_DT
        times.append(t)
        currents.append(current)
        volts.append(cell.terminal_voltage(current))
    top = cell.terminal_voltage(0.0)
    times.append(t)
    currents.append(0.0)
    volts.append(top)
    end = t + rest
    while t < end - 1e-9:
        cell.step(0.0, CHARGE_DT)
        t += CHARGE_DT
        times.append(t)
        currents.append(0.0)
        volts.append(cell.terminal_voltage(0.0))
    return ChargeResult(
        np.asarray(times),
        np.asarray(currents),
        np.asarray(volts),
        cc_end,
        cv_end - cc_end,
        top - volts[-1],
    )


def reference_charge(curve: Curve, v_max: float) -> ChargeResult:
    """The same quantities read off a DFN charge curve."""
    cc = curve.current[1]
    charging = np.nonzero(curve.current > 1e-6)[0]
    last = int(charging[-1])
    cc_rows = np.nonzero((curve.current > 0.99 * cc) & (curve.voltage < v_max - 1e-4))[0]
    cc_end = float(curve.time[int(cc_rows[-1]) + 1])
    cv_end = float(curve.time[last])
    top = float(np.interp(cv_end + 1e-3, curve.time, curve.voltage))
    return ChargeResult(
        curve.time,
        curve.current,
        curve.voltage,
        cc_end,
        cv_end - cc_end,
        top - float(curve.voltage[-1]),
    )


def pulse_resistance(time: np.ndarray, current: np.ndarray, voltage: np.ndarray) -> float:
    """ΔV/I at the end of a discharge pulse from rest (the last sample under current)."""
    on = np.nonzero(current < -1e-6)[0]
    before = float(voltage[int(on[0]) - 1])
    at = float(voltage[int(on[-1])])
    return (before - at) / -float(current[int(on[0])])


def run_pulse(cell: Cell, curve: Curve) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replays the reference's piecewise-constant current at 0.1 s."""
    end = float(curve.time[-1])
    steps = round(end / PULSE_DT)
    times = np.arange(steps + 1) * PULSE_DT
    currents = np.zeros(steps + 1)
    volts = np.zeros(steps + 1)
    volts[0] = cell.terminal_voltage(0.0)
    for k in range(steps):
        middle = times[k] + 0.5 * PULSE_DT
        index = int(np.searchsorted(curve.time, middle, side="right"))
        current = float(curve.current[min(index, len(curve.current) - 1)])
        cell.step(current, PULSE_DT)
        currents[k + 1] = current
        volts[k + 1] = cell.terminal_voltage(current)
    return times, currents, volts


def charge_names() -> list[tuple[float, str]]:
    """(rate, start label) of every reference charge."""
    return [(rate, start) for rate in (0.5, 1.0) for start in ("empty", "half")]


def _sides(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the samples that make a curve's left-continuous and right-continuous version.

    Where the current steps, a curve holds two samples at one time: the voltage just before
    the step (the left side) and just after it (the right side). Each version keeps one.
    """
    repeated = np.diff(time) == 0.0
    before = np.concatenate([repeated, [False]])
    after = np.concatenate([[False], repeated])
    return ~after, ~before


def voltage_rms(model: ChargeResult, ref: ChargeResult) -> float:
    """RMS voltage error over the charge (CC and CV), on the reference's time points.

    At a current step the reference holds the voltage on both sides at one time; each side is
    compared with the model's same side (interpolating across the step would compare the
    model's resting voltage with the reference's loaded one, and a perfect model would miss).
    """
    end = min(ref.cc_seconds + ref.cv_seconds, model.cc_seconds + model.cv_seconds)
    mask = ref.time <= end
    left_model, right_model = _sides(model.time)
    left = np.interp(ref.time, model.time[left_model], model.voltage[left_model])
    right = np.interp(ref.time, model.time[right_model], model.voltage[right_model])
    is_left = ~_sides(ref.time)[1]  # a sample followed by one at the same time
    predicted = np.where(is_left, left, right)[mask]
    return float(np.sqrt(np.mean((predicted - ref.voltage[mask]) ** 2)))


@dataclass(frozen=True)
class Row:
    chemistry: str
    quantity: str
    model: float
    reference: float
    unit: str
    target: float
    """Largest allowed error; relative (fraction) unless ``absolute``."""
    absolute: bool = False

    @property
    def error(self) -> float:
        if self.absolute:
            return self.model
        return (self.model - self.reference) / self.reference

    @property
    def ok(self) -> bool:
        return abs(self.error) <= self.target


def temperatures() -> list[float]:
    temps = provenance()["temperatures_c"]
    assert isinstance(temps, list)
    return [float(t) for t in temps]


def compare(
    chemistry: Chemistry,
    dynamics: ChemistryTables | None = None,
    only_celsius: float | None = None,
) -> list[Row]:
    """Every acceptance quantity of one chemistry, model against reference.

    ``dynamics``: tables to judge instead of the shipped ones; ``only_celsius``: one temperature.
    """
    rows: list[Row] = []
    for pair in charges(chemistry, dynamics, only_celsius):
        where, label, ecm, dfn = pair.where, pair.label, pair.model, pair.reference
        hours = 1 / 3600.0
        rows += [
            Row(
                chemistry,
                f"{where}, {label}: CC",
                ecm.cc_seconds * hours,
                dfn.cc_seconds * hours,
                "h",
                0.10,
            ),
            Row(
                chemistry,
                f"{where}, {label}: CV",
                ecm.cv_seconds * hours,
                dfn.cv_seconds * hours,
                "h",
                0.10,
            ),
            Row(
                chemistry,
                f"{where}, {label}: total",
                (ecm.cc_seconds + ecm.cv_seconds) * hours,
                (dfn.cc_seconds + dfn.cv_seconds) * hours,
                "h",
                0.05,
            ),
            Row(
                chemistry,
                f"{where}, {label}: V RMS error",
                voltage_rms(ecm, dfn) * 1e3,
                0.0,
                "mV",
                20.0,
                True,
            ),
            Row(
                chemistry,
                f"{where}, {label}: relaxation 1 h",
                ecm.relaxation * 1e3,
                dfn.relaxation * 1e3,
                "mV",
                0.20,
            ),
        ]
    for where, percent, model, dfn_r in pulses(chemistry, dynamics, only_celsius):
        rows.append(
            Row(
                chemistry,
                f"{where}, 10 s pulse R at {percent} %",
                model * 1e3,
                dfn_r * 1e3,
                "mohm",
                0.15,
            )
        )
    return rows


@dataclass(frozen=True)
class ChargePair:
    where: str
    label: str
    model: ChargeResult
    reference: ChargeResult


def charges(
    chemistry: Chemistry, dynamics: ChemistryTables | None, only_celsius: float | None
) -> list[ChargePair]:
    """Every reference charge and the model's run of the same protocol."""
    ref = reference(chemistry)
    pairs = []
    for celsius in temperatures():
        if only_celsius is not None and celsius != only_celsius:
            continue
        for rate, start in charge_names():
            curve = read_charge(f"{chemistry}_{celsius:.0f}C_charge_{rate:g}C_from_{start}")
            dfn = reference_charge(curve, ref.max_voltage)
            soc = ref.ocv.soc_at(float(curve.voltage[0]))
            cell = model_cell(ref, soc, celsius, dynamics)
            cut_off = ref.nominal_capacity_ah / 20.0
            ecm = run_charge(cell, float(curve.current[1]), cut_off, ref.max_voltage, 3600.0)
            origin = f"{float(curve.voltage[0]):.1f} V" if start == "empty" else "50 %"
            pairs.append(ChargePair(f"{celsius:.0f} degC", f"{rate:g}C from {origin}", ecm, dfn))
    return pairs


def pulses(
    chemistry: Chemistry, dynamics: ChemistryTables | None, only_celsius: float | None
) -> list[tuple[str, int, float, float]]:
    """(temperature label, SOC %, model, reference) 10 s pulse resistance in ohm."""
    ref = reference(chemistry)
    found = []
    for celsius in temperatures():
        if only_celsius is not None and celsius != only_celsius:
            continue
        for percent in (20, 50, 80):
            curve = read_curve(f"{chemistry}_{celsius:.0f}C_pulse_1C_at_{percent}")
            soc = ref.ocv.soc_at(float(curve.voltage[0]))
            cell = model_cell(ref, soc, celsius, dynamics)
            model = pulse_resistance(*run_pulse(cell, curve))
            dfn_r = pulse_resistance(curve.time, curve.current, curve.voltage)
            found.append((f"{celsius:.0f} degC", percent, model, dfn_r))
    return found


def chemistries() -> list[Chemistry]:
    found = provenance()["chemistries"]
    assert isinstance(found, dict)
    every: tuple[Chemistry, ...] = ("NMC", "LCO", "LFP")
    return [c for c in every if c in found]


def table(rows: list[Row]) -> str:
    lines = [
        f"{'chemistry':<9} {'quantity':<40} {'model':>9} {'reference':>9} {'error':>9} "
        f"{'target':>8}  ok",
    ]
    for r in rows:
        error = f"{r.error:+.1f} mV" if r.absolute else f"{r.error:+.1%}"
        target = f"<{r.target:g} mV" if r.absolute else f"±{r.target:.0%}"
        reference = "-" if r.absolute else f"{r.reference:.3f}"
        lines.append(
            f"{r.chemistry:<9} {r.quantity:<40} {r.model:>9.3f} {reference:>9} {error:>9} "
            f"{target:>8}  {'yes' if r.ok else 'NO'}"
        )
    return "\n".join(lines)


def main() -> int:
    rows = [row for chemistry in chemistries() for row in compare(chemistry)]
    print(
        "Cell model against the DFN reference (simulators/reference/data, "
        "units: h, mV, mohm on the reference cell)"
    )
    print(table(rows))
    missed = [r for r in rows if not r.ok]
    print(f"{len(rows) - len(missed)} of {len(rows)} within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
