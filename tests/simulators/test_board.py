"""The bare protection board on the board fixture: the source emulates the cells on B+/B-.

Everything is observed through the bench's public API (what the instruments would see): with
the charge FET off, P+/P- sits a body-diode drop below the source; with the discharge FET off,
P+/P- reads ~0 V.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from simulators.fixtures import SimulatedBench, build_bench
from simulators.physics.board import mosfet_resistance_shape
from simulators.physics.parameters import DEFAULT_PACK

P = DEFAULT_PACK.protection


def _board(volts: float, seed: int = 0) -> SimulatedBench:
    bench = build_bench(fixture="board", seed=seed)
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = volts, 5.0, True
    bench.advance(0.5)
    return bench


def _charge_fet_off(bench: SimulatedBench) -> bool:
    return bench.dmm_voltage() < bench.source_output(1).voltage - 0.3


def _discharge_fet_off(bench: SimulatedBench) -> bool:
    return bench.dmm_voltage() < 0.1


def _sweep(
    bench: SimulatedBench,
    start: float,
    stop: float,
    step: float,
    dwell: float,
    found: Callable[[SimulatedBench], bool],
) -> float:
    volts = start
    source = bench.source_channel(1)
    while (stop - volts) * (1 if stop > start else -1) >= -1e-9:
        source.voltage = volts
        bench.advance(dwell)
        if found(bench):
            return volts
        volts += step if stop > start else -step
    raise AssertionError(f"nothing found sweeping {start} -> {stop} V")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_overcharge_detect_and_release_are_within_spec_tolerance(seed: int) -> None:
    bench = _board(4.2, seed)
    assert not _charge_fet_off(bench)
    dwell = P.overcharge_delay + P.overcharge_delay_tolerance + 0.05
    detect = _sweep(bench, 4.2, 4.45, 0.005, dwell, _charge_fet_off)
    assert detect == pytest.approx(P.overcharge_detect, abs=P.overcharge_detect_tolerance)
    release = _sweep(bench, detect, 3.9, 0.005, 0.05, lambda b: not _charge_fet_off(b))
    assert release == pytest.approx(P.overcharge_release, abs=P.overcharge_release_tolerance)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_overdischarge_detect_and_release_are_within_spec_tolerance(seed: int) -> None:
    bench = _board(3.2, seed)
    assert not _discharge_fet_off(bench)
    dwell = P.overdischarge_delay + P.overdischarge_delay_tolerance + 0.01
    detect = _sweep(bench, 3.0, 2.2, 0.005, dwell, _discharge_fet_off)
    assert detect == pytest.approx(P.overdischarge_detect, abs=P.overdischarge_detect_tolerance)
    assert bench.true_state()["board"]["power_down"]
    release = _sweep(bench, detect, 3.3, 0.005, 0.01, lambda b: not _discharge_fet_off(b))
    assert release == pytest.approx(P.overdischarge_release, abs=P.overdischarge_release_tolerance)


def test_overcharge_needs_its_delay() -> None:
    bench = _board(4.2)
    bench.source_channel(1).voltage = 4.5
    bench.advance(P.overcharge_delay - P.overcharge_delay_tolerance - 0.05)
    assert not _charge_fet_off(bench)
    bench.advance(2 * P.overcharge_delay_tolerance + 0.1)
    assert _charge_fet_off(bench)


def _trip_current(cell_volts: float) -> float:
    bench = _board(cell_volts)
    load = bench.load
    load.function, load.level, load.input_on = "CC", 0.0, True
    for k in range(1, 200):
        load.level = 0.025 * k
        bench.advance(P.overcurrent_delay + P.overcurrent_delay_tolerance + 0.001)
        if _discharge_fet_off(bench):
            assert bench.true_state()["board"]["state"] == "overcurrent"
            return load.level
    raise AssertionError("no over-current trip up to 5 A")


def test_overcurrent_trips_near_3a_at_nominal_and_lower_at_a_lower_cell_voltage() -> None:
    nominal = _trip_current(DEFAULT_PACK.cell_nominal_voltage)
    low = _trip_current(2.9)
    assert nominal == pytest.approx(P.overcurrent_trip, abs=0.2)
    assert low < nominal - 0.2


def test_overcurrent_waits_its_delay_and_releases_when_the_load_is_removed() -> None:
    bench = _board(3.6)
    load = bench.load
    load.function, load.level, load.input_on = "CC", 4.0, True
    bench.advance(P.overcurrent_delay - P.overcurrent_delay_tolerance - 0.0005)
    assert bench.load_input().current == pytest.approx(4.0, rel=1e-3)
    bench.advance(2 * P.overcurrent_delay_tolerance + 0.001)
    assert bench.load_input().current < 1e-6
    bench.advance(1.0)
    assert _discharge_fet_off(bench)  # latched while the load stays on
    load.input_on = False
    bench.advance(0.001)
    assert bench.dmm_voltage() == pytest.approx(3.6, abs=0.01)


def test_short_is_cut_within_a_millisecond_not_before_its_delay() -> None:
    # On the pack: a board fixture's 5 A source could not feed a short's tens of amps.
    bench = build_bench(fixture="pack")
    bench.advance(1.0)
    load = bench.load
    start = bench.time
    load.short, load.input_on = True, True
    assert bench.load_input().current > 20.0
    bench.advance(0.9 * P.short_circuit_delay)
    assert bench.load_input().current > 20.0
    bench.advance(start + 1e-3 - bench.time)
    assert bench.load_input().current < 1e-6
    assert bench.true_state()["board"]["state"] == "short_circuit"
    load.short = load.input_on = False
    bench.advance(0.001)
    assert bench.true_state()["board"]["state"] == "normal"
    assert bench.dmm_voltage() > 3.5


def test_board_without_supply_is_unpowered_and_both_fets_off() -> None:
    bench = build_bench(fixture="board")
    bench.advance(0.1)
    state = bench.true_state()["board"]
    assert state["state"] == "unpowered"
    assert not state["charge_fet_on"] and not state["discharge_fet_on"]
    assert bench.dmm_voltage() == 0.0


def test_mosfet_resistance_rises_as_gate_voltage_falls() -> None:
    shapes = [mosfet_resistance_shape(v) for v in (4.5, 3.6, 3.0, 2.5, 1.8)]
    assert all(b > a for a, b in itertools.pairwise(shapes))
    assert shapes[3] / shapes[0] == pytest.approx(1.45, abs=0.1)  # FS8205A 25 -> ~36 mOhm


def test_main_loop_resistance_is_within_the_board_spec() -> None:
    bench = _board(4.2)
    loop = bench.probe().resistance
    assert 0.03 < loop <= P.main_loop_resistance_max
    drawn = P.self_consumption + bench.dmm_voltage() / 10e6  # IC plus the multimeter's 10 MOhm
    assert bench.source_output(1).current == pytest.approx(drawn, rel=0.01)
