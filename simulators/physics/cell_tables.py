"""The fitted DC dynamics of one chemistry: R0, R1/C1, R2/C2 against SOC and temperature.

``fitted_cells.json`` is written by ``simulators/reference/fit.py`` from the DFN reference
curves under ``simulators/reference/data`` (PyBaMM Chen2020 for NMC, Prada2013 for LFP; LCO,
for which no reference set fits the shipped specs, borrows NMC's dynamics). Resistances are
stored as ohm x ampere-hour, so a cell of capacity Q gets R = table / Q: a bigger cell (or a
parallel group) has proportionally more electrode area. Time constants do not scale.

The tables are given at a few SOC breakpoints and two temperatures (10 and 25 degC). They are
resampled once with numpy onto a uniform SOC grid, in log space, so the cell's per-step lookup
is an index, one linear interpolation in SOC and one Arrhenius-like interpolation in 1/T.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

FITTED_FILE = Path(__file__).with_name("fitted_cells.json")
GRID = 100
"""Uniform SOC samples (1 % apart): the tables are smooth, the lookup must be cheap."""
KELVIN = 273.15
NAMES = ("r0", "r1", "tau1", "r2", "tau2")
TEMPERATURE_CLIP_C = (-20.0, 60.0)
"""Outside this the Arrhenius extrapolation of two points is no longer credible: held there."""


@dataclass(frozen=True)
class ChemistryTables:
    """Log-values of R0, R1, tau1, R2, tau2 on the SOC grid at the two reference temperatures."""

    chemistry: str
    reference_capacity_ah: float
    cold_c: float
    warm_c: float
    cold: tuple[tuple[float, ...], ...]
    """Per name (``NAMES``), ``GRID + 1`` log-values at ``cold_c`` (resistances in ohm*Ah)."""
    warm: tuple[tuple[float, ...], ...]
    hysteresis_v: float
    """Half-gap between the charge and discharge OCV branches (0 where the chemistry has none)."""
    hysteresis_rate: float
    """Per unit SOC of throughput: how fast the hysteresis state swings to the other branch."""
    entropic_v_per_k: float
    """dOCV/dT for the reversible heat (0 where the reference set carries none)."""

    def temperature_weight(self, celsius: float) -> float:
        """0 at the warm reference, 1 at the cold one, linear in 1/T (Arrhenius) beyond."""
        low, high = TEMPERATURE_CLIP_C
        t = min(max(celsius, low), high) + KELVIN
        warm, cold = self.warm_c + KELVIN, self.cold_c + KELVIN
        return (1.0 / t - 1.0 / warm) / (1.0 / cold - 1.0 / warm)

    def values(self, soc: float, celsius: float) -> tuple[float, float, float, float, float]:
        """R0, R1, tau1, R2, tau2 (resistances in ohm*Ah) at ``soc`` and ``celsius``."""
        position = min(max(soc, 0.0), 1.0) * GRID
        index = min(int(position), GRID - 1)
        frac = position - index
        weight = self.temperature_weight(celsius)
        out = []
        for cold, warm in zip(self.cold, self.warm, strict=True):
            w0, w1 = warm[index], warm[index + 1]
            c0, c1 = cold[index], cold[index + 1]
            at_warm = w0 + (w1 - w0) * frac
            at_cold = c0 + (c1 - c0) * frac
            out.append(math.exp(at_warm + (at_cold - at_warm) * weight))
        r0, r1, tau1, r2, tau2 = out
        return r0, r1, tau1, r2, tau2


def _resample(socs: list[float], values: list[float]) -> tuple[float, ...]:
    grid = np.linspace(0.0, 1.0, GRID + 1)
    logs = np.interp(grid, np.asarray(socs), np.log(np.asarray(values)))
    return tuple(float(v) for v in logs)


class _TableSet(BaseModel):
    r0: list[float]
    r1: list[float]
    tau1: list[float]
    r2: list[float]
    tau2: list[float]


class _Entry(BaseModel):
    """One chemistry as ``fit.py`` writes it (validated: a hand edit cannot slip through)."""

    reference_capacity_ah: float = Field(gt=0)
    soc: list[float]
    tables: dict[str, _TableSet]
    """Keyed by the temperature in degC (exactly two)."""
    hysteresis_v: float = Field(default=0.0, ge=0)
    hysteresis_rate: float = Field(default=30.0, gt=0)
    entropic_v_per_k: float = 0.0


class _File(BaseModel):
    chemistries: dict[str, _Entry]
    aliases: dict[str, str] = {}


def _build(chemistry: str, entry: _Entry) -> ChemistryTables:
    (cold_c, cold), (warm_c, warm) = sorted(
        ((float(t), v) for t, v in entry.tables.items()), key=lambda item: item[0]
    )
    return ChemistryTables(
        chemistry=chemistry,
        reference_capacity_ah=entry.reference_capacity_ah,
        cold_c=cold_c,
        warm_c=warm_c,
        cold=tuple(_resample(entry.soc, getattr(cold, name)) for name in NAMES),
        warm=tuple(_resample(entry.soc, getattr(warm, name)) for name in NAMES),
        hysteresis_v=entry.hysteresis_v,
        hysteresis_rate=entry.hysteresis_rate,
        entropic_v_per_k=entry.entropic_v_per_k,
    )


def build(chemistry: str, mapping: dict[str, Any]) -> ChemistryTables:
    """Tables from one chemistry's JSON entry (the fit builds its trials with this)."""
    return _build(chemistry, _Entry.model_validate(mapping))


@cache
def _all() -> dict[str, ChemistryTables]:
    raw = _File.model_validate(json.loads(FITTED_FILE.read_text()))
    built = {name: _build(name, entry) for name, entry in raw.chemistries.items()}
    for name, source in raw.aliases.items():
        built[name] = built[source]
    return built


def tables(chemistry: str) -> ChemistryTables | None:
    """The fitted tables of ``chemistry`` (shared, built once), or None if none were fitted."""
    return _all().get(chemistry)
