"""The series string of cells behind the board: builds cells from the spec and their faults.

A pack is ``series`` positions plus the nickel strip and lead resistance between them, as
battery-domain §6.3 budgets it. Each position is a ``ParallelGroup`` of ``parallel`` cells,
each its own ``Cell`` with its own state: they share the group's terminal, so a current into
the group divides by their impedance and unequal cells exchange current at rest. That is what
lets one cell of a 1S2P pack be shorted or aged while its neighbour is healthy, and what the
cell fixture reads cell by cell once the pack is opened.

What the circuit sees at an instant is each cell's EMF (OCV plus the polarisation still
relaxing) behind its ohmic resistance R0: the group terminal V solves
sum((V - emf_k) / r0_k) = I. Over a time step the division is implicit in the fast branches:
each cell's share is the one that leaves every cell at the same terminal voltage at the end of
the step, its charge-transfer and RC branches having answered it (``Cell.step_response``).
Dividing by R0 alone, explicitly, is unstable once those branches outweigh R0 within a step
(the fitted cells' charge transfer over 15 ms load steps): the exchange overshoots each step
and grows. A group whose cells are all alike (no fault of one cell) is simulated as their exact
equivalent cell, so a healthy 1S2P pack costs what a 1S1P one does. The fixture bounds a step
by the largest rate any cell sees (``largest_leak``), circulating currents included, so the
explicit SOC integration stays accurate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulators.physics.cell import SECONDS_PER_MONTH, Cell, CellParameters
from simulators.physics.ocv import OcvCurve, curve
from simulators.physics.parameters import PackParameters

INTERCONNECT_RESISTANCE = 0.002
"""Ni strip and two welds between series positions."""
LEAD_RESISTANCE = 0.008
"""Pack leads and connector."""
TYPICAL_AC_FRACTION = 0.8
"""A new cell typically reads 80 % of its datasheet maximum 1 kHz resistance."""


@dataclass(frozen=True)
class CellCondition:
    """How one cell (or a whole parallel group) differs from a fresh cell.

    ``index`` is the series position; ``member`` the cell within its parallel group
    (``None``: every cell of the group alike, the pre-parallel meaning of a condition).
    """

    index: int
    soc: float | None = None
    """State of charge to start from (may be below 0: deeply discharged)."""
    voltage: float | None = None
    """Open-circuit voltage to start from (overrides ``soc``)."""
    resistance_factor: float = 1.0
    capacity_factor: float = 1.0
    leak_resistance: float = math.inf
    self_discharge_factor: float = 1.0
    member: int | None = None
    thermal_resistance_factor: float = 1.0
    """A swollen cell has lost contact with its neighbours and holder: it sheds heat worse."""
    cold_resistance_factor: float = 1.0
    """Extra resistance factor at 0 °C and below, fading linearly to none at 25 °C (a plated
    cell's lithium film and blocked pores show most when cold)."""
    swelling_mm: float = 0.0
    """How far the case bulges (gas inside): no electrical effect of its own, but what an
    operator sees on the opened pack (``ParallelGroup.snapshot`` reports it per cell)."""


def cell_parameters(
    pack: PackParameters, condition: CellCondition | None, parallel: int = 1
) -> CellParameters:
    """Parameters of one cell (a ``condition`` may change them), or with ``parallel`` > 1 of
    the equivalent cell of that many identical ones: capacity, self-discharge and thermal mass
    times P, resistances (ohmic, RC, leak, thermal) divided by P."""
    c = condition or CellCondition(index=-1)
    p = parallel
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
        leak_resistance=c.leak_resistance / p,
        thermal_mass=45.0 * p,
        thermal_resistance=30.0 * c.thermal_resistance_factor / p,
        fitted=pack.cell_dynamics == "fitted",
        resistance_factor=c.resistance_factor,
        nominal_capacity_ah=pack.cell_capacity_ah * p,
    )


def cold_factor(condition: CellCondition | None, temperature_c: float) -> float:
    """Resistance multiplier of ``cold_resistance_factor`` at ``temperature_c``."""
    if condition is None or condition.cold_resistance_factor == 1.0:
        return 1.0
    coldness = min(max((25.0 - temperature_c) / 25.0, 0.0), 1.0)
    return 1.0 + (condition.cold_resistance_factor - 1.0) * coldness


@dataclass(frozen=True)
class GroupParameters:
    capacity_ah: float


