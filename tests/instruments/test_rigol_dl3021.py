"""Protocol tests of the DL3021 driver: exact bytes sent, recorded replies parsed."""

from __future__ import annotations

import pytest

from instruments.drivers.rigol_dl3021 import RigolDL3021
from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    OverloadError,
    ProtocolError,
    SettingOutOfRange,
)
from instruments.roles import LoadMode
from instruments.safety import SafetyLimits
from instruments.units import Q_, UnitMismatchError

OK = [(">", "SYST:ERR?"), ("<", '0,"No error"')]


def written(*commands: str) -> list[tuple[str, str]]:
    script: list[tuple[str, str]] = []
    for command in commands:
        script += [(">", command), *OK]
    return script


@pytest.mark.parametrize(
    ("mode", "function", "level", "command"),
    [
        (LoadMode.CC, "CURR", Q_(1.5, "A"), ":SOUR:CURR:LEV 1.5"),
        (LoadMode.CV, "VOLT", Q_(3000, "mV"), ":SOUR:VOLT:LEV 3"),
        (LoadMode.CR, "RES", Q_(2.5, "ohm"), ":SOUR:RES:LEV 2.5"),
        (LoadMode.CP, "POW", Q_(10, "W"), ":SOUR:POW:LEV 10"),
    ],
)
def test_mode_and_level(replay, mode, function, level, command):
    load = RigolDL3021(replay(written(f":SOUR:FUNC {function}", command)))
    load.set_mode(mode)
    load.set_level(level)


def test_level_without_mode_asks_the_function_once(replay):
    load = RigolDL3021(
        replay(
            [(">", ":SOUR:FUNC?"), ("<", "CC"), *written(":SOUR:CURR:LEV 2", ":SOUR:CURR:LEV 3")]
        )
    )
    load.set_level(Q_(2, "A"))
    load.set_level(Q_(3, "A"))


def test_unknown_function_reply(replay):
    with pytest.raises(ProtocolError, match=r"LED"):
        RigolDL3021(replay([(">", ":SOUR:FUNC?"), ("<", "LED")])).mode()


def test_level_in_the_wrong_unit_sends_nothing(replay):
    load = RigolDL3021(replay(written(":SOUR:FUNC CURR")))
    load.set_mode(LoadMode.CC)
    with pytest.raises(UnitMismatchError):
        load.set_level(Q_(3, "V"))


def test_ratings_and_safety_limits(replay):
    load = RigolDL3021(replay([]), limits=SafetyLimits(max_current=Q_(10, "A"), allow_short=False))
    with pytest.raises(SettingOutOfRange, match=r"CC level 41 A .*DL3021 rating"):
        load.set_current(Q_(41, "A"))
    with pytest.raises(SettingOutOfRange, match=r"CC level 12 A .*SafetyLimits"):
        load.set_current(Q_(12, "A"))
    with pytest.raises(SettingOutOfRange, match=r"CP level 250 W"):
        load.set_power(Q_(250, "W"))
    with pytest.raises(SettingOutOfRange, match=r"CR level 0.01 ohm"):
        load.set_resistance(Q_(0.01, "ohm"))
    with pytest.raises(SettingOutOfRange, match=r"short-circuit function is forbidden"):
        load.set_short(True)


def test_input_short_and_von(replay):
    load = RigolDL3021(
        replay(
            [
                *written(":SOUR:CURR:VON 2.5", ":SOUR:INP:STAT ON", ":SOUR:INP:SHOR ON"),
                (">", ":SOUR:INP:STAT?"),
                ("<", "1"),
                *written(":SOUR:INP:SHOR OFF", ":SOUR:INP:STAT OFF"),
                (">", ":SOUR:INP:STAT?"),
                ("<", "0"),
            ]
        )
    )
    assert load.supports_short
    load.set_von(Q_(2.5, "V"))
    load.input_on()
    load.set_short(True)
    assert load.is_input_on() is True
    load.set_short(False)
    load.input_off()
    assert load.is_input_on() is False


def test_measure(replay):
    load = RigolDL3021(
        replay(
            [
                (">", ":MEAS:VOLT?"),
                ("<", "3.851200"),
                (">", ":MEAS:CURR?"),
                ("<", "1.000100"),
                (">", ":MEAS:POW?"),
                ("<", "3.851585"),
            ]
        )
    )
    reading = load.measure()
    assert reading.voltage == Q_(3.8512, "V")
    assert reading.current == Q_(1.0001, "A")
    assert reading.power == Q_(3.851585, "W")


def test_overload_reading_raises(replay):
    load = RigolDL3021(replay([(">", ":MEAS:VOLT?"), ("<", "9.9E+37")]))
    with pytest.raises(OverloadError, match=r"MEAS:VOLT"):
        load.measure()


def test_error_reply(replay):
    load = RigolDL3021(
        replay(
            [
                (">", ":SOUR:INP:STAT ON"),
                (">", "SYST:ERR?"),
                ("<", '-221,"Settings conflict"'),
                (">", "SYST:ERR?"),
                ("<", '0,"No error"'),
            ]
        )
    )
    with pytest.raises(InstrumentReportedError, match=r"INP:STAT ON.*Settings conflict"):
        load.input_on()


def test_close_turns_short_and_input_off_even_if_short_off_fails(replay):
    load = RigolDL3021(replay([("error", "connection reset"), (">", ":SOUR:INP:STAT OFF")]))
    with pytest.raises(InstrumentError, match=r"SHOR OFF.*connection reset"):
        load.close()
    load.close()


def test_context_manager_makes_safe(replay):
    safe = [(">", ":SOUR:INP:SHOR OFF"), (">", ":SOUR:INP:STAT OFF"), (">", ":SOUR:INP:STAT?")]
    with RigolDL3021(replay([*safe, ("<", "0")])):
        pass
    with pytest.raises(InstrumentError, match="input is still on"):
        RigolDL3021(replay([*safe, ("<", "1")])).make_safe()
