"""The simulated bench through its public API: what the emulators and control endpoint call."""

from __future__ import annotations

import json

import pytest

from simulators.faults import CATALOGUE
from simulators.fixtures import BenchError, SimulatedBench, build_bench

TAPER = 0.26  # 0.05C of the 5.2 Ah pack


def _source(bench: SimulatedBench, volts: float, amps: float) -> None:
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = volts, amps, True


PACK_CHARGE_HOURS = (2.0, 3.1)
"""A healthy 1S2P pack's 0.5C CC-CV from 3.0 V to 0.05C, behind its board. The DFN reference
puts the bare cell at 2.41 h (battery-domain 6.5; the fitted cell 2.30 h, ``make fidelity``
holds it within 5 %); the board's main loop and the leads (about 70 mOhm, several times the
pair's own DC R0) lower the cells' share of the CV voltage and stretch the taper: the fitted
cell alone with that resistance in series takes 2.92 h (``compare.model_cell`` charged as
``compare.run_charge`` does, with 64 mOhm scaled to the 5 Ah reference cell). Upper bound that
plus 5 %; the fixed model's short CV gave 2.0-2.6 h, which the DFN shows to be too short."""


@pytest.mark.parametrize("seed", [0, 7])
def test_half_c_recharge_reaches_cv_and_tapers_to_0c05_in_2_to_3h1(seed: int) -> None:
    bench = build_bench(seed=seed)
    bench.set_cell_state(0, voltage=3.0)
    _source(bench, 4.2, 2.6)
    bench.advance(1.0)
    assert bench.source_output(1).mode == "CC"
    cv_at = None
    while bench.time < 4 * 3600:
        bench.advance(10.0)
        output = bench.source_output(1)
        if cv_at is None and output.mode == "CV":
            cv_at = bench.time
        if cv_at is not None and output.current < TAPER:
            break
    assert cv_at is not None and 1.0 * 3600 < cv_at < 2.0 * 3600
    low, high = PACK_CHARGE_HOURS
    assert low * 3600 <= bench.time <= high * 3600
    state = bench.true_state()["pack"]["cells"][0]
    assert state["soc"] > 0.95
    assert 25.0 < state["temperature_c"] < 30.0


def test_uv_protected_pack_reads_zero_until_charged_then_wakes_at_the_charger_detect_level() -> (
    None
):
    bench = build_bench(fault="deep_discharge_uv")
    bench.advance(10.0)
    assert bench.dmm_voltage() < 0.05
    assert bench.probe().resistance == float("inf")
    thresholds = bench.true_state()["board"]["thresholds"]
    _source(bench, 4.2, 2.6)
    bench.advance(1.0)
    output = bench.source_output(1)
    assert output.current == pytest.approx(2.6)  # flows through the discharge FET's diode
    state = bench.true_state()
    assert not state["board"]["discharge_fet_on"]
    cell = state["pack"]["cells"][0]
    assert output.voltage > cell["voltage"] + 0.6  # the body-diode drop shows at P+
    while not bench.true_state()["board"]["discharge_fet_on"]:
        assert bench.time < 3600, "pack never woke"
        bench.advance(1.0)
    # 2.6 A through the body diode pulls VM below the IC's charger-detect voltage: the
    # over-discharge status ends at the detect level VDL, not at the release level VDU.
    release = bench.true_state()["board"]["last_release"]
    assert release["vm"] <= thresholds["charger_detect"]
    assert release["rule"] == "charger_detect"
    assert release["cells"][0] >= thresholds["overdischarge_detect"][0]
    assert release["cells"][0] < thresholds["overdischarge_detect"][0] + 0.01
    assert release["cells"][0] < thresholds["overdischarge_release"][0] - 0.3
    bench.advance(300.0)  # charged on past the release: the cells stay above VDL unloaded
    bench.source_channel(1).output_on = False
    bench.advance(1.0)
    assert thresholds["overdischarge_detect"][0] < bench.dmm_voltage() < 3.3


def test_latched_pack_wakes_on_charger_connection() -> None:
    bench = build_bench(fault="mosfet_latched")
    bench.advance(60.0)
    assert bench.dmm_voltage() < 0.05
    assert bench.true_state()["board"]["latched"]
    _source(bench, 4.2, 2.6)
    bench.advance(0.01)
    bench.source_channel(1).output_on = False
    bench.advance(0.01)
    assert bench.dmm_voltage() == pytest.approx(3.74, abs=0.05)
    assert bench.true_state()["board"]["state"] == "normal"


def test_source_ovp_latches_the_output_off_until_cleared() -> None:
    bench = build_bench()
    source = bench.source_channel(1)
    source.ovp_level, source.ovp_enabled = 4.0, True
    _source(bench, 4.2, 1.0)
    assert bench.source_output(1).voltage < 4.0  # in CC into the pack: below the OVP level
    assert source.tripped is None
    source.current_limit = 5.0  # now the pack's resistance lifts P+ above 4.0 V
    output = bench.source_output(1)
    assert source.tripped == "OVP" and output.mode == "OFF" and output.current == 0.0
    assert not bench.true_state()["source"]["1"]["output_on"]
    bench.advance(1.0)
    assert source.tripped == "OVP"
    source.current_limit, source.tripped = 1.0, None
    assert bench.source_output(1).current == pytest.approx(1.0)


