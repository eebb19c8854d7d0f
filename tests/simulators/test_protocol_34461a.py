"""Keysight 34461A emulator through pyvisa-py over TCP, reading the real simulated pack."""

from __future__ import annotations

import re
from pathlib import Path

from live_bench import LiveFn, close_to, sync


#: 1-year DCV accuracy on the 10 V range: 0.0035 % of reading + 0.0005 % of range (data sheet).
def dcv_tolerance(volts: float, range_: float = 10.0) -> float:
    return 0.0035e-2 * abs(volts) + 0.0005e-2 * range_


def test_identity_and_housekeeping(live: LiveFn) -> None:
    inst = live().open("dmm")
    assert re.fullmatch(
        r"Keysight Technologies,34461A,MY\d{8},A\.\d\d\.\d\d-.*", inst.query("*IDN?")
    )
    assert inst.query("*OPT?") == "0"
    assert inst.query("SYST:LFR?") == "+50"
    assert inst.query("SENS:FUNC?") == '"VOLT"'
    assert inst.query("SAMP:COUN?") == "+1"
    assert inst.query("SYST:VERS?") == "1994.0"
    inst.write('DISP:TEXT "PACKBENCH"')
    assert inst.query("DISP:TEXT?") == '"PACKBENCH"'
    inst.write("DISP:TEXT:CLE")
    assert inst.query("disp:text?") == '""'
    assert inst.query("SYST:ERR?") == '+0,"No error"'


def test_settings_and_their_queries(live: LiveFn) -> None:
    inst = live().open("dmm")
    inst.write("CONF:VOLT:DC 10")
    assert inst.query("CONF?") == '"VOLT +1.00000000E+01,+1.00000000E-05"'
    inst.write("sense:voltage:dc:nplc 100;:VOLT:RANG:AUTO off")
    assert inst.query("VOLT:DC:NPLC?") == "+1.00000000E+02"
    assert inst.query("VOLT:RANG:AUTO?") == "0"
    inst.write("VOLT:NPLC 0.5")  # between settings: rounds up to the next one
    assert inst.query("SENS:VOLT:DC:NPLC?") == "+1.00000000E+00"
    inst.write("VOLT:IMP:AUTO ON;:VOLT:ZERO:AUTO 0")
    assert inst.query("VOLT:IMP:AUTO?;:VOLT:ZERO:AUTO?") == "1;0"
    inst.write("TRIG:SOUR bus;:TRIG:COUN 3;:SAMP:COUN 2")
    assert inst.query("TRIG:SOUR?;COUN?") == "BUS;+3.00000000E+00"
    assert inst.query("SYST:ERR?") == '+0,"No error"'


def test_reading_matches_true_terminal_voltage(live: LiveFn) -> None:
    bench = live()
    inst = bench.open("dmm")
    true = bench.control.state()["pack"]["terminal_voltage"]
    assert 3.0 < true < 4.3  # a healthy 1S pack at storage charge
    reply = inst.query("MEAS:VOLT:DC?")
    assert re.fullmatch(r"[+-]\d\.\d{8}E[+-]\d\d", reply)
    assert close_to(reply, true, dcv_tolerance(true))
    assert close_to(reply, bench.control.state()["dmm_voltage"], dcv_tolerance(true))


def test_reading_follows_the_pack_while_it_discharges(live: LiveFn) -> None:
    bench = live()
    dmm, load = bench.open("dmm"), bench.open("load")
    before = float(dmm.query("READ?"))
    load.write(":SOUR:FUNC CURR;:SOUR:CURR:LEV 2;:SOUR:INP:STAT ON")
    sync(load)
    bench.control.advance(1800.0)  # 1 Ah out of a 5.2 Ah pack
    true = bench.control.state()["pack"]["terminal_voltage"]
    under_load = float(dmm.query("READ?"))
    assert abs(under_load - true) <= dcv_tolerance(true)
    assert under_load < before - 0.05


def test_overload_code_on_a_range_too_small_for_the_pack(live: LiveFn) -> None:
    inst = live().open("dmm")
    inst.write("CONF:VOLT:DC 1")  # a ~3.7 V pack on the 1 V range
    assert inst.query("READ?") == "+9.90000000E+37"
    inst.write("CONF:VOLT:DC AUTO;:SAMP:COUN 3")
    readings = inst.query("INIT;FETC?").split(",")
    assert len(readings) == 3 and all(3.0 < float(r) < 4.3 for r in readings)
    assert inst.query("SYST:ERR?") == '+0,"No error"'


def test_cell_fixture_reads_one_cell(live: LiveFn) -> None:
    two_series = Path(__file__).resolve().parents[2] / "procedures/specs/PB-2S1P-18650-2600.toml"
    bench = live(fault="series_imbalance", spec=two_series)  # 2S, cell 0 at 15 % SOC
    inst = bench.open("dmm")
    pack = float(inst.query("MEAS:VOLT:DC?"))
    bench.control.fixture("cell", 0)
    cell = bench.control.state()["pack"]["cells"][0]["voltage"]
    reading = float(inst.query("MEAS:VOLT:DC?"))
    assert abs(reading - cell) <= dcv_tolerance(cell)
    assert reading < pack / 2


def test_error_queue_after_bad_commands(live: LiveFn) -> None:
    inst = live().open("dmm")
    inst.write("VOLT:DC:FOO 1")
    inst.write("VOLT:DC:NPLC 1000")
    inst.write("VOLT:DC:NPLC")
    assert inst.query("SYST:ERR?") == '-113,"Undefined header"'
    assert inst.query("SYST:ERR?") == '-222,"Data out of range"'
    assert inst.query("SYST:ERR?") == '-109,"Missing parameter"'
    assert inst.query("SYST:ERR?") == '+0,"No error"'
