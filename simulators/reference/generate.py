"""Generate the DFN reference curves the simulated cell is fitted to and judged against.

Run ``python -m simulators.reference.generate`` after ``pip install -e '.[fidelity]'``. For
each chemistry's PyBaMM parameter set (NMC: Chen2020, LG M50; LFP: Prada2013, A123 26650) and
each ambient temperature (25 and 10 degC, isothermal DFN), it solves:

* CC-CV charges at 0.5C and 1C to the set's maximum voltage with a C/20 cut-off, from the
  chemistry's low voltage (NMC 3.0 V, LFP 2.5 V, as an open-circuit start) and from 50 % SOC,
  each after 10 s at rest (so the curve's first rows give the starting OCV) and followed by a
  1 h rest (the relaxation after charge);
* 1C discharge pulses of 10 s at 20, 50 and 80 % SOC, followed by 60 s of rest;
* the open-circuit voltage against charge (``ocv`` files): the bulk OCV of a C/50 charge from
  the set's lower cut-off (SOC 0) held at the maximum voltage down to C/1000 (SOC 1), at 25 degC.

Curves are decimated (coarse where the voltage is smooth, 0.1 s around the pulse edges) and
written as small CSV files under ``data/``, with ``data/provenance.json`` recording the exact
command, the package versions and the parameter sets. Current is positive INTO the cell, the
sign convention of ``simulators.physics``.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")
TEMPERATURES_C = (25.0, 10.0)
CHARGE_RATES = (0.5, 1.0)
PULSE_SOCS = (0.2, 0.5, 0.8)
PULSE_SECONDS = 10.0
PULSE_REST_SECONDS = 60.0
RELAXATION_SECONDS = 3600.0


@dataclass(frozen=True)
class Chemistry:
    name: str
    parameter_set: str
    low_voltage: float
    max_voltage: float


CHEMISTRIES = (
    Chemistry("NMC", "Chen2020", 3.0, 4.2),
    Chemistry("LFP", "Prada2013", 2.5, 3.6),
)


def _parameters(chemistry: Chemistry, celsius: float) -> Any:
    import pybamm

    values = pybamm.ParameterValues(chemistry.parameter_set)
    kelvin = celsius + 273.15
    values.update({"Ambient temperature [K]": kelvin, "Initial temperature [K]": kelvin})
    return values


def _solve(chemistry: Chemistry, celsius: float, steps: list[str], start: str | float) -> Any:
    import pybamm

    experiment = pybamm.Experiment(steps, period="10 seconds")
    simulation = pybamm.Simulation(
        pybamm.lithium_ion.DFN(),
        parameter_values=_parameters(chemistry, celsius),
        experiment=experiment,
    )
    return simulation.solve(initial_soc=start)


def _rows(solution: Any) -> list[tuple[float, float, float]]:
    time_s = solution["Time [s]"].entries
    current = -solution["Current [A]"].entries  # PyBaMM: positive = discharge
    voltage = solution["Voltage [V]"].entries
    rows: list[tuple[float, float, float]] = []
    for t, i, v in zip(time_s, current, voltage, strict=True):
        if rows and t <= rows[-1][0]:
            continue  # step boundaries repeat their instant
        rows.append((float(t), float(i), float(v)))
    return rows


def _decimate(rows: list[tuple[float, float, float]], volts: float) -> list[tuple[float, ...]]:
    """Keep a row when current or voltage moved enough since the last kept one (and the ends)."""
    kept: list[tuple[float, ...]] = [rows[0]]
    for row, following in itertools.pairwise(rows):
        last = kept[-1]
        current_step = abs(following[1] - row[1]) > 1e-3 or abs(row[1] - last[1]) > 1e-3
        if current_step or abs(row[2] - last[2]) >= volts or row[0] - last[0] >= 600.0:
            kept.append(row)
    kept.append(rows[-1])
    return kept


def _write(name: str, rows: list[tuple[float, ...]]) -> None:
    with (DATA / f"{name}.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("time_s", "current_a", "voltage_v"))
        for t, i, v in rows:
            writer.writerow((f"{t:.1f}", f"{i:.4f}", f"{v:.5f}"))


def _charges(chemistry: Chemistry, celsius: float, capacity: float) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for rate in CHARGE_RATES:
        for label, start in (("empty", f"{chemistry.low_voltage} V"), ("half", 0.5)):
            steps = [
                "Rest for 10 seconds",
                f"Charge at {rate}C until {chemistry.max_voltage} V",
                f"Hold at {chemistry.max_voltage} V until C/20",
                f"Rest for {RELAXATION_SECONDS:.0f} seconds",
            ]
            began = time.perf_counter()
            solution = _solve(chemistry, celsius, steps, start)
            seconds[f"charge {rate}C from {label}"] = round(time.perf_counter() - began, 2)
            rows = _rows(solution)
            name = f"{chemistry.name}_{celsius:.0f}C_charge_{rate:g}C_from_{label}"
            _write(name, _decimate(rows, 0.002))
    del capacity
    return seconds


def _pulses(chemistry: Chemistry, celsius: float) -> dict[str, float]:
    import pybamm

    seconds: dict[str, float] = {}
    for soc in PULSE_SOCS:
        steps = [
            pybamm.step.string("Rest for 1 second", period="0.1 seconds"),
            pybamm.step.string(
                f"Discharge at 1C for {PULSE_SECONDS:.0f} seconds", period="0.1 seconds"
            ),
            pybamm.step.string(f"Rest for {PULSE_REST_SECONDS:.0f} seconds", period="0.1 seconds"),
        ]
        began = time.perf_counter()
        solution = _solve(chemistry, celsius, steps, soc)
        seconds[f"pulse at {soc:.0%}"] = round(time.perf_counter() - began, 2)
        name = f"{chemistry.name}_{celsius:.0f}C_pulse_1C_at_{soc * 100:.0f}"
        _write(name, _decimate(_rows(solution), 0.0002))
    return seconds


def _ocv(chemistry: Chemistry) -> None:
    """OCV against charge: the capacity between the cut-offs is the model's 0..100 % SOC."""
    steps = [
        f"Charge at C/50 until {chemistry.max_voltage} V",
        f"Hold at {chemistry.max_voltage} V until C/1000",
    ]
    solution = _solve(chemistry, 25.0, steps, 0.0)
    charge = -solution["Discharge capacity [A.h]"].entries
    ocv = solution["Bulk open-circuit voltage [V]"].entries
    with (DATA / f"{chemistry.name}_ocv.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("charge_ah", "ocv_v"))
        last = -1.0
        for q, v in zip(charge, ocv, strict=True):
            if q - last >= 0.002 * charge[-1] or q == charge[-1]:
                writer.writerow((f"{q:.5f}", f"{v:.5f}"))
                last = q


def main() -> None:
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    import pybamm

    DATA.mkdir(exist_ok=True)
    runs: dict[str, Any] = {}
    for chemistry in CHEMISTRIES:
        values = pybamm.ParameterValues(chemistry.parameter_set)
        capacity = float(values["Nominal cell capacity [A.h]"])
        _ocv(chemistry)
        for celsius in TEMPERATURES_C:
            key = f"{chemistry.name} {celsius:.0f} degC"
            runs[key] = _charges(chemistry, celsius, capacity) | _pulses(chemistry, celsius)
    provenance = {
        "command": "python -m simulators.reference.generate",
        "argv": sys.argv,
        "model": "pybamm.lithium_ion.DFN() (isothermal at the ambient temperature)",
        "python": platform.python_version(),
        "packages": {
            name: metadata.version(name)
            for name in ("pybamm", "pybammsolvers", "casadi", "numpy", "scipy")
        },
        "chemistries": {
            c.name: {
                "parameter_set": c.parameter_set,
                "nominal_capacity_ah": float(
                    pybamm.ParameterValues(c.parameter_set)["Nominal cell capacity [A.h]"]
                ),
                "start_voltage": c.low_voltage,
                "max_voltage": c.max_voltage,
            }
            for c in CHEMISTRIES
        },
        "temperatures_c": list(TEMPERATURES_C),
        "charge": {
            "rates_c": list(CHARGE_RATES),
            "cut_off": "C/20",
            "starts": ["open circuit at start_voltage", "50 % SOC"],
            "rest_after_s": RELAXATION_SECONDS,
        },
        "pulse": {
            "rate_c": 1.0,
            "direction": "discharge",
            "socs": list(PULSE_SOCS),
            "seconds": PULSE_SECONDS,
            "rest_after_s": PULSE_REST_SECONDS,
            "sampling_s": 0.1,
        },
        "columns": "time_s, current_a (positive into the cell), voltage_v",
        "decimation": "a row is kept when V moved 2 mV (charges) / 0.2 mV (pulses), "
        "the current changed, or 600 s passed",
        "solve_seconds": runs,
    }
    (DATA / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")


if __name__ == "__main__":
    main()
