"""Every catalogue scenario behaves on the bench as its description says."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.faults import CATALOGUE, SYMPTOMS, scenario
from simulators.fixtures import SimulatedBench, build_bench

SPEC_DIR = Path(__file__).resolve().parents[2] / "procedures" / "specs"

REQUIRED = {
    "healthy",
    "deep_discharge_uv",
    "mosfet_latched",
    "zero_volt_cell",
    "internal_short",
    "aged_cell",
    "series_imbalance",
    "open_fuse",
    "discharge_fet_open",
    "charge_fet_short",
    "overcurrent_protection_failed",
    "high_self_discharge",
}
DISPOSITIONS = {
    "recharge_and_return",
    "repair_board",
    "replace_board",
    "replace_cells",
    "scrap",
    "no_fault_found",
}


def _charge(bench: SimulatedBench, volts: float = 4.2, amps: float = 2.6) -> None:
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = volts, amps, True


def _rest_voltage(bench: SimulatedBench) -> float:
    bench.source_channel(1).output_on = False
    bench.load.input_on = False
    bench.advance(1.0)
    return bench.dmm_voltage()


def test_catalogue_has_the_required_scenarios_with_valid_answer_keys() -> None:
    assert set(CATALOGUE) >= REQUIRED
    for name, item in CATALOGUE.items():
        assert item.name == name
        assert item.symptom in SYMPTOMS
        assert item.expected_disposition in DISPOSITIONS
        assert item.expected_root_cause.isidentifier()
        assert "\n" not in item.description
        spec = SPEC_DIR / (
            "PB-2S1P-18650-2600.toml" if item.min_series > 1 else "PB-1S2P-18650-5200.toml"
        )
        build_bench(fault=name, spec=spec).advance(1.0)  # every scenario builds and runs


def test_unknown_scenario_names_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="valid names: healthy"):
        scenario("flat")


def test_healthy_reads_its_ocv_and_charges() -> None:
    bench = build_bench()
    assert bench.dmm_voltage() == pytest.approx(3.74, abs=0.02)
    _charge(bench)
    bench.advance(10.0)
    assert bench.source_output(1).current == pytest.approx(2.6)


def test_zero_volt_cell_takes_no_current_and_never_wakes() -> None:
    bench = build_bench(fault="zero_volt_cell")
    assert bench.dmm_voltage() < 0.05
    _charge(bench)
    bench.advance(600.0)
    assert bench.source_output(1).current < 1e-5
    assert bench.true_state()["pack"]["cells"][0]["voltage"] == pytest.approx(1.0, abs=0.02)
    assert _rest_voltage(bench) < 0.05


def test_internal_short_accepts_charge_but_heats_never_tapers_and_sags_at_rest() -> None:
    bench = build_bench(fault="internal_short")
    assert bench.dmm_voltage() < 0.05
    _charge(bench)
    bench.advance(3 * 3600.0)
    output = bench.source_output(1)
    assert output.current > 0.26 * 2  # the short keeps drawing: no end of charge
    assert bench.true_state()["pack"]["cells"][0]["temperature_c"] > 40.0
    charged = _rest_voltage(bench)
    bench.advance(3600.0)
    assert charged - bench.dmm_voltage() > 0.1


def test_aged_cell_reads_high_resistance_and_reaches_cv_early() -> None:
    times = {}
    for fault in ("healthy", "aged_cell"):
        bench = build_bench(fault=fault)
        bench.set_cell_state(0, voltage=3.3)
        _charge(bench)
        while bench.source_output(1).mode != "CV":
            bench.advance(10.0)
        times[fault] = bench.time
        bench.set_fixture("cell", 0)
        if fault == "aged_cell":
            # 2.2x the typical new group's 10 mOhm, a little less while still warm from charge
            assert bench.probe().resistance >= 1.9 * 0.8 * 0.025 / 2
    assert times["aged_cell"] < 0.8 * times["healthy"]


def test_series_imbalance_stops_charging_early_on_the_high_cell() -> None:
    bench = build_bench(fault="series_imbalance", spec=SPEC_DIR / "PB-2S1P-18650-2600.toml")
    state = bench.true_state()["pack"]
    assert state["series"] == 2
    cells = [c["voltage"] for c in state["cells"]]
    assert abs(cells[0] - cells[1]) > 0.1
    _charge(bench, 8.7, 2.6)  # above 2 x VCU: only the protection can stop it
    while bench.true_state()["board"]["charge_fet_on"]:
        assert bench.time < 4 * 3600
        bench.advance(10.0)
    bench.advance(1.0)
    assert bench.source_output(1).current < 1e-3
    assert _rest_voltage(bench) < 2 * 4.2 - 0.1


def test_open_fuse_reads_zero_and_takes_no_charge() -> None:
    bench = build_bench(fault="open_fuse")
    assert bench.dmm_voltage() == 0.0
    _charge(bench)
    bench.advance(10.0)
    output = bench.source_output(1)
    assert output.current < 1e-6 and output.mode == "CV"
    bench.set_fixture("cell", 0)
    assert bench.dmm_voltage() == pytest.approx(3.74, abs=0.02)


def test_discharge_fet_open_gives_no_output_but_charges_through_its_diode() -> None:
    bench = build_bench(fault="discharge_fet_open")
    assert bench.dmm_voltage() < 0.05
    _charge(bench, 4.2, 1.0)
    bench.advance(1.0)
    assert bench.source_output(1).current < 1e-5  # 3.74 V + 0.7 V diode is above 4.2 V
    bench.source_channel(1).voltage = 5.0
    bench.advance(1.0)
    cell = bench.true_state()["pack"]["cells"][0]["voltage"]
    assert bench.source_output(1).current == pytest.approx(1.0)
    assert bench.source_output(1).voltage > cell + 0.6


def test_charge_fet_short_keeps_charging_past_4v3() -> None:
    bench = build_bench(fault="charge_fet_short")
    _charge(bench, 4.6, 2.6)
    while bench.true_state()["pack"]["cells"][0]["voltage"] < 4.35:
        assert bench.time < 4 * 3600
        bench.advance(10.0)
    bench.advance(30.0)
    assert bench.source_output(1).current > 0.2
    assert bench.true_state()["board"]["overcharge"]  # the IC saw it but cannot cut it


def test_overcurrent_protection_failed_lets_a_short_run_until_the_fuse_opens() -> None:
    bench = build_bench(fault="overcurrent_protection_failed")
    load = bench.load
    load.short, load.input_on = True, True
    bench.advance(0.01)
    assert bench.load_input().current > 20.0
    bench.advance(2.0)
    assert bench.true_state()["board"]["fuse_open"]
    assert bench.load_input().current == 0.0


def test_high_self_discharge_loses_tens_of_millivolts_a_day() -> None:
    drops = {}
    for fault in ("healthy", "high_self_discharge"):
        bench = build_bench(fault=fault)
        start = bench.dmm_voltage()
        bench.advance(86400.0)
        drops[fault] = start - bench.dmm_voltage()
    assert drops["healthy"] < 0.005
    assert drops["high_self_discharge"] > 0.02


def test_charge_fet_open_discharges_but_takes_no_charge() -> None:
    bench = build_bench(fault="charge_fet_open")
    _charge(bench)
    bench.advance(10.0)
    assert bench.source_output(1).current < 1e-5
    bench.source_channel(1).output_on = False
    load = bench.load
    load.function, load.level, load.input_on = "CC", 1.0, True
    bench.advance(1.0)
    assert bench.load_input().current == pytest.approx(1.0)


def test_discharge_fet_short_is_not_cut_by_the_ic() -> None:
    bench = build_bench(fault="discharge_fet_short")
    load = bench.load
    load.short, load.input_on = True, True
    bench.advance(0.05)
    assert bench.load_input().current > 20.0
    board = bench.true_state()["board"]
    assert board["overcurrent"] or board["short_circuit"]  # detected, but DO cannot cut
    assert not board["discharge_fet_on"]


def test_load_held_overcurrent_releases_once_nothing_loads_the_pack() -> None:
    bench = build_bench(fault="load_held_overcurrent")
    assert bench.dmm_voltage() < 0.05
    bench.advance(0.001)
    assert bench.dmm_voltage() == pytest.approx(3.74, abs=0.02)


def test_deep_discharge_and_latched_start_protected() -> None:
    for fault, state in (("deep_discharge_uv", "power_down"), ("mosfet_latched", "latched")):
        bench = build_bench(fault=fault)
        bench.advance(1.0)
        assert bench.true_state()["board"]["state"] == state
        assert bench.dmm_voltage() < 0.05
