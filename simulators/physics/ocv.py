"""Open-circuit voltage against state of charge, per chemistry.

Tables are the C/20 pseudo-OCV breakpoints of battery-domain.md §6.1 (Samsung INR21700-40T for
NMC, Lithium Werks APR18650M1B for LFP); LCO is the NMC curve lifted by up to 50 mV mid-SOC,
as LCO sits 30-80 mV higher there. The curves are resampled once onto a uniform grid so a
lookup is an index and one interpolation: the model calls this millions of times per run.

Outside 0..1 the curve is extrapolated so faults stay representable: below empty the voltage
falls linearly to 0 V at ``SOC_AT_ZERO_VOLT`` (a cell "at 1 V" is deeply discharged, not
missing), above full it rises at 1 V per unit SOC (an over-charged cell passes 4.3 V).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from simulators.physics.parameters import Chemistry

SOC_AT_ZERO_VOLT = -0.05
"""SOC (fraction of capacity) at which a deeply discharged cell reaches 0 V."""
OVERCHARGE_SLOPE = 1.0
"""Volts per unit SOC above full: steep enough that over-charge protection matters."""

_NMC: tuple[tuple[float, float], ...] = (
    (0.0, 2.5000),
    (0.0050, 2.8080),
    (0.0352, 3.1179),
    (0.0854, 3.3182),
    (0.1357, 3.4193),
    (0.2915, 3.5826),
    (0.4523, 3.6941),
    (0.8392, 4.0664),
    (0.9548, 4.1121),
    (1.0, 4.2000),
)
_LFP: tuple[tuple[float, float], ...] = (
    (0.0, 2.0102),
    (0.0033, 2.4177),
    (0.0117, 2.7405),
    (0.0267, 2.9299),
    (0.0534, 3.0872),
    (0.0885, 3.1942),
    (0.2972, 3.2772),
    (0.9833, 3.3511),
    (0.9950, 3.4180),
    (1.0, 3.5981),
)
_LCO_MID_OFFSET = 0.05

_GRID = 2000
"""Uniform samples over 0..1: 0.05 % SOC spacing keeps the resampling error under 1 mV."""


def _interpolate(table: tuple[tuple[float, float], ...], soc: float) -> float:
    for (s0, v0), (s1, v1) in itertools.pairwise(table):
        if soc <= s1:
            return v0 + (v1 - v0) * (soc - s0) / (s1 - s0)
    return table[-1][1]


def _sample(chemistry: Chemistry) -> list[float]:
    table = _LFP if chemistry == "LFP" else _NMC
    values = []
    for k in range(_GRID + 1):
        soc = k / _GRID
        value = _interpolate(table, soc)
        if chemistry == "LCO":
            value += _LCO_MID_OFFSET * math.sin(math.pi * soc)
        values.append(value)
    return values


def _resample(points: Sequence[tuple[float, float]]) -> list[float]:
    socs = np.asarray([p[0] for p in points])
    volts = np.asarray([p[1] for p in points])
    return [float(v) for v in np.interp(np.linspace(0.0, 1.0, _GRID + 1), socs, volts)]


class OcvCurve:
    """OCV(SOC) of one chemistry, and its inverse for setting a cell to a voltage."""

    def __init__(self, chemistry: Chemistry, points: Sequence[tuple[float, float]] = ()) -> None:
        """``points``: (SOC, OCV) breakpoints of another cell of ``chemistry`` (default: §6.1's)."""
        self.chemistry = chemistry
        self._values = _sample(chemistry) if not points else _resample(points)
        self.empty_voltage = self._values[0]
        self.full_voltage = self._values[-1]

    def voltage(self, soc: float) -> float:
        if soc <= 0.0:
            if soc <= SOC_AT_ZERO_VOLT:
                return 0.0
            return self.empty_voltage * (1.0 - soc / SOC_AT_ZERO_VOLT)
        if soc >= 1.0:
            return self.full_voltage + OVERCHARGE_SLOPE * (soc - 1.0)
        position = soc * _GRID
        index = int(position)
        low = self._values[index]
        return low + (self._values[index + 1] - low) * (position - index)

    def slope(self, soc: float) -> float:
        """dOCV/dSOC (volts per unit SOC), for step-size control near thresholds."""
        step = 1.0 / _GRID
        return (self.voltage(soc + step) - self.voltage(soc - step)) / (2 * step)

    def soc_at(self, voltage: float) -> float:
        """The SOC whose OCV is ``voltage`` (bisection: the curve is monotonic)."""
        if voltage <= 0.0:
            return SOC_AT_ZERO_VOLT
        low, high = SOC_AT_ZERO_VOLT, 1.0 + 1.0 / OVERCHARGE_SLOPE
        for _ in range(60):
            middle = 0.5 * (low + high)
            if self.voltage(middle) < voltage:
                low = middle
            else:
                high = middle
        return 0.5 * (low + high)


_CURVES: dict[str, OcvCurve] = {}


def curve(chemistry: Chemistry) -> OcvCurve:
    """Shared curve per chemistry (built once: the tables never change)."""
    if chemistry not in _CURVES:
        _CURVES[chemistry] = OcvCurve(chemistry)
    return _CURVES[chemistry]
