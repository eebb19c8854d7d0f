"""One series position of the pack: a Thevenin cell (R0 + two RC pairs) with leak and heat.

Parallel cells share one terminal voltage and equalise among themselves, so a parallel group is
modelled as one equivalent cell (capacity times P, resistance divided by P). A per-cell fault on
a parallel pack therefore affects the whole group it sits in: that is what the bench can see,
since the resistance meter's probes on a cell of a P group see the group.

Sign convention of the whole physics package: current is positive INTO the cell (charging).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulators.physics.ocv import OcvCurve

SECONDS_PER_MONTH = 30 * 86400.0
_R_TEMPERATURE_COEFF = math.log(2.0) / 25.0
"""Resistance roughly doubles from 25 °C to 0 °C (battery-domain §6.2)."""


@dataclass(frozen=True)
class CellParameters:
    capacity_ah: float
    r0: float
    """Ohmic resistance at 25 °C; also what a 1 kHz AC meter reads."""
    r1: float
    tau1: float
    r2: float
    tau2: float
    self_discharge_current: float
    """Amps drawn inside the cell by ordinary self-discharge."""
    leak_resistance: float = math.inf
    """Internal (soft) short across the cell; ``inf`` when healthy."""
    thermal_mass: float = 45.0
    """J/K (an 18650 weighs ~45 g at ~1 J/(g·K)), times the parallel count."""
    thermal_resistance: float = 30.0
    """K/W to ambient by natural convection, divided by the parallel count."""
    ambient_c: float = 25.0


class Cell:
    """State and dynamics of one series position (a cell or a parallel group)."""

    def __init__(self, parameters: CellParameters, ocv: OcvCurve, soc: float) -> None:
        self.parameters = parameters
        self.ocv_curve = ocv
        self._soc = soc
        self._ocv = ocv.voltage(soc)
        self._scale = 1.0
        self.u1 = 0.0
        self.u2 = 0.0
        self.temperature_c = parameters.ambient_c
        self.coulombs_in_ah = 0.0
        """Integral of terminal current (what an ideal coulomb counter on the cell reads)."""

    # --- electrical view -------------------------------------------------------------------
    # OCV and the temperature scale are cached: the circuit solver asks for them several times
    # per sub-step and they only change when ``step`` (or a test setting ``soc``) moves them.
    @property
    def soc(self) -> float:
        return self._soc

    @soc.setter
    def soc(self, value: float) -> None:
        self._soc = value
        self._ocv = self.ocv_curve.voltage(value)

    def ocv(self) -> float:
        return self._ocv

    def resistance_scale(self) -> float:
        """Cold cells are more resistive; clipped so a frozen or hot cell stays plausible."""
        return self._scale

    def _update_scale(self) -> None:
        scale = math.exp(_R_TEMPERATURE_COEFF * (25.0 - self.temperature_c))
        self._scale = min(max(scale, 0.5), 8.0)

    def emf(self) -> float:
        """Terminal voltage at zero current now (OCV plus the polarisation still relaxing)."""
        return self._ocv + self.u1 + self.u2

    def r0(self) -> float:
        return self.parameters.r0 * self._scale

    def ac_resistance(self) -> float:
        return self.r0()

    def terminal_voltage(self, current: float) -> float:
        return self.emf() + self.r0() * current

    def leak_current(self) -> float:
        """Current lost inside the cell: self-discharge plus any internal short."""
        ocv = self._ocv
        leak = self.parameters.self_discharge_current if ocv > 0.0 else 0.0
        if ocv > 0.0 and self.parameters.leak_resistance != math.inf:
            leak += ocv / self.parameters.leak_resistance
        return leak

    @property
    def charge_ah(self) -> float:
        return self.soc * self.parameters.capacity_ah

    # --- dynamics ----------------------------------------------------------------------------
    def step(self, current: float, dt: float, drain: float = 0.0) -> None:
        """Hold ``current`` (into the cell) for ``dt`` seconds; ``drain``: external quiescent load.

        RC branches and temperature use their exact exponential solution for a constant input,
        so a long step is stable; only SOC is integrated explicitly (it is linear in current).
        """
        p = self.parameters
        scale = self._scale
        ocv = self._ocv
        leak = self.leak_current()
        self.coulombs_in_ah += current * dt / 3600.0
        self.soc = max(self._soc + (current - leak - drain) * dt / (3600.0 * p.capacity_ah), -0.2)
        r0 = p.r0 * scale
        heat = current * current * r0 + current * (self.u1 + self.u2)
        if p.leak_resistance != math.inf and ocv > 0.0:
            heat += ocv * ocv / p.leak_resistance
        decay1 = math.exp(-dt / p.tau1)
        decay2 = math.exp(-dt / p.tau2)
        self.u1 = self.u1 * decay1 + p.r1 * scale * current * (1.0 - decay1)
        self.u2 = self.u2 * decay2 + p.r2 * scale * current * (1.0 - decay2)
        steady = p.ambient_c + max(heat, 0.0) * p.thermal_resistance
        decay_t = math.exp(-dt / (p.thermal_mass * p.thermal_resistance))
        self.temperature_c = steady + (self.temperature_c - steady) * decay_t
        self._update_scale()

    def snapshot(self, current: float) -> dict[str, float]:
        return {
            "voltage": self.terminal_voltage(current),
            "ocv": self.ocv(),
            "soc": self.soc,
            "temperature_c": self.temperature_c,
            "ac_resistance": self.ac_resistance(),
            "charge_ah": self.charge_ah,
            "coulombs_in_ah": self.coulombs_in_ah,
            "current": current,
        }
