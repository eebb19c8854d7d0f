"""The series string of cells behind the board: builds cells from the spec and their faults.

A pack is ``series`` positions (each a parallel group, see ``cell.py``) plus the nickel strip
and lead resistance between them, as battery-domain §6.3 budgets it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from simulators.physics.cell import SECONDS_PER_MONTH, Cell, CellParameters
from simulators.physics.ocv import curve
from simulators.physics.parameters import PackParameters

INTERCONNECT_RESISTANCE = 0.002
"""Ni strip and two welds between series positions."""
LEAD_RESISTANCE = 0.008
"""Pack leads and connector."""
TYPICAL_AC_FRACTION = 0.8
"""A new cell typically reads 80 % of its datasheet maximum 1 kHz resistance."""


@dataclass(frozen=True)
class CellCondition:
    """How one series position differs from a fresh cell (the data a fault scenario carries)."""

    index: int
    soc: float | None = None
    """State of charge to start from (may be below 0: deeply discharged)."""
    voltage: float | None = None
    """Open-circuit voltage to start from (overrides ``soc``)."""
    resistance_factor: float = 1.0
    capacity_factor: float = 1.0
    leak_resistance: float = math.inf
    self_discharge_factor: float = 1.0


def cell_parameters(pack: PackParameters, condition: CellCondition | None) -> CellParameters:
    """Parameters of one series position; a ``condition`` scales the whole parallel group."""
    c = condition or CellCondition(index=-1)
    p = pack.parallel
    capacity = pack.cell_capacity_ah * p * c.capacity_factor
    r0 = TYPICAL_AC_FRACTION * pack.cell_ac_resistance_new / p * c.resistance_factor
    self_discharge = (
        pack.self_discharge_per_month * pack.cell_capacity_ah * p / (SECONDS_PER_MONTH / 3600.0)
    ) * c.self_discharge_factor
    return CellParameters(
        capacity_ah=capacity,
        r0=r0,
        r1=0.4 * r0,
        tau1=15.0,
        r2=0.5 * r0,
        tau2=400.0,
        self_discharge_current=self_discharge,
        leak_resistance=c.leak_resistance,
        thermal_mass=45.0 * p,
        thermal_resistance=30.0 / p,
        fitted=pack.cell_dynamics == "fitted",
        resistance_factor=c.resistance_factor,
        nominal_capacity_ah=pack.cell_capacity_ah * p,
    )


class Pack:
    def __init__(
        self,
        parameters: PackParameters,
        soc: float,
        conditions: Sequence[CellCondition] = (),
    ) -> None:
        self.parameters = parameters
        by_index = {c.index: c for c in conditions}
        ocv = curve(parameters.chemistry)
        self.cells: list[Cell] = []
        for index in range(parameters.series):
            condition = by_index.get(index)
            start = soc
            if condition is not None and condition.soc is not None:
                start = condition.soc
            if condition is not None and condition.voltage is not None:
                start = ocv.soc_at(condition.voltage)
            self.cells.append(Cell(cell_parameters(parameters, condition), ocv, start))
        self.smallest_capacity_ah = min(c.parameters.capacity_ah for c in self.cells)
        self.wiring_resistance = INTERCONNECT_RESISTANCE * (parameters.series - 1) + LEAD_RESISTANCE

    def emf(self) -> float:
        return sum(cell.emf() for cell in self.cells)

    def resistance(self) -> float:
        """DC resistance from B+ to B- seen by a current step (R0 of every cell plus wiring)."""
        return sum(cell.r0() for cell in self.cells) + self.wiring_resistance

    def ac_resistance(self) -> float:
        return sum(cell.ac_resistance() for cell in self.cells) + self.wiring_resistance

    def cell_voltages(self, current: float) -> list[float]:
        return [cell.terminal_voltage(current) for cell in self.cells]

    def largest_leak(self) -> float:
        return max(cell.leak_current() for cell in self.cells)

    def step(self, current: float, dt: float, drain: float) -> None:
        for cell in self.cells:
            cell.step(current, dt, drain)
