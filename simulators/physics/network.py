"""The electrical solution of one bench state: who drives P+/P- (or B+/B-) and how hard.

The fixture decides *what* is connected (which terminals the source, load and multimeter touch);
this module only solves the resulting circuit for one instant, so the same numbers come out
whichever fixture or emulator asks. It never advances time and never changes the board's gates:
the protection IC's decisions are taken by the fixture between two solutions.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.physics.board import Board, Path
from simulators.physics.circuit import (
    DMM_INPUT_RESISTANCE,
    SOURCE_OUTPUT_RESISTANCE,
    PackTerminal,
    load_breakpoints,
    load_current,
    solve_node,
    source_current,
)
from simulators.physics.pack import Pack
from simulators.wiring import LoadSettings, SourceMode

CHARGER_PROBE_VOLTS = 0.1
"""How far above the pack's EMF the outside world is probed to decide "a charger is attached"."""


@dataclass(slots=True)
class Solution:
    """One instant of the bench: node voltage, branch currents, what the IC's pins see."""

    p_voltage: float
    pack_current: float
    source_current: float
    source_mode: SourceMode
    load_current: float
    cells: list[float]
    vm: float
    charger: bool
    loaded: bool


@dataclass(frozen=True, slots=True)
class SourceDrive:
    """Source channel 1 as the circuit sees it: on (and not tripped), setpoint, current limit."""

    on: bool
    setpoint: float
    limit: float


def open_circuit(pack: Pack) -> Solution:
    """Nothing touches the pack terminals (the opened-pack ``cell`` fixture)."""
    return Solution(0.0, 0.0, 0.0, "OFF", 0.0, pack.cell_voltages(0.0), 0.0, False, False)


def solve_pack(pack: Pack, board: Board, source: SourceDrive, load: LoadSettings) -> Solution:
    """Pack behind its board on P+/P-, with source, load and multimeter in parallel."""
    emf = pack.emf()
    charge, discharge = board.paths(emf)
    r_pack = pack.resistance()
    terminal = PackTerminal(
        emf,
        charge.conducts,
        charge.offset,
        charge.resistance + r_pack,
        discharge.conducts,
        discharge.offset,
        discharge.resistance + r_pack,
    )
    on, setpoint, limit = source.on, source.setpoint, source.limit

    def external(v: float) -> float:
        supplied = source_current(setpoint, SOURCE_OUTPUT_RESISTANCE, limit, v) if on else 0.0
        return load_current(load, v) + v / DMM_INPUT_RESISTANCE - supplied

    if not load.input_on:
        voltage = fast_node(terminal, on, setpoint, limit)
    else:
        points = [terminal.charge_knee, terminal.discharge_knee, 0.0]
        points += load_breakpoints(load)
        if on:
            points += [setpoint, setpoint - limit * SOURCE_OUTPUT_RESISTANCE]
        voltage = solve_node(
            lambda v: terminal.current(v) + external(v), points, load.function == "CP"
        )
    into_pack = terminal.current(voltage)
    supplied = source_current(setpoint, SOURCE_OUTPUT_RESISTANCE, limit, voltage) if on else 0.0
    vm = charge_vm(board, charge, emf, voltage, into_pack)
    return Solution(
        p_voltage=voltage,
        pack_current=into_pack,
        source_current=supplied,
        source_mode=regulation_mode(on, supplied, limit, voltage, setpoint),
        load_current=load_current(load, voltage),
        cells=pack.cell_voltages(into_pack),
        vm=vm,
        charger=external(emf + CHARGER_PROBE_VOLTS) < -1e-3,
        loaded=external(emf) > emf / 500e3,
    )


def charge_vm(board: Board, charge: Path, emf: float, voltage: float, into_pack: float) -> float:
    """VM (P- against B-) as the IC's pin sees it.

    Discharging: the current times the MOSFET pair (what the over-current levels compare).
    Charging: P- sits below B- by the charge path's drop over the FETs (a body diode's ~0.7 V
    when DO is off), which is what the IC's charger detection and abnormal charge current
    detection see; the fuse and traces are outside the pin. A charger whose current the board
    blocks pulls VM to the cells' voltage minus its own.
    """
    if into_pack < 0.0:
        return -into_pack * board.pair_resistance(emf)
    if into_pack > 0.0:
        return -(charge.offset + into_pack * (charge.resistance - board.fixed_loop))
    return min(0.0, emf - voltage)


def solve_board(board: Board, series: int, source: SourceDrive, load: LoadSettings) -> Solution:
    """Bare board: the source on B+/B- stands in for ``series`` equal cells; load on P+/P-."""
    if not source.on:
        return Solution(0.0, 0.0, 0.0, "OFF", 0.0, [0.0] * series, 0.0, False, False)
    setpoint, limit = source.setpoint, source.limit
    ic = board.supply_current()
    path = board.paths(setpoint)[1]
    available = max(limit - ic, 0.0)
    if path.conducts:
        v_src = setpoint - path.offset
        r_src = path.resistance + SOURCE_OUTPUT_RESISTANCE

        def net(v: float) -> float:
            return (
                load_current(load, v)
                + v / DMM_INPUT_RESISTANCE
                - source_current(v_src, r_src, available, v)
            )

        points = [0.0, v_src, v_src - available * r_src, *load_breakpoints(load)]
        voltage = solve_node(net, points, load.function == "CP")
        through = source_current(v_src, r_src, available, voltage)
        b_voltage = min(setpoint, voltage + path.offset + through * path.resistance)
    else:
        voltage, through, b_voltage = 0.0, 0.0, setpoint
    supplied = through + (ic if b_voltage > 0 else 0.0)
    vm = through * board.pair_resistance(b_voltage)
    sink = load_current(load, b_voltage) + b_voltage / DMM_INPUT_RESISTANCE
    return Solution(
        p_voltage=voltage,
        pack_current=0.0,
        source_current=supplied,
        source_mode=regulation_mode(True, supplied, limit, b_voltage, setpoint),
        load_current=load_current(load, voltage),
        cells=[b_voltage / series] * series,
        vm=vm,
        charger=False,
        loaded=sink > b_voltage / 500e3,
    )


def fast_node(terminal: PackTerminal, on: bool, setpoint: float, limit: float) -> float:
    """Closed-form node voltage for pack + source + multimeter (no load): the charging case.

    A recharge spends thousands of sub-steps here, so it avoids the general solver.
    """
    r_dmm = DMM_INPUT_RESISTANCE
    if on:
        drawn = terminal.current(setpoint) + setpoint / r_dmm
        if 0.0 <= drawn <= limit:
            return setpoint - drawn * SOURCE_OUTPUT_RESISTANCE
        if drawn > limit:
            if terminal.charge_ok and terminal.charge_knee < setpoint:
                return terminal.voltage_at(limit)
            return min(limit * r_dmm, setpoint)
    if terminal.discharge_ok and terminal.discharge_knee > 0.0:
        knee, r = terminal.discharge_knee, terminal.discharge_resistance
        return knee * r_dmm / (r_dmm + r)
    if terminal.charge_ok and terminal.charge_knee < 0.0:
        return terminal.charge_knee
    return 0.0


def regulation_mode(
    on: bool, supplied: float, limit: float, voltage: float, setpoint: float
) -> SourceMode:
    """CC at the current limit, CV at the setpoint, UR in between (as a real source reports)."""
    if not on:
        return "OFF"
    if supplied >= limit - 1e-9 and limit > 0.0:
        return "CC"
    if abs(voltage - setpoint) <= 1e-3:
        return "CV"
    return "UR"