def test_source_ocp_trips_in_cc_keysight_style_and_on_level_rigol_style() -> None:
    bench = build_bench()
    source = bench.source_channel(1)
    source.ocp_enabled = True
    _source(bench, 4.2, 1.0)  # pack at 3.74 V: the channel goes CC
    bench.source_output(1)  # trips are decided when the bench solves (query or advance)
    assert source.tripped == "OCP"
    source.tripped = None
    source.ocp_level, source.current_limit = 3.0, 2.5  # level above the limit: never reached
    assert bench.source_output(1).mode == "CC" and source.tripped is None
    source.ocp_level = 2.0  # below the present current
    bench.source_output(1)
    assert source.tripped == "OCP"


def test_channels_other_than_one_are_open_circuit() -> None:
    bench = build_bench()
    bench.declare_source({1: (6.0, 5.0), 2: (25.0, 1.0), 3: (25.0, 1.0)})
    channel = bench.source_channel(2)
    channel.voltage, channel.current_limit, channel.output_on = 12.0, 0.5, True
    assert bench.source_output(2).voltage == 12.0
    assert bench.source_output(2).current == 0.0
    with pytest.raises(BenchError, match="declared channels"):
        bench.source_channel(4)


@pytest.mark.parametrize(
    ("function", "level", "expected_current"),
    [("CC", 1.0, 1.0), ("CR", 10.0, 0.37), ("CP", 3.7, 1.0)],
)
def test_load_modes_sink_what_they_should(
    function: str, level: float, expected_current: float
) -> None:
    bench = build_bench()
    load = bench.load
    load.function, load.level, load.input_on = function, level, True  # type: ignore[assignment]
    reading = bench.load_input()
    assert reading.current == pytest.approx(expected_current, rel=0.03)
    assert reading.voltage < 3.74


def test_cv_load_holds_its_voltage_and_von_gates_the_load() -> None:
    bench = build_bench()
    load = bench.load
    load.function, load.level, load.input_on = "CV", 3.6, True
    reading = bench.load_input()
    assert reading.voltage == pytest.approx(3.6, abs=0.01) and reading.current > 1.0
    load.function, load.level, load.von = "CC", 1.0, 3.9
    assert bench.load_input().current == 0.0


def test_cell_fixture_probes_one_cell_and_pack_fixture_the_connector() -> None:
    bench = build_bench()
    pack = bench.probe()
    assert 0.06 <= pack.resistance <= 0.12  # spec: <= 120 mOhm at P+/P-
    for index in (0, 1):  # 1S2P: the opened pack's two parallel cells, one at a time
        bench.set_fixture("cell", index)
        cell = bench.probe()
        assert cell.resistance == pytest.approx(0.8 * 0.025, rel=0.01)
        assert cell.voltage == pytest.approx(bench.dmm_voltage())
        assert bench.source_output(1).current == 0.0
    with pytest.raises(BenchError, match="2 cells"):
        bench.set_fixture("cell", 2)
    with pytest.raises(BenchError, match="unknown fixture"):
        bench.set_fixture("bench")  # type: ignore[arg-type]


def test_true_state_is_json_and_names_the_safety_facts() -> None:
    bench = build_bench(fault="aged_cell", seed=3)
    _source(bench, 4.2, 1.0)
    bench.load.input_on = False
    state = json.loads(json.dumps(bench.true_state()))
    assert state["fault"] == "aged_cell"
    assert state["source"]["1"]["output_on"] is True
    assert state["load"]["input_on"] is False
    assert {"voltage", "ocv", "soc", "temperature_c", "ac_resistance", "charge_ah"} <= set(
        state["pack"]["cells"][0]
    )
    assert {"state", "charge_fet_on", "discharge_fet_on", "fuse_open", "latched"} <= set(
        state["board"]
    )


def test_apply_fault_resets_the_model_and_keeps_the_clock_and_instrument_settings() -> None:
    bench = build_bench()
    _source(bench, 4.2, 1.0)
    bench.advance(100.0)
    bench.apply_fault("open_fuse")
    assert bench.time == 100.0
    assert bench.source_channel(1).voltage == 4.2
    assert bench.source_output(1).current < 1e-6  # only the multimeter's 10 MOhm
    assert bench.true_state()["fault"] == "open_fuse"


def test_unknown_fault_lists_the_valid_names() -> None:
    bench = build_bench()
    with pytest.raises(BenchError) as error:
        bench.apply_fault("melted")
    for name in CATALOGUE:
        assert name in str(error.value)
    with pytest.raises(BenchError, match="healthy"):
        build_bench(fault="nope")


def test_advance_refuses_negative_or_infinite_time() -> None:
    bench = build_bench()
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(BenchError, match="advance"):
            bench.advance(bad)


def test_same_seed_same_unit_different_seed_different_thresholds() -> None:
    a = build_bench(seed=5).true_state()["board"]["thresholds"]
    b = build_bench(seed=5).true_state()["board"]["thresholds"]
    c = build_bench(seed=6).true_state()["board"]["thresholds"]
    assert a == b and a != c