class ParallelGroup:
    """One series position: ``parallel`` cells on one terminal (duck-types ``Cell`` for the
    fixture, the network and the IC, which see a series position as one)."""

    def __init__(
        self,
        cells: list[Cell],
        conditions: list[CellCondition | None] | None = None,
        uniform: int = 1,
    ) -> None:
        self.cells = cells
        self.uniform = uniform
        """> 1: ``cells`` is the one equivalent cell of this many identical, equally charged
        cells (exact for identical cells, which share current equally and never exchange any;
        each reads ``uniform`` times its resistance and carries 1/``uniform`` of its charge)."""
        self.members = len(cells) * uniform
        self.conditions = conditions or [None] * len(cells)
        self.parameters = GroupParameters(sum(c.parameters.capacity_ah for c in cells))
        self.ocv_curve: OcvCurve = cells[0].ocv_curve
        self._cold = any(c is not None and c.cold_resistance_factor != 1.0 for c in self.conditions)
        self._solved: tuple[list[float], float, float, list[float]] | None = None
        self._rate: float | None = None
        """(conductances, their sum, the group's EMF), until a step or ``rest_at`` moves the
        cells: the solver asks for them many times per sub-step. Change the cells through the
        group, or call ``invalidate``."""

    def invalidate(self) -> None:
        self._solved = None

    # --- the shared terminal ---------------------------------------------------------------
    def cell_r0(self, k: int) -> float:
        cell = self.cells[k]
        if not self._cold:
            return cell.r0()
        return cell.r0() * cold_factor(self.conditions[k], cell.temperature_c)

    def cell_ac_resistance(self, k: int) -> float:
        """1 kHz resistance of member ``k`` read on its own (a uniform group's: all alike)."""
        if self.uniform > 1:
            k = 0
        cell = self.cells[k]
        factor = cold_factor(self.conditions[k], cell.temperature_c)
        return cell.ac_resistance() * factor * self.uniform

    def _solve(self) -> tuple[list[float], float, float, list[float]]:
        solved = self._solved
        if solved is None:
            emfs = [c.emf() for c in self.cells]
            if self._cold:
                g = [1.0 / self.cell_r0(k) for k in range(len(self.cells))]
            else:
                g = [1.0 / c.r0() for c in self.cells]
            total = 0.0
            weighted = 0.0
            for gk, e in zip(g, emfs, strict=True):
                total += gk
                weighted += gk * e
            solved = self._solved = (g, total, weighted / total, emfs)
            self._rate = None
        return solved

    def _conductances(self) -> list[float]:
        return self._solve()[0]

    def emf(self) -> float:
        if len(self.cells) == 1:
            return self.cells[0].emf()
        return self._solve()[2]

    def r0(self) -> float:
        if len(self.cells) == 1:
            return self.cell_r0(0)
        return 1.0 / self._solve()[1]

    def ac_resistance(self) -> float:
        if len(self.cells) == 1:
            return self.cell_ac_resistance(0) / self.uniform
        return 1.0 / sum(1.0 / self.cell_ac_resistance(k) for k in range(len(self.cells)))

    def terminal_voltage(self, current: float) -> float:
        if len(self.cells) == 1:
            return self.cells[0].emf() + self.cell_r0(0) * current
        _, total, emf, _ = self._solve()
        return emf + current / total

    def shares(self, current: float) -> list[float]:
        """Each cell's current (into it) when ``current`` flows into the group."""
        if len(self.cells) == 1:
            return [current]
        g, total, emf, emfs = self._solve()
        terminal = emf + current / total
        return [gk * (terminal - e) for gk, e in zip(g, emfs, strict=True)]

    def leak_current(self) -> float:
        return sum(c.leak_current() for c in self.cells)

    def largest_rate(self) -> float:
        """The fastest internal rate of any cell at rest, in amps of the group's capacity.

        A cell's own leak plus the current its neighbours push into or draw from it, scaled
        so the fixture's SOC-per-step bound (written for the group) holds for that cell.
        """
        if len(self.cells) == 1:
            return self.cells[0].leak_current()
        shares = self.shares(0.0)  # solves, which resets the cached rate when stale
        if self._rate is None:
            total = self.parameters.capacity_ah
            rate = 0.0
            for i, c in zip(shares, self.cells, strict=True):
                r = (abs(i) + c.leak_current()) * total / c.parameters.capacity_ah
                if r > rate:
                    rate = r
            self._rate = rate
        return self._rate

    # --- state, as the fixture and the snapshots address a position -------------------------
    @property
    def soc(self) -> float:
        return sum(c.charge_ah for c in self.cells) / self.parameters.capacity_ah

    def ocv(self) -> float:
        return sum(c.ocv() for c in self.cells) / len(self.cells)

    @property
    def temperature_c(self) -> float:
        return max(c.temperature_c for c in self.cells)

    @property
    def charge_ah(self) -> float:
        return sum(c.charge_ah for c in self.cells)

    @property
    def coulombs_in_ah(self) -> float:
        return sum(c.coulombs_in_ah for c in self.cells)

    def rest_at(self, soc: float) -> None:
        """Every cell at ``soc``, polarisation relaxed (a pack "at 3.0 V" for tests)."""
        for cell in self.cells:
            cell.lead = 0.0  # before the SOC, which recomputes the surface OCV from it
            cell.soc = soc
            cell.u1 = cell.u2 = 0.0
        self._solved = None

    def step(self, current: float, dt: float, drain: float = 0.0) -> None:
        if len(self.cells) == 1:
            self.cells[0].step(current, dt, drain)
            return
        # Shared so that the cells end the step at one terminal voltage (``Cell.step_response``):
        # each cell's RC and charge-transfer branches answer its share within the step, and a
        # division by the instantaneous R0 alone overshoots and grows once they outweigh it.
        responses = [c.step_response(dt) for c in self.cells]
        g = []
        for k, (_, resistance) in enumerate(responses):
            if self._cold:
                resistance *= cold_factor(self.conditions[k], self.cells[k].temperature_c)
            g.append(1.0 / resistance)
        total = sum(g)
        terminal = (current + sum(gk * e for gk, (e, _) in zip(g, responses, strict=True))) / total
        per_siemens = drain / total
        for cell, gk, (e, _) in zip(self.cells, g, responses, strict=True):
            cell.step(gk * (terminal - e), dt, per_siemens * gk)
        self._solved = None

    def snapshot(self, current: float) -> dict[str, Any]:
        shares = self.shares(current)
        members: list[dict[str, Any]] = []
        n = self.uniform
        for k, (cell, share) in enumerate(zip(self.cells, shares, strict=True)):
            member: dict[str, Any] = dict(cell.snapshot(share))
            member["voltage"] = self.terminal_voltage(current)
            member["ac_resistance"] = self.cell_ac_resistance(k)
            condition = self.conditions[k]
            member["swelling_mm"] = 0.0 if condition is None else condition.swelling_mm
            for key in ("charge_ah", "coulombs_in_ah", "current"):
                member[key] = member[key] / n
            members.extend(dict(member) for _ in range(n))
        return {
            "voltage": self.terminal_voltage(current),
            "ocv": self.ocv(),
            "soc": self.soc,
            "temperature_c": self.temperature_c,
            "ac_resistance": self.ac_resistance(),
            "charge_ah": self.charge_ah,
            "coulombs_in_ah": self.coulombs_in_ah,
            "current": current,
            "members": members,
        }


