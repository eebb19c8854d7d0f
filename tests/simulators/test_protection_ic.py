"""Acceptance of issue 17 item 4: the protection IC's datasheet rules, for each parameter set.

Parameter sets (``simulators.physics.protection_ics``), each chosen by a spec's
``[protection].ic``: the shipped DW01A vendor-table board (PB-1S1P), two S-8261 delay grades
(test specs below, thresholds of an S-8261 configuration [E], delays of the grade's table) and
the S-8254A class multi-cell IC (the shipped 2S, 3S and 4S LFP specs).

Over the wire (pyvisa over TCP to the emulated DP832, 34461A and DL3021; time and the true
state through the control endpoint):

* the wake recharge of a deep-discharged pack releases the over-discharge status by charger
  detection, at the over-discharge *detect* level (VDL) and at the first moment the cells reach
  it, when the charge through the body diode pulls VM below the unit's VCHA; otherwise at the
  release level (VDU);
* a sweep on the board fixture finds the over-charge detect/release, the over-discharge
  detect/release and the over-current 1 trip within the spec's tolerance.

In-process (the instruments cannot pull VM negative on the bare board, nor draw the tens of
amps over-current 2 needs): charger detection, abnormal charge current and over-current 2 on
the ``Board`` itself.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from live_bench import LiveBench, LiveFn, sync

from simulators.physics.board import Board, BoardCondition
from simulators.physics.protection_ics import DW01A, MULTI_CELL, S8261_GRADES, ic_parameters
from simulators.spec_file import load_pack_parameters, parse_quantity

SPEC_DIR = Path(__file__).resolve().parents[2] / "procedures" / "specs"
S8261_CONFIG = {
    # an S-8261 configuration [E]: VCU 4.280 V (+-25 mV), hysteresis 0.2 V, VDL 2.50 V (+-50 mV),
    # hysteresis 0.4 V; VIOV1 0.10 V (+-15 mV); delays of the grade's 25 °C table.
    'ic = "DW01A"': 'ic = "{ic}"',
    'overcharge_detect = "4.30 V"': 'overcharge_detect = "4.28 V"',
    'overcharge_detect_tolerance = "0.05 V"': 'overcharge_detect_tolerance = "0.025 V"',
    'overcharge_release = "4.10 V"': 'overcharge_release = "4.08 V"',
    'overcharge_delay = "1.15 s"': 'overcharge_delay = "4.6 s"',
    'overcharge_delay_tolerance = "0.23 s"': 'overcharge_delay_tolerance = "0.9 s"',
    'overdischarge_detect = "2.40 V"': 'overdischarge_detect = "2.50 V"',
    'overdischarge_release = "3.0 V"': 'overdischarge_release = "2.90 V"',
    'overcurrent_detect_voltage = "150 mV"': 'overcurrent_detect_voltage = "100 mV"',
    'overcurrent_trip = "3.0 A"': 'overcurrent_trip = "2.0 A"',
    'overcurrent_trip_tolerance = "0.6 A"': 'overcurrent_trip_tolerance = "0.4 A"',
    'short_circuit_delay = "320 us"': 'short_circuit_delay = "{t_short}"',
    'short_circuit_delay_max = "380 us"': 'short_circuit_delay_max = "{t_short_max}"',
}
GRADE_SHORT = {"S-8261AAUMD": ("320 us", "380 us"), "S-8261AAVMD": ("600 us", "720 us")}
PARAMETER_SETS = {
    "DW01A": "PB-1S1P-18650-2600",
    "S-8261AAUMD": "S-8261AAUMD",
    "S-8261AAVMD": "S-8261AAVMD",
    "S-8252 2S": "PB-2S1P-18650-2600",
    "S-8254A 3S": "PB-3S1P-18650-3000",
    "4S LFP PCM": "PB-4S1P-26650-LFP",
}
SEEDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def spec_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ic-specs")
    base = (SPEC_DIR / "PB-1S1P-18650-2600.toml").read_text()
    paths: dict[str, Path] = {}
    for name, file in PARAMETER_SETS.items():
        if not name.startswith("S-8261"):
            paths[name] = SPEC_DIR / f"{file}.toml"
            continue
        text = base
        t_short, t_max = GRADE_SHORT[name]
        for old, new in S8261_CONFIG.items():
            assert old in text, old
            text = text.replace(old, new.format(ic=name, t_short=t_short, t_short_max=t_max))
        paths[name] = folder / f"{name}.toml"
        paths[name].write_text(text.replace("PB-1S1P-18650-2600", f"PB-1S1P-{name}"))
    return paths


def test_each_spec_picks_its_parameter_set(spec_paths: dict[str, Path]) -> None:
    chosen = {}
    for name, path in spec_paths.items():
        pack = load_pack_parameters(path)
        chosen[name] = ic_parameters(pack.protection.ic, pack.series)
    assert chosen["DW01A"] is DW01A
    assert chosen["S-8261AAUMD"] is S8261_GRADES["AAU"]
    assert chosen["S-8261AAVMD"] is S8261_GRADES["AAV"]
    assert chosen["S-8261AAVMD"].overcurrent2_delay == pytest.approx(4.5e-3)
    assert chosen["S-8261AAUMD"].overcurrent2_delay == pytest.approx(2.24e-3)
    for multi in ("S-8252 2S", "S-8254A 3S", "4S LFP PCM"):
        assert chosen[multi] is MULTI_CELL


def volts(inst: Any) -> float:
    return float(inst.query("MEAS:VOLT:DC?"))


# -- the wake recharge, over the wire ------------------------------------------------------
def _wake(bench: LiveBench, path: Path) -> tuple[dict[str, Any], dict[str, Any], float, float]:
    """Charge the deep-discharged pack at its 0.5C through the DP832 until DO turns on.

    Returns (state one sample before, state at the release, P+/P- before, P+/P- after).
    """
    pack = load_pack_parameters(path)
    dmm, source = bench.open("dmm"), bench.open("source")
    bench.control.advance(10.0)
    assert abs(volts(dmm)) < 0.05  # IC in power-down: ~0 V at the terminals
    source.write(f":APPL CH1,{pack.charge_voltage:.3f},{pack.charge_current:.3f};:OUTP CH1,ON")
    sync(source)
    before = bench.control.state()
    p_before = volts(dmm)
    for _ in range(1800):
        bench.control.advance(1.0)
        state = bench.control.state()
        p_now = volts(dmm)
        if state["board"]["discharge_fet_on"]:
            return before, state, p_before, p_now
        before, p_before = state, p_now
    raise AssertionError("the deep-discharged pack never woke under its 0.5C charge")


@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_wake_recharge_releases_by_charger_detection_at_the_datasheet_level(
    live: LiveFn, spec_paths: dict[str, Path], name: str
) -> None:
    path = spec_paths[name]
    protection = load_pack_parameters(path).protection
    rules = []
    for seed in SEEDS:
        bench = live(fault="deep_discharge_uv", spec=path, source_model="DP832", seed=seed)
        before, state, p_before, p_after = _wake(bench, path)
        board = state["board"]
        thresholds = board["thresholds"]
        release = board["last_release"]
        assert board["ic"] == ic_parameters(protection.ic, len(release["cells"])).part
        # Charger detected: the charge through the discharge FET's body diode put VM at or
        # below this unit's VCHA (datasheet -1.2/-0.7/-0.2 V, drawn within half of it).
        detected = before["board"]["vm"] <= thresholds["charger_detect"]
        assert -0.95 <= thresholds["charger_detect"] <= -0.45
        if detected:
            assert release["rule"] == "charger_detect"
            levels = thresholds["overdischarge_detect"]
            nominal = protection.overdischarge_detect
            tolerance = protection.overdischarge_detect_tolerance
        else:
            assert release["rule"] == "release_voltage"
            levels = thresholds["overdischarge_release"]
            nominal = protection.overdischarge_release
            tolerance = protection.overdischarge_release_tolerance
        rules.append(release["rule"])
        # The level: every cell at its own level at the release, and one still below it one
        # sample (1 s) earlier, i.e. released at the first moment the datasheet allows.
        cells = release["cells"]
        earlier = [c["voltage"] for c in before["pack"]["cells"]]
        assert all(v >= level for v, level in zip(cells, levels, strict=True))
        assert any(v < level for v, level in zip(earlier, levels, strict=True))
        assert all(abs(level - nominal) <= tolerance / 2 + 1e-9 for level in levels)
        assert before["time"] < release["time"] <= state["time"]
        # Seen through the instruments: the body diode's drop leaves the terminal voltage.
        assert p_before - p_after > 0.4
        if detected:  # far below the release level VDU without a charger
            assert max(cells) < min(thresholds["overdischarge_release"]) - 0.2
    assert "charger_detect" in rules, rules  # every parameter set shows the detect release


# -- threshold sweep on the board fixture, over the wire -------------------------------------
class Sweep:
    """DP832 channel 1 emulates the series cells on B+/B-; the multimeter watches P+/P-."""

    def __init__(self, bench: LiveBench, series: int) -> None:
        self.bench, self.series = bench, series
        self.source, self.dmm, self.load = (
            bench.open("source"),
            bench.open("dmm"),
            bench.open("load"),
        )
        bench.control.fixture("board")
        self.source.write(f":APPL CH1,{3.3 * series:.3f},3;:OUTP CH1,ON")
        sync(self.source)
        bench.control.advance(2.0)

    def cells_at(self, per_cell: float, settle: float) -> bool:
        """True when P+/P- follows the cells (both FETs on)."""
        self.source.write(f":SOUR1:VOLT {per_cell * self.series:.4f}")
        sync(self.source)
        self.bench.control.advance(settle)
        return abs(volts(self.dmm) - per_cell * self.series) < 0.1 * self.series

    def edge(self, start: float, stop: float, step: float, settle: float, follows: bool) -> float:
        n = round(abs(stop - start) / step)
        direction = 1.0 if stop > start else -1.0
        for i in range(n + 1):
            v = start + direction * i * step
            if self.cells_at(v, settle) != follows:
                return v
        raise AssertionError(f"no protection edge between {start} and {stop} V per cell")

    def overcurrent_trip(self, per_cell: float, start: float, step: float, dwell: float) -> float:
        """Load current (CC ramp on P+/P-) at which the output collapses."""
        self.cells_at(per_cell, 0.5)
        self.load.write(f":SOUR:FUNC CURR;:SOUR:CURR:LEV {start:.3f};:SOUR:INP:STAT ON")
        sync(self.load)
        amps = start
        while amps < 3.0:
            self.load.write(f":SOUR:CURR:LEV {amps:.3f}")
            sync(self.load)
            self.bench.control.advance(dwell)
            if volts(self.dmm) < 0.1 * self.series:
                self.load.write(":SOUR:INP:STAT OFF")
                sync(self.load)
                return amps
            amps += step
        raise AssertionError("the board never tripped on over-current")


@pytest.mark.parametrize("name", ["DW01A", "S-8261AAUMD", "S-8254A 3S"])
def test_board_sweep_finds_each_threshold_within_its_tolerance(
    live: LiveFn, spec_paths: dict[str, Path], name: str
) -> None:
    path = spec_paths[name]
    pack = load_pack_parameters(path)
    p = pack.protection
    bench = live(fixture="board", spec=path, source_model="DP832", seed=5)
    sweep = Sweep(bench, pack.series)
    step = 0.005
    settle_cu = p.overcharge_delay + p.overcharge_delay_tolerance + 0.1
    settle_dl = p.overdischarge_delay + p.overdischarge_delay_tolerance + 0.02
    found = {
        "overcharge_detect": sweep.edge(
            p.overcharge_detect - 0.1, p.overcharge_detect + 0.1, step, settle_cu, True
        ),
    }
    found["overcharge_release"] = sweep.edge(
        found["overcharge_detect"], p.overcharge_release - 0.15, step, 0.05, False
    )
    sweep.cells_at(3.3, 1.0)
    found["overdischarge_detect"] = sweep.edge(
        p.overdischarge_detect + 0.15, p.overdischarge_detect - 0.15, step, settle_dl, True
    )
    found["overdischarge_release"] = sweep.edge(
        found["overdischarge_detect"], p.overdischarge_release + 0.2, step, 0.05, False
    )
    truth = bench.control.state()["board"]["thresholds"]
    for key, value in found.items():
        nominal = getattr(p, key)
        tolerance = getattr(p, f"{key}_tolerance")
        assert value == pytest.approx(nominal, abs=tolerance + step), key
        # the unit's own (seeded) threshold, not the nominal one by accident: with equal cells
        # the first cell to cross decides a detect, the last one a release
        decides = max if key in ("overdischarge_detect", "overdischarge_release") else min
        assert value == pytest.approx(decides(truth[key]), abs=step + 0.002), key
    if p.overcurrent_trip < 3.0:  # within the DP832's 3 A (the 1S boards)
        trip = sweep.overcurrent_trip(3.6, 0.5 * p.overcurrent_trip, 0.05, p.overcurrent_delay * 2)
        tolerance = parse_quantity(
            tomllib.loads(path.read_text())["protection"]["overcurrent_trip_tolerance"], "A", name
        )
        assert trip == pytest.approx(p.overcurrent_trip, abs=tolerance + 0.05)


# -- the rules the instruments cannot reach, on the board itself ------------------------------
def _s8261_board(seed: int = 0, grade: str = "AAU") -> Board:
    from dataclasses import replace

    from simulators.physics.parameters import DEFAULT_PACK

    protection = replace(DEFAULT_PACK.protection, ic=f"S-8261{grade}MD")
    return Board(protection, 1, 3.6, BoardCondition(initial_state="power_down"), seed)


def test_release_without_a_detected_charger_waits_for_the_release_voltage() -> None:
    board = _s8261_board()
    vdl, vdu = board.vdl[0], board.vdu[0]
    above = board.v_cha + 0.05  # a weak charger: VM stays above VCHA
    board.evaluate(0.0, [vdl + 0.05], above, charger=True, loaded=False)
    assert not board.do_on and board.overdischarge and not board.power_down  # woken, not free
    board.evaluate(1.0, [vdu + 0.001], above, charger=True, loaded=False)
    assert board.do_on and board.last_release is not None
    assert board.last_release["rule"] == "release_voltage"


def test_detected_charger_releases_at_the_detect_level_not_below() -> None:
    board = _s8261_board(seed=3)
    vdl, below = board.vdl[0], board.v_cha - 0.05
    board.evaluate(0.0, [vdl - 0.01], below, charger=True, loaded=False)
    assert not board.do_on
    board.evaluate(1.0, [vdl + 0.001], below, charger=True, loaded=False)
    assert board.do_on and board.last_release == {
        "time": 1.0,
        "cells": [vdl + 0.001],
        "vm": below,
        "rule": "charger_detect",
    }


def test_abnormal_charge_current_cuts_charge_after_tcu_until_the_charger_goes() -> None:
    board = _s8261_board()
    board.evaluate(0.0, [3.8], 0.0, charger=False, loaded=False)
    assert board.do_on and board.co_on
    assert board.v_coc is not None and -0.95 <= board.v_coc <= -0.45
    vm = board.v_coc - 0.05
    board.evaluate(0.0, [3.8], vm, charger=True, loaded=False)
    board.evaluate(board.t_coc * 0.99, [3.8], vm, charger=True, loaded=False)
    assert board.co_on  # not before its delay (tCU, 4.6 s +- 20 %, drawn within half)
    assert board.next_deadline() == pytest.approx(board.t_coc)
    board.evaluate(board.t_coc, [3.8], vm, charger=True, loaded=False)
    assert not board.co_on and board.state == "charge_overcurrent"
    board.evaluate(board.t_coc + 1.0, [3.8], -0.1, charger=True, loaded=False)
    assert not board.co_on  # still a charger on the terminals
    board.evaluate(board.t_coc + 2.0, [3.8], 0.0, charger=False, loaded=False)
    assert board.co_on


def test_dw01a_and_multi_cell_boards_have_no_abnormal_charge_current_detection() -> None:
    from simulators.physics.parameters import DEFAULT_PACK

    board = Board(DEFAULT_PACK.protection, 1, 3.6, BoardCondition(), 0)
    board.evaluate(0.0, [3.8], -2.0, charger=True, loaded=False)
    board.evaluate(100.0, [3.8], -2.0, charger=True, loaded=False)
    assert board.co_on and board.v_coc is None


@pytest.mark.parametrize(
    ("grade", "low", "high"), [("AAU", 1.8e-3, 2.7e-3), ("AAV", 3.6e-3, 5.4e-3)]
)
@pytest.mark.parametrize("seed", range(4))
def test_overcurrent_2_trips_after_its_grade_delay(
    grade: str, low: float, high: float, seed: int
) -> None:
    board = _s8261_board(seed, grade)
    board.power_down = board.overdischarge = False
    board.evaluate(0.0, [3.8], 0.0, charger=False, loaded=False)
    assert board.v_iov2 is not None and 0.45 <= board.v_iov2 <= 0.55  # 0.5 V +- 0.1, half
    vm = 0.65  # above VIOV2, below the load-short level (0.7 V minimum)
    board.evaluate(0.0, [3.8], vm, charger=False, loaded=True)
    deadline = board.next_deadline()
    assert low <= deadline <= high  # tIOV2 of the grade, well before over-current 1's 9 ms
    board.evaluate(deadline, [3.8], vm, charger=False, loaded=True)
    assert not board.do_on and board.state == "overcurrent"
    board.evaluate(deadline + 0.1, [3.8], 0.0, charger=False, loaded=False)
    assert board.do_on  # released by removing the load
