"""The fitted DC dynamics of one chemistry: R0, R1/C1, R2/C2 against SOC and temperature.

``fitted_cells.json`` is written by ``simulators/reference/fit.py`` from the DFN reference
curves under ``simulators/reference/data`` (PyBaMM Chen2020 for NMC, Prada2013 for LFP; LCO,
for which no reference set fits the shipped specs, borrows NMC's dynamics). Resistances are
stored as ohm x ampere-hour, so a cell of capacity Q gets R = table / Q: a bigger cell (or a
parallel group) has proportionally more electrode area. Time constants do not scale.

The tables are given at a few SOC breakpoints and two temperatures (10 and 25 degC). They are
resampled once with numpy onto a uniform SOC grid, in log space, so the cell's per-step lookup
is an index, one linear interpolation in SOC and one Arrhenius-like interpolation in 1/T.

A chemistry may also carry solid diffusion (``diffusion``, per temperature): the particle
surfaces run ahead of the mean SOC while current flows, so the cell shows the OCV of its
surface SOC. Where the OCV is flat this costs nothing; where it is steep (LFP's ends, the steps
of its plateau) it is the overpotential an R(SOC) table cannot follow at two rates, and at the
top of charge it ends CC early and stretches the CV taper while the bulk catches up.

A chemistry may also carry Butler-Volmer charge transfer (``kinetics``, per temperature): the
exchange current per SOC, as a C-rate. Where it is small (an electrode surface nearly empty or
full) the overpotential is logarithmic in the current, which R0 alone cannot be.
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
    lead_cold: tuple[float, ...] = ()
    """Steady lead of the surface SOC over the mean on the SOC grid at ``cold_c``, in seconds of
    the current: under a C-rate ``c`` the surface settles ``lead * c / 3600`` ahead. Empty: no
    diffusion. It depends on SOC because the electrode that shapes the OCV there does: the
    graphite's slow particles at LFP's empty end, LFP's small ones at its full end."""
    lead_warm: tuple[float, ...] = ()
    lead_tau_s: tuple[float, float] = (1.0, 1.0)
    """(cold, warm) time constant of that lead (s): the particles' diffusion time."""
    exchange_cold: tuple[float, ...] = ()
    """Log of the exchange current of the Butler-Volmer charge-transfer overpotential on the
    SOC grid at ``cold_c``, as a C-rate (amps per ampere-hour of capacity). Empty: no
    nonlinear kinetics (the charge transfer is linear, inside R0)."""
    exchange_warm: tuple[float, ...] = ()

    def exchange_c_rate(self, soc: float, celsius: float) -> float:
        """Exchange current (as a C-rate) of the Butler-Volmer overpotential; 0 without.

        Linear in SOC of its log, and in 1/T between the two temperatures (Arrhenius, like
        the resistances: the exchange current density is an activated rate).
        """
        if not self.exchange_warm:
            return 0.0
        position = min(max(soc, 0.0), 1.0) * GRID
        index = min(int(position), GRID - 1)
        frac = position - index
        weight = self.temperature_weight(celsius)
        w0, w1 = self.exchange_warm[index], self.exchange_warm[index + 1]
        c0, c1 = self.exchange_cold[index], self.exchange_cold[index + 1]
        at_warm = w0 + (w1 - w0) * frac
        at_cold = c0 + (c1 - c0) * frac
        return math.exp(at_warm + (at_cold - at_warm) * weight)

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

    def diffusion(self, soc: float, celsius: float) -> tuple[float, float]:
        """(lead in s, its time constant in s) at ``soc`` and ``celsius``; (0, 1) without.

        Linear in SOC, and in 1/T between the two temperatures like the resistances (the
        lead is a diffusion time, and diffusivity is Arrhenius); never below 0.
        """
        if not self.lead_warm:
            return 0.0, 1.0
        position = min(max(soc, 0.0), 1.0) * GRID
        index = min(int(position), GRID - 1)
        frac = position - index
        weight = self.temperature_weight(celsius)
        warm = self.lead_warm[index] + (self.lead_warm[index + 1] - self.lead_warm[index]) * frac
        cold = self.lead_cold[index] + (self.lead_cold[index + 1] - self.lead_cold[index]) * frac
        tau_cold, tau_warm = self.lead_tau_s
        tau = math.exp(math.log(tau_warm) + (math.log(tau_cold) - math.log(tau_warm)) * weight)
        return max(warm + (cold - warm) * weight, 0.0), tau


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


