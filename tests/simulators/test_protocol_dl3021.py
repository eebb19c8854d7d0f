"""Rigol DL3021 emulator through pyvisa-py over TCP, discharging the real simulated pack."""

from __future__ import annotations

from live_bench import LiveFn, close_to, sync


def test_identity_function_and_levels(live: LiveFn) -> None:
    inst = live().open("load")
    assert inst.query("*IDN?") == "RIGOL TECHNOLOGIES,DL3021,DL3A123456789,00.01.02.00.01"
    inst.write(":SOUR:FUNC RES;:SOUR:RES:LEV:IMM 10")
    assert inst.query(":FUNC?") == "CR"
    inst.write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 1.5;VON 2.5")
    assert inst.query(":SOURce:FUNCtion?;:CURR?;:CURR:VON?") == "CC;1.500000;2.500000"
    assert inst.query(":RES?") == "10.000000"
    assert inst.query(":SYST:ERR?") == '0,"No error"'


def test_cc_level_sinks_that_current_from_the_pack(live: LiveFn) -> None:
    bench = live()
    inst = bench.open("load")
    inst.write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 1.5;:SOUR:INP:STAT on")
    assert inst.query(":INP?") == "1"
    state = bench.control.state()
    assert state["load"]["current"] == 1.5
    assert abs(state["pack"]["current"] + 1.5) < 1e-3  # negative: out of the pack
    assert close_to(inst.query(":MEAS:CURR?"), 1.5, 0.01)
    volts = float(inst.query(":MEAS:VOLT?"))
    assert abs(volts - state["load"]["voltage"]) < 0.01
    assert close_to(inst.query(":MEAS:POW?"), 1.5 * volts, 0.05)
    soc = state["pack"]["cells"][0]["soc"]
    bench.control.advance(3600.0)  # 1.5 Ah out of 5.2 Ah
    assert abs(bench.control.state()["pack"]["cells"][0]["soc"] - (soc - 1.5 / 5.2)) < 0.02


def test_short_trips_the_board_and_releases_when_removed(live: LiveFn) -> None:
    bench = live()
    inst = bench.open("load")
    inst.write(":SOUR:INP:STAT ON;:SOUR:INP:SHOR 1")
    assert inst.query(":INP:SHOR?") == "1"
    assert float(inst.query(":MEAS:CURR?")) > 10.0  # before the IC reacts: a real short
    bench.control.advance(0.01)  # far beyond the ~320 us short-circuit delay
    assert bench.control.state()["board"]["short_circuit"]
    assert abs(float(inst.query(":MEAS:CURR?"))) < 0.01  # discharge FET cut the pack off
    assert abs(float(inst.query(":MEAS:VOLT?"))) < 0.01
    inst.write(":INP:SHOR OFF;:INP OFF")
    sync(inst)
    bench.control.advance(1.0)
    state = bench.control.state()
    assert not state["board"]["short_circuit"] and state["pack"]["terminal_voltage"] > 3.0


def test_errors(live: LiveFn) -> None:
    inst = live().open("load")
    inst.write(":CURR 50")
    inst.write(":FUNC LED")
    inst.write(":FUNC")
    assert inst.query(":SYST:ERR?") == '-222,"Data out of range"'
    assert inst.query(":SYST:ERR?") == '-224,"Illegal parameter value"'
    assert inst.query(":SYST:ERR?") == '-109,"Missing parameter"'
    assert inst.query(":SYST:ERR?") == '0,"No error"'
