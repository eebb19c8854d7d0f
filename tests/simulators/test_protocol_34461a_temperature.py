"""The 34461A emulator's temperature function over TCP (pyvisa-py), as the Truevolt guide has it.

The probe DMM (``temperature`` role) reads the pack's 5 kOhm NTC; settings have their queries,
bad types give the standard SCPI errors, and a wrong conversion reads as an overload.
"""

from __future__ import annotations

import math

import pytest
from live_bench import FakeBench, LiveFn

from simulators.emulators.keysight_34461a import Keysight34461A
from simulators.physics.thermistor import (
    rtd_celsius,
    thermistor_celsius,
    thermistor_resistance,
)

OVERLOAD = "+9.90000000E+37"


def test_settings_and_their_queries(live: LiveFn) -> None:
    inst = live().open("temperature")
    assert inst.query("TEMP:TRAN:TYPE?") == "FRTD"  # the *RST default
    inst.write("CONFigure:TEMPerature THERmistor,5000")
    assert inst.query("SENS:FUNC?") == '"TEMP"'
    assert inst.query("CONF?").startswith('"TEMP THER,5000,')
    assert inst.query("SENS:TEMP:TRAN:THER:TYPE?") == "+5000"
    inst.write("UNIT:TEMP K;:TEMP:TRAN:FRTD:RES 1000")
    assert inst.query("UNIT:TEMP?;:TEMP:TRAN:FRTD:RES?") == "K;+1.00000000E+03"
    assert inst.query("TEMP:TRAN:RTD:TYPE?") == "+85"
    inst.write("TEMP:TRAN:TYPE fth;:UNIT:TEMP C")
    assert inst.query("TEMP:TRAN:TYPE?") == "FTH"
    assert inst.query("SYST:ERR?") == '+0,"No error"'


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("CONF:TEMP THER,10000", "-222"),  # the Truevolt converts 5 kOhm thermistors only
        ("CONF:TEMP RTD,91", "-222"),
        ("TEMP:TRAN:RTD:RES 20", "-222"),
        ("TEMP:TRAN:TYPE PT100", "-224"),
        ("UNIT:TEMP X", "-224"),
    ],
)
def test_bad_settings_are_refused_with_the_scpi_error(
    live: LiveFn, command: str, code: str
) -> None:
    inst = live().open("temperature")
    inst.write(command)
    assert inst.query("SYST:ERR?").startswith(code)


def test_reading_is_the_probe_temperature_in_the_chosen_unit(live: LiveFn) -> None:
    bench = live()
    inst = bench.open("temperature")
    truth = bench.control.state()["probe_temperature_c"]
    assert float(inst.query("MEAS:TEMP? THER,5000")) == pytest.approx(truth, abs=0.1)
    inst.write("UNIT:TEMP F")
    assert float(inst.query("READ?")) == pytest.approx(truth * 9 / 5 + 32, abs=0.2)
    inst.write("UNIT:TEMP K")
    assert float(inst.query("READ?")) == pytest.approx(truth + 273.15, abs=0.1)
    inst.write("CONF:TEMP RTD,85")  # an RTD conversion of a 5 kOhm thermistor: out of range
    assert inst.query("READ?") == OVERLOAD
    assert float(inst.query("MEAS:VOLT:DC?")) == pytest.approx(0.0, abs=1e-3)  # a passive probe


def test_the_terminal_dmm_refuses_temperature() -> None:
    emulator = Keysight34461A(FakeBench())
    assert emulator.receive(b"CONF:TEMP THER,5000\n") == b""
    assert emulator.receive(b"READ?\n") == b""
    assert emulator.receive(b"SYST:ERR?\n").startswith(b"-221")


def test_probe_emulator_follows_the_bench_temperature() -> None:
    bench = FakeBench()
    emulator = Keysight34461A(bench, inputs="probe")
    emulator.receive(b"CONF:TEMP THER,5000\n")
    for celsius in (-20.0, 25.0, 45.0, 90.0):
        bench.probe_celsius = celsius
        assert float(emulator.receive(b"READ?\n")) == pytest.approx(celsius, abs=0.1)
    bench.probe_celsius = 200.0  # beyond the thermistor conversion's range
    assert emulator.receive(b"READ?\n").strip() == OVERLOAD.encode()


def test_thermistor_curve_round_trips_and_matches_the_5k_table() -> None:
    assert thermistor_resistance(25.0) == pytest.approx(5000.0, rel=1e-3)
    assert thermistor_resistance(0.0) == pytest.approx(16330.0, rel=5e-3)  # YSI 44007 table
    for celsius in (-40.0, 0.0, 45.0, 120.0):
        assert thermistor_celsius(thermistor_resistance(celsius)) == pytest.approx(celsius)
    assert math.isnan(thermistor_celsius(thermistor_resistance(160.0)))
    assert rtd_celsius(138.5055, 100.0) == pytest.approx(100.0, abs=0.01)  # PT100 at 100 degC
    with pytest.raises(ValueError, match="inputs"):
        Keysight34461A(FakeBench(), inputs="leads")  # type: ignore[arg-type]