class _Diffusion(BaseModel):
    """Solid diffusion (see ``ChemistryTables.lead_cold``): per temperature (keyed like the
    tables), the lead in seconds at ``soc`` and its time constant in seconds."""

    soc: list[float]
    lead_s: dict[str, list[float]]
    tau_s: dict[str, float]


class _Kinetics(BaseModel):
    """Butler-Volmer charge transfer (see ``ChemistryTables.exchange_cold``): per temperature
    (keyed like the tables), the exchange current as a C-rate at ``soc``."""

    soc: list[float]
    exchange_c: dict[str, list[float]]


class _Entry(BaseModel):
    """One chemistry as ``fit.py`` writes it (validated: a hand edit cannot slip through)."""

    reference_capacity_ah: float = Field(gt=0)
    soc: list[float]
    tables: dict[str, _TableSet]
    """Keyed by the temperature in degC (exactly two)."""
    hysteresis_v: float = Field(default=0.0, ge=0)
    hysteresis_rate: float = Field(default=30.0, gt=0)
    entropic_v_per_k: float = 0.0
    diffusion: _Diffusion | None = None
    """None: no diffusion state (the chemistry's charge is fitted without it)."""
    kinetics: _Kinetics | None = None
    """None: charge transfer linear in the current (inside R0)."""


class _File(BaseModel):
    chemistries: dict[str, _Entry]
    aliases: dict[str, str] = {}


def _build(chemistry: str, entry: _Entry) -> ChemistryTables:
    cold_key, warm_key = sorted(entry.tables, key=float)
    cold_c, warm_c = float(cold_key), float(warm_key)
    cold, warm = entry.tables[cold_key], entry.tables[warm_key]
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
        **_diffusion(entry, cold_key, warm_key),
        **_kinetics(entry, cold_key, warm_key),
    )


def _kinetics(entry: _Entry, cold: str, warm: str) -> dict[str, Any]:
    """``ChemistryTables``' exchange-current fields from the entry (none: the defaults)."""
    found = entry.kinetics
    if found is None:
        return {}
    if set(found.exchange_c) != set(entry.tables):
        raise ValueError("kinetics must be given at the same temperatures as the tables")
    if any(v <= 0.0 for values in found.exchange_c.values() for v in values):
        raise ValueError("kinetics: every exchange_c must be > 0 (a C-rate)")
    return {
        "exchange_cold": _resample(found.soc, found.exchange_c[cold]),
        "exchange_warm": _resample(found.soc, found.exchange_c[warm]),
    }


def _diffusion(entry: _Entry, cold: str, warm: str) -> dict[str, Any]:
    """``ChemistryTables``' diffusion fields from the entry (none: the dataclass defaults)."""
    found = entry.diffusion
    if found is None:
        return {}
    if set(found.lead_s) != set(entry.tables) or set(found.tau_s) != set(entry.tables):
        raise ValueError("diffusion must be given at the same temperatures as the tables")
    grid = np.linspace(0.0, 1.0, GRID + 1)

    def resampled(key: str) -> tuple[float, ...]:
        values = np.interp(grid, np.asarray(found.soc), np.asarray(found.lead_s[key]))
        return tuple(max(float(v), 0.0) for v in values)

    return {
        "lead_cold": resampled(cold),
        "lead_warm": resampled(warm),
        "lead_tau_s": (found.tau_s[cold], found.tau_s[warm]),
    }


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
