"""The simulated bench: one pack and board, wired to the instruments through a fixture.

Implements ``simulators.wiring.Bench`` for the emulators plus what the control endpoint needs
(``true_state``, ``set_fixture``, ``apply_fault``). Fixtures:

* ``pack``: the wired source channel, load, multimeter and resistance meter all on P+/P-;
* ``board``: the bare board; the wired source channel stands in for the cells on B+/B- (its
  voltage is split equally over the series cells), load and multimeter on P+/P-, resistance
  meter on P+/P-;
* ``cell``: the pack is opened; resistance meter and multimeter on cell ``cell_index``
  (``series x parallel`` cells, series position by position: on a 1S2P pack 0 and 1 are the
  two parallel cells); source and load touch nothing (open circuit).

The temperature probe (a 5 kOhm NTC, read by a second 34461A in the ``temperature`` role) stays
on the pack in every fixture. It is pressed between the cells, so it reads the hottest series
position: a cell that dissipates inside is what the over-temperature abort must catch.

The wired source channel is 1 unless the bench is built with ``source_channel`` (a station
whose fixture uses another channel); every other channel is open circuit. Time moves only in
``advance``: the IC's decisions (trips and releases) are taken there, at sub-steps that land
exactly on every protection delay's expiry, so a query between two ``advance`` calls sees the
state of the last one with the electrical solution of the present settings.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from typing import Any, Literal

from simulators.combine import FaultCombinationError, resolve_for
from simulators.faults import FaultScenario
from simulators.physics.board import GATE_DRIVE_CLAMP, Board
from simulators.physics.network import (
    Solution,
    SourceDrive,
    open_circuit,
    solve_board,
    solve_pack,
)
from simulators.physics.pack import Pack
from simulators.physics.parameters import DEFAULT_PACK, PackParameters
from simulators.wiring import (
    ROOM_C,
    FixtureName,
    LoadInput,
    LoadSettings,
    ProbeReading,
    SourceChannelSettings,
    SourceOutput,
)

FIXTURES: tuple[FixtureName, ...] = ("pack", "board", "cell")
DEFAULT_SOURCE_RATINGS: dict[int, tuple[float, float]] = {
    1: (6.0, 5.0),
    2: (25.0, 1.0),
    3: (25.0, 1.0),
}
DEFAULT_LOAD_RATING = (150.0, 30.0)
MAX_STEP_FLOWING = 10.0
MAX_STEP_RESTING = 600.0
SOC_PER_STEP = 0.002
"""Largest SOC change per sub-step: keeps explicit charge integration well inside 0.5 %."""
TRIP_TOLERANCE = 1e-9


class BenchError(ValueError):
    """Misuse of the simulated bench (bad fixture name, cell index, negative time)."""


class SimulatedBench:
    def __init__(
        self,
        parameters: PackParameters = DEFAULT_PACK,
        fault: str = "healthy",
        fixture: str = "pack",
        seed: int = 0,
        source_channel: int = 1,
    ) -> None:
        self.spec = parameters
        self.seed = seed
        self.wired_channel = source_channel
        """The source channel wired to the fixture; the others are open circuit."""
        self._time = 0.0
        self._fixture: FixtureName = "pack"
        self._cell_index = 0
        self._ratings = dict(DEFAULT_SOURCE_RATINGS)
        self._sources: dict[int, SourceChannelSettings] = {}
        self._load = LoadSettings(*DEFAULT_LOAD_RATING)
        self._version = 0
        """Bumped whenever the model changes, so a cached solution is never stale."""
        self._cached: tuple[tuple[Any, ...], Solution] | None = None
        self._evaluated: tuple[Any, ...] | None = None
        self._ambient_c = ROOM_C
        self.apply_fault(fault)
        self.set_fixture(fixture)  # type: ignore[arg-type]

    # --- model (re)construction ------------------------------------------------------------
    def apply_fault(self, name: str) -> None:
        """Re-initialise pack and board as the scenario says; instruments keep their settings."""
        try:
            chosen: FaultScenario = resolve_for(name, self.spec)
        except FaultCombinationError as error:
            raise BenchError(str(error)) from None
        parameters = self.spec
        self.parameters = parameters
        self.fault = chosen
        self.pack = Pack(parameters, chosen.soc, chosen.cell_conditions(parameters))
        self._place_cells_in(self._ambient_c)
        gate = min(parameters.series * parameters.cell_nominal_voltage, GATE_DRIVE_CLAMP)
        self.board = Board(parameters.protection, parameters.series, gate, chosen.board, self.seed)
        self._version += 1

    def set_cell_state(
        self, index: int, *, soc: float | None = None, voltage: float | None = None
    ) -> None:
        """Put series position ``index`` at a state of charge or open-circuit voltage, at rest.

        For tests and demos that need a pack "at 3.0 V" without simulating how it got there.
        """
        group = self.pack.cells[index]
        if voltage is not None:
            soc = group.ocv_curve.soc_at(voltage)
        if soc is None:
            raise BenchError("set_cell_state needs soc= or voltage=")
        group.rest_at(soc)
        self._version += 1

    def set_fixture(self, name: Literal["pack", "board", "cell"], cell_index: int = 0) -> None:
        if name not in FIXTURES:
            raise BenchError(f"unknown fixture {name!r}; use one of {', '.join(FIXTURES)}")
        count = self.parameters.series * self.parameters.parallel
        if name == "cell" and not 0 <= cell_index < count:
            raise BenchError(
                f"cell index {cell_index} out of range: the pack has {count} cells "
                f"({self.parameters.series} in series, {self.parameters.parallel} in parallel), "
                f"use 0..{count - 1}"
            )
        self._fixture = name
        self._cell_index = cell_index
        self._version += 1

    # --- Bench protocol --------------------------------------------------------------------
    @property
    def time(self) -> float:
        return self._time

    def declare_source(self, ratings: dict[int, tuple[float, float]]) -> None:
        self._version += 1
        self._ratings = dict(ratings)
        self._sources = {
            ch: s for ch, s in self._sources.items() if ch in ratings
        }  # keep the ones still valid

    def source_channel(self, channel: int) -> SourceChannelSettings:
        if channel not in self._sources:
            if channel not in self._ratings:
                raise BenchError(
                    f"source channel {channel} does not exist; declared channels: "
                    f"{sorted(self._ratings)}"
                )
            max_v, max_i = self._ratings[channel]
            self._sources[channel] = SourceChannelSettings(channel, max_v, max_i)
        return self._sources[channel]

    def declare_load(self, max_voltage: float, max_current: float) -> None:
        self._version += 1
        self._load.max_voltage = max_voltage
        self._load.max_current = max_current

    @property
    def load(self) -> LoadSettings:
        return self._load

    def source_output(self, channel: int) -> SourceOutput:
        settings = self.source_channel(channel)
        if channel != self.wired_channel:
            self._check_open_channel(settings)
            on = settings.output_on and settings.tripped is None
            return SourceOutput(settings.voltage if on else 0.0, 0.0, "CV" if on else "OFF")
        solution = self._solve()
        if self._fixture == "cell":
            on = settings.output_on and settings.tripped is None
            return SourceOutput(settings.voltage if on else 0.0, 0.0, "CV" if on else "OFF")
        return SourceOutput(
            solution.p_voltage if self._fixture == "pack" else self._b_voltage(solution),
            solution.source_current,
            solution.source_mode,
        )

    def load_input(self) -> LoadInput:
        if self._fixture == "cell":
            return LoadInput(0.0, 0.0)
        solution = self._solve()
        return LoadInput(solution.p_voltage, solution.load_current)

    def dmm_voltage(self) -> float:
        if self._fixture == "cell":
            return self._opened_cell()[1]
        return self._solve().p_voltage

    def probe(self) -> ProbeReading:
        if self._fixture == "cell":
            return ProbeReading(*self._opened_cell())
        solution = self._solve()
        vdd = sum(solution.cells)
        loop = self.board.loop_resistance(vdd)
        if self._fixture == "pack":
            loop += self.pack.ac_resistance()
        return ProbeReading(loop, solution.p_voltage)

    def _opened_cell(self) -> tuple[float, float]:
        """(1 kHz resistance, voltage) of the cell the cell fixture touches.

        The fixture contacts one cell of the opened pack with its parallel strip lifted (how a
        returns lab reads each cell of a P group), so it sees that cell alone; the group's
        voltage is the cell's own at rest, as its neighbours keep it there.
        """
        group, member = self.pack.locate(self._cell_index)
        return group.cell_ac_resistance(member), group.emf()

    def probe_temperature(self) -> float:
        return max(cell.temperature_c for cell in self.pack.cells)

    @property
    def ambient(self) -> float:
        return self._ambient_c

    def set_ambient(self, celsius: float) -> None:
        """The air around the pack (a temperature chamber's): every cell now relaxes towards it
        through its own thermal resistance, so the cells reach it only after a soak."""
        if not -70.0 <= celsius <= 180.0 or not math.isfinite(celsius):
            raise BenchError(f"ambient {celsius!r} degC is outside -70 .. 180 degC")
        self._ambient_c = celsius
        self._place_cells_in(celsius)
        self._version += 1

    def _place_cells_in(self, celsius: float) -> None:
        for cell in self.pack.individual_cells:
            if cell.parameters.ambient_c != celsius:
                cell.parameters = replace(cell.parameters, ambient_c=celsius)

    def advance(self, seconds: float) -> None:
        if not seconds >= 0.0 or not math.isfinite(seconds):
            raise BenchError(f"cannot advance by {seconds!r} s: give a finite time >= 0")
        end = self._time + seconds
        capacity_as = self.pack.smallest_capacity_ah * 3600.0
        while True:
            self._expire_timers()
            solution = self._settle()
            remaining = end - self._time
            if remaining <= 0.0:
                break
            current = solution.pack_current
            rate = abs(current) + self.pack.largest_leak()
            ceiling = MAX_STEP_FLOWING if abs(current) > 1e-4 else MAX_STEP_RESTING
            dt = min(
                remaining,
                ceiling,
                SOC_PER_STEP * capacity_as / rate if rate > 0.0 else ceiling,
                self.board.next_deadline() - self._time,
                self.board.fuse_time_left(current),
                self._next_timer() - self._time,
            )
            dt = max(dt, 1e-9)
            if dt >= remaining:
                dt = remaining
            drain = self.board.supply_current() if self._fixture == "pack" else 0.0
            self.pack.step(current, dt, drain)
            self.board.heat_fuse(current, dt)
            self._version += 1
            self._time = end if dt == remaining else self._time + dt

    def _next_timer(self) -> float:
        """The earliest running output timer's end (``inf``: none runs). A plain loop: this runs
        once per simulated step, and a list and ``min`` per step cost more than the loop."""
        soonest = math.inf
        for settings in self._sources.values():
            off_at = settings.off_at
            if off_at is not None and off_at < soonest and settings.output_on:
                soonest = off_at
        return soonest

    def _expire_timers(self) -> None:
        """An instrument timer whose time has come switches its output off, as the DP800
        delayer does with end state OFF: no software involved, so no crash can prevent it."""
        for settings in self._sources.values():
            if settings.off_at is not None and self._time >= settings.off_at - 1e-9:
                settings.output_on = False
                settings.off_at = None
                self._version += 1

    # --- the electrical solution -----------------------------------------------------------
    def _settle(self) -> Solution:
        """Solve, let the IC decide, and re-solve until its gates stop changing."""
        solution = self._solve()
        for _ in range(4):
            if self._fixture == "cell":
                return solution
            key = self._solved_key  # what ``_solve`` just solved for: nothing changed since
            if self._evaluated == key:
                return solution
            changed = self.board.evaluate(
                self._time, solution.cells, solution.vm, solution.charger, solution.loaded
            )
            if not changed:
                self._evaluated = key
                return solution
            self._version += 1
            solution = self._solve()
        return solution

    def _cached_key(self) -> tuple[Any, ...]:
        src = self._sources.get(self.wired_channel) or self.source_channel(self.wired_channel)
        load = self._load
        return (
            self._version,
            src.voltage,
            src.current_limit,
            src.output_on,
            src.tripped,
            src.ovp_enabled,
            src.ovp_level,
            src.ocp_enabled,
            src.ocp_level,
            load.function,
            load.level,
            load.input_on,
            load.short,
            load.von,
            load.max_current,
        )

    def _b_voltage(self, solution: Solution) -> float:
        return sum(solution.cells)

    def _source_element(self) -> tuple[bool, SourceChannelSettings]:
        settings = self.source_channel(self.wired_channel)
        return settings.output_on and settings.tripped is None, settings

    def _solve(self) -> Solution:
        key = self._cached_key()
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        for _ in range(3):
            solution = self._solve_once()
            if not self._check_trips(solution):
                break
            key = self._cached_key()
        self._cached = (key, solution)
        return solution

    @property
    def _solved_key(self) -> tuple[Any, ...]:
        """The state key of the last ``_solve`` (set by it, so never ``None`` after one)."""
        assert self._cached is not None
        return self._cached[0]

    def _solve_once(self) -> Solution:
        if self._fixture == "cell":
            return open_circuit(self.pack)
        on, src = self._source_element()
        drive = SourceDrive(on, src.voltage, src.current_limit)
        if self._fixture == "board":
            return solve_board(self.board, self.parameters.series, drive, self._load)
        return solve_pack(self.pack, self.board, drive, self._load)

    def _check_trips(self, solution: Solution) -> bool:
        """Latch the source's OVP/OCP; True when a trip just turned the output off."""
        if self._fixture == "cell":
            return self._check_open_channel(self.source_channel(self.wired_channel))
        on, src = self._source_element()
        if not on:
            return False
        voltage = solution.p_voltage if self._fixture == "pack" else sum(solution.cells)
        if src.ovp_enabled and voltage > src.ovp_level + TRIP_TOLERANCE:
            src.tripped = "OVP"
            return True
        if src.ocp_enabled:
            in_cc = solution.source_mode == "CC"
            # Keysight style: no level of its own (0) or the level equals the limit -> CC trips.
            at_limit_level = src.ocp_level <= 0.0 or abs(src.ocp_level - src.current_limit) <= 1e-9
            over_level = 0.0 < src.ocp_level <= solution.source_current + TRIP_TOLERANCE
            if (in_cc and at_limit_level) or over_level:
                src.tripped = "OCP"
                return True
        return False

    def _check_open_channel(self, settings: SourceChannelSettings) -> bool:
        if (
            settings.output_on
            and settings.tripped is None
            and settings.ovp_enabled
            and settings.voltage > settings.ovp_level + TRIP_TOLERANCE
        ):
            settings.tripped = "OVP"
            return True
        return False

    # --- observation -----------------------------------------------------------------------
    def true_state(self) -> dict[str, Any]:
        """Everything a test may assert on, JSON-serialisable (SI floats, plain containers)."""
        solution = self._solve()
        sources = {}
        for channel in sorted(self._sources):
            settings = self._sources[channel]
            output = self.source_output(channel)
            sources[str(channel)] = {
                "output_on": settings.output_on and settings.tripped is None,
                "enabled": settings.output_on,
                "voltage": output.voltage,
                "current": output.current,
                "mode": output.mode,
                "tripped": settings.tripped,
                "setpoint": settings.voltage,
                "current_limit": settings.current_limit,
            }
        load = self.load_input()
        pack_current = solution.pack_current if self._fixture == "pack" else 0.0
        vdd = sum(solution.cells) if self._fixture != "cell" else self.pack.emf()
        return {
            "time": self._time,
            "fixture": self._fixture,
            "cell_index": self._cell_index,
            "fault": self.fault.name,
            "seed": self.seed,
            "wired_channel": self.wired_channel,
            "source": sources,
            "load": {
                "input_on": self._load.input_on,
                "short": self._load.short,
                "function": self._load.function,
                "level": self._load.level,
                "voltage": load.voltage,
                "current": load.current,
            },
            "dmm_voltage": self.dmm_voltage(),
            "probe_temperature_c": self.probe_temperature(),
            "ambient_c": self._ambient_c,
            "pack": {
                "model": self.parameters.model,
                "chemistry": self.parameters.chemistry,
                "series": self.parameters.series,
                "parallel": self.parameters.parallel,
                "terminal_voltage": solution.p_voltage if self._fixture == "pack" else 0.0,
                "emf": self.pack.emf(),
                "current": pack_current,
                "cells": [cell.snapshot(pack_current) for cell in self.pack.cells],
            },
            "board": {**self.board.snapshot(), "vm": solution.vm, "vdd": vdd},
        }


def build_bench(
    *,
    fault: str = "healthy",
    spec: str | os.PathLike[str] | None = None,
    fixture: str = "pack",
    seed: int = 0,
    source_channel: int = 1,
) -> SimulatedBench:
    """A bench with the pack of ``spec`` (default: PB-1S2P-18650-5200) in fault ``fault``,
    wired to source channel ``source_channel``."""
    parameters = DEFAULT_PACK
    if spec is not None:
        from simulators.spec_file import load_pack_parameters

        parameters = load_pack_parameters(spec)
    return SimulatedBench(
        parameters, fault=fault, fixture=fixture, seed=seed, source_channel=source_channel
    )
