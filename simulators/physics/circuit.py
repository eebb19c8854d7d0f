"""Solving the one node that matters: P+ against P- (or B+ against B- on the board fixture).

Everything connected there is a monotonic current-voltage curve: the pack behind its board
(sinks current above its EMF if the charge path conducts, sources below it if the discharge
path conducts, nothing in between), the source (supplies up to its current limit below its
setpoint), the load, the multimeter's 10 MOhm. The node voltage is the root of their sum.

Ideal elements are given tiny but finite slopes (1 uOhm source, 0.1 mOhm CV load, 10 mV Von
ramp) so every curve is continuous and piecewise linear: the root is then found exactly by
evaluating the sum at the break points and interpolating inside the bracketing segment. Only
the constant-power load is curved; a few regula-falsi steps finish it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from simulators.wiring import LoadSettings

DMM_INPUT_RESISTANCE = 10e6
SOURCE_OUTPUT_RESISTANCE = 1e-6
LOAD_MIN_RESISTANCE = 0.05
"""An electronic load cannot hold its set current below ~level x 50 mOhm (its MOSFETs' R_on)."""
SHORT_RESISTANCE = 0.05
"""Load "short" mode: ~50 mOhm, capped at the load's rated current (documented choice)."""
VON_RAMP = 0.01
CV_LOAD_SLOPE = 1e-4


@dataclass(slots=True)
class PackTerminal:
    """The pack (or anything behind a board) as its two-sided, dead-banded I-V curve."""

    emf: float
    charge_ok: bool
    charge_offset: float
    charge_resistance: float
    discharge_ok: bool
    discharge_offset: float
    discharge_resistance: float

    @property
    def charge_knee(self) -> float:
        return self.emf + self.charge_offset

    @property
    def discharge_knee(self) -> float:
        return self.emf - self.discharge_offset

    def current(self, voltage: float) -> float:
        """Current into the pack at terminal ``voltage`` (negative when it discharges)."""
        if self.charge_ok and voltage > self.charge_knee:
            return (voltage - self.charge_knee) / self.charge_resistance
        if self.discharge_ok and voltage < self.discharge_knee:
            return (voltage - self.discharge_knee) / self.discharge_resistance
        return 0.0

    def voltage_at(self, current: float) -> float:
        """Inverse of ``current`` on a conducting branch (for the closed-form fast path)."""
        if current > 0.0:
            return self.charge_knee + current * self.charge_resistance
        return self.discharge_knee + current * self.discharge_resistance


def source_current(setpoint: float, resistance: float, limit: float, voltage: float) -> float:
    """Current a CV source with current limit supplies into ``voltage``; it never sinks."""
    current = (setpoint - voltage) / resistance
    if current <= 0.0:
        return 0.0
    return limit if current > limit else current


def load_current(load: LoadSettings, voltage: float) -> float:
    """Current the load sinks at ``voltage`` (mode semantics of DL3000 / IT8500 class loads)."""
    if not load.input_on or voltage <= 0.0:
        return 0.0
    if load.short:
        return min(load.max_current, voltage / SHORT_RESISTANCE)
    gate = 1.0
    if load.von > 0.0:
        if voltage <= load.von:
            return 0.0
        gate = min(1.0, (voltage - load.von) / VON_RAMP)
    function = load.function
    if function == "CC":
        current = min(max(load.level, 0.0), voltage / LOAD_MIN_RESISTANCE)
    elif function == "CR":
        current = voltage / load.level if load.level > 0.0 else load.max_current
    elif function == "CV":
        current = max(0.0, (voltage - load.level) / CV_LOAD_SLOPE)
    else:  # CP
        current = min(max(load.level, 0.0) / voltage, voltage / LOAD_MIN_RESISTANCE)
    return gate * min(current, load.max_current)


def load_breakpoints(load: LoadSettings) -> list[float]:
    if not load.input_on:
        return []
    points = [0.0, load.max_current * LOAD_MIN_RESISTANCE, load.max_current * SHORT_RESISTANCE]
    if load.von > 0.0:
        points += [load.von, load.von + VON_RAMP]
    if load.function == "CC":
        points.append(max(load.level, 0.0) * LOAD_MIN_RESISTANCE)
    elif load.function == "CV":
        points += [load.level, load.level + load.max_current * CV_LOAD_SLOPE]
    elif load.function == "CR":
        points.append(load.level * load.max_current)
    elif load.function == "CP" and load.level > 0.0:
        points.append(math.sqrt(load.level * LOAD_MIN_RESISTANCE))
        points.append(load.level / load.max_current)
    return points


def solve_node(
    net_current: Callable[[float], float], breakpoints: Iterable[float], curved: bool
) -> float:
    """Root of ``net_current`` (monotonic non-decreasing: current drawn from the node).

    ``curved``: some element is not piecewise linear, so refine inside the final segment.
    """
    points = sorted({p for p in breakpoints if math.isfinite(p)})
    low = min(points[0] - 1.0, -1.0) if points else -1.0
    high = max(points[-1] + 100.0, 100.0) if points else 100.0
    f_low = net_current(low)
    f_high = net_current(high)
    for point in points:
        if point <= low or point >= high:
            continue
        value = net_current(point)
        if value == 0.0:
            return point
        if value < 0.0:
            low, f_low = point, value
        else:
            high, f_high = point, value
            break
    if f_low >= 0.0:
        return low
    if f_high <= 0.0:
        return high
    root = low - f_low * (high - low) / (f_high - f_low)
    if not curved:
        return root
    side = 0
    for _ in range(60):
        value = net_current(root)
        if abs(value) < 1e-12 or high - low < 1e-12:
            break
        if value < 0.0:
            low, f_low = root, value
            if side == -1:
                f_high *= 0.5
            side = -1
        else:
            high, f_high = root, value
            if side == 1:
                f_low *= 0.5
            side = 1
        root = low - f_low * (high - low) / (f_high - f_low)
    return root