class Pack:
    def __init__(
        self,
        parameters: PackParameters,
        soc: float,
        conditions: Sequence[CellCondition] = (),
    ) -> None:
        self.parameters = parameters
        ocv = curve(parameters.chemistry)
        self.cells: list[ParallelGroup] = []
        """The series positions (what the board's IC and the pack's terminals see)."""
        for index in range(parameters.series):
            chosen = [
                _condition_for(conditions, index, member) for member in range(parameters.parallel)
            ]
            # Identical members (no condition of one cell alone): their equivalent cell.
            count = parameters.parallel if all(c is chosen[0] for c in chosen) else 1
            members: list[Cell] = []
            for condition in chosen[::count]:
                start = soc
                if condition is not None and condition.soc is not None:
                    start = condition.soc
                if condition is not None and condition.voltage is not None:
                    start = ocv.soc_at(condition.voltage)
                members.append(Cell(cell_parameters(parameters, condition, count), ocv, start))
            self.cells.append(ParallelGroup(members, chosen[::count], count))
        self.individual_cells: list[Cell] = [c for g in self.cells for c in g.cells]
        """Every simulated cell, series position by position (a uniform group: its one
        equivalent cell); the cell fixture addresses members through ``locate``."""
        self.smallest_capacity_ah = min(g.parameters.capacity_ah for g in self.cells)
        self.wiring_resistance = INTERCONNECT_RESISTANCE * (parameters.series - 1) + LEAD_RESISTANCE

    def locate(self, cell: int) -> tuple[ParallelGroup, int]:
        """Series group and member of the ``cell``-th individual cell (series-major order)."""
        p = self.parameters.parallel
        return self.cells[cell // p], cell % p

    def emf(self) -> float:
        total = 0.0
        for group in self.cells:
            total += group.emf()
        return total

    def resistance(self) -> float:
        """DC resistance from B+ to B- seen by a current step (R0 of every group plus wiring)."""
        total = self.wiring_resistance
        for group in self.cells:
            total += group.r0()
        return total

    def ac_resistance(self) -> float:
        return sum(group.ac_resistance() for group in self.cells) + self.wiring_resistance

    def cell_voltages(self, current: float) -> list[float]:
        return [group.terminal_voltage(current) for group in self.cells]

    def largest_leak(self) -> float:
        """The fastest internal rate of any cell, in amps of its group's capacity."""
        largest = 0.0
        for group in self.cells:
            rate = group.largest_rate()
            if rate > largest:
                largest = rate
        return largest

    def step(self, current: float, dt: float, drain: float) -> None:
        for group in self.cells:
            group.step(current, dt, drain)


def _condition_for(
    conditions: Sequence[CellCondition], index: int, member: int
) -> CellCondition | None:
    """The condition of one cell: its own, else its group's (``member`` None), else none."""
    chosen = None
    for condition in conditions:
        if condition.index != index:
            continue
        if condition.member == member:
            return condition
        if condition.member is None:
            chosen = condition
    return chosen
