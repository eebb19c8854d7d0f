"""Protocol tests of the DP832 driver: exact bytes sent, recorded replies parsed."""

from __future__ import annotations

import pytest

from instruments.drivers.rigol_dp832 import RigolDP832
from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    ProtocolError,
    SettingOutOfRange,
)
from instruments.roles import RegulationMode
from instruments.safety import ProtectionNotArmed, SafetyLimits
from instruments.units import Q_, UnitMismatchError

OK = [(">", "SYST:ERR?"), ("<", '0,"No error"')]


def written(*commands: str) -> list[tuple[str, str]]:
    script: list[tuple[str, str]] = []
    for command in commands:
        script += [(">", command), *OK]
    return script


def test_identity(replay):
    psu = RigolDP832(
        replay([(">", "*IDN?"), ("<", "RIGOL TECHNOLOGIES,DP832,DP8C1234567890,00.01.14")])
    )
    assert psu.identity.maker == "RIGOL TECHNOLOGIES"
    assert psu.identity.firmware == "00.01.14"


def test_settings_address_the_source_subsystem(replay):
    psu = RigolDP832(replay(written(":SOUR1:VOLT 4.2", ":SOUR3:CURR 0.5")))
    psu.set_voltage(1, Q_(4200, "mV"))
    psu.set_current_limit(3, Q_(0.5, "A"))


def test_protection_then_output(replay):
    psu = RigolDP832(
        replay(
            [
                *written(
                    ":OUTP:OVP:VAL CH1,4.4",
                    ":OUTP:OVP CH1,ON",
                    ":OUTP:OCP:VAL CH1,1.5",
                    ":OUTP:OCP CH1,ON",
                    ":OUTP CH1,ON",
                ),
                (">", ":OUTP? CH1"),
                ("<", "ON"),
                *written(":OUTP CH1,OFF"),
            ]
        )
    )
    with pytest.raises(ProtectionNotArmed):
        psu.output_on(1)
    psu.set_over_voltage_protection(1, Q_(4.4, "V"))
    psu.set_over_current_protection(1, Q_(1.5, "A"))
    psu.output_on(1)
    assert psu.is_output_on(1)
    psu.output_off(1)


def test_measurements_parse_rigol_decimals(replay):
    psu = RigolDP832(
        replay(
            [(">", ":MEAS:VOLT? CH2"), ("<", "4.198"), (">", ":MEAS:CURR? CH2"), ("<", "1.2999")]
        )
    )
    assert psu.measure_voltage(2) == Q_(4.198, "V")
    assert psu.measure_current(2) == Q_(1.2999, "A")


def test_error_queue_reply_raises(replay):
    psu = RigolDP832(
        replay(
            [
                (">", ":SOUR2:VOLT 30"),
                (">", "SYST:ERR?"),
                ("<", '-222,"Data out of range"'),
                (">", "SYST:ERR?"),
                ("<", '0,"No error"'),
            ]
        )
    )
    with pytest.raises(InstrumentReportedError, match=r"Data out of range"):
        psu.set_voltage(2, Q_(30, "V"))


def test_ratings_per_channel_and_safety_limits(replay):
    psu = RigolDP832(replay([]), limits=SafetyLimits(max_current=Q_(2, "A")))
    with pytest.raises(SettingOutOfRange, match=r"channel 3 rating \(0 \.\. 5\.3 V\)"):
        psu.set_voltage(3, Q_(6, "V"))
    with pytest.raises(SettingOutOfRange, match=r"OCP level 2.5 A.*SafetyLimits"):
        psu.set_over_current_protection(1, Q_(2.5, "A"))
    with pytest.raises(SettingOutOfRange, match=r"OVP level 40 V"):
        psu.set_over_voltage_protection(1, Q_(40, "V"))
    with pytest.raises(UnitMismatchError):
        psu.set_current_limit(1, Q_(1, "V"))


@pytest.mark.parametrize(
    ("ovp", "ocp", "output", "reply", "mode"),
    [
        ("YES", None, None, None, RegulationMode.PROTECTION_TRIPPED),
        ("NO", "YES", None, None, RegulationMode.PROTECTION_TRIPPED),
        ("NO", "NO", "OFF", None, RegulationMode.OFF),
        ("NO", "NO", "ON", "CV", RegulationMode.CV),
        ("NO", "NO", "ON", "CC", RegulationMode.CC),
        ("NO", "NO", "ON", "UR", RegulationMode.UNREGULATED),
    ],
)
def test_regulation_mode(replay, ovp, ocp, output, reply, mode):
    script = [(">", ":OUTP:OVP:QUES? CH1"), ("<", ovp)]
    if ocp is not None:
        script += [(">", ":OUTP:OCP:QUES? CH1"), ("<", ocp)]
    if output is not None:
        script += [(">", ":OUTP? CH1"), ("<", output)]
    if reply is not None:
        script += [(">", ":OUTP:MODE? CH1"), ("<", reply)]
    assert RigolDP832(replay(script)).regulation_mode(1) is mode


def test_garbage_mode_reply_is_a_protocol_error(replay):
    script = [
        (">", ":OUTP:OVP:QUES? CH1"),
        ("<", "NO"),
        (">", ":OUTP:OCP:QUES? CH1"),
        ("<", "NO"),
        (">", ":OUTP? CH1"),
        ("<", "ON"),
        (">", ":OUTP:MODE? CH1"),
        ("<", "X#"),
    ]
    with pytest.raises(ProtocolError, match=r"X#"):
        RigolDP832(replay(script)).regulation_mode(1)


def test_clear_protection_clears_both(replay):
    RigolDP832(replay(written(":OUTP:OVP:CLEAR CH2", ":OUTP:OCP:CLEAR CH2"))).clear_protection(2)


def test_make_safe_confirms_each_channel_off(replay):
    off = [(">", ":OUTP CH1,OFF"), (">", ":OUTP CH2,OFF"), (">", ":OUTP CH3,OFF")]
    asks = [(">", ":OUTP? CH1"), ("<", "OFF"), (">", ":OUTP? CH2"), ("<", "OFF")]
    with RigolDP832(replay([*off, *asks, (">", ":OUTP? CH3"), ("<", "OFF")])):
        pass
    with pytest.raises(InstrumentError, match="channel 3 is still on"):
        RigolDP832(replay([*off, *asks, (">", ":OUTP? CH3"), ("<", "ON")])).make_safe()


def test_make_safe_tries_every_channel(replay):
    script = [(">", ":OUTP CH1,OFF"), ("error", "broken pipe"), (">", ":OUTP CH3,OFF")]
    psu = RigolDP832(replay(script))
    with pytest.raises(InstrumentError, match=r"CH2,OFF.*broken pipe"):
        psu.close()
    psu.close()
