"""Protocol tests of the E36312A driver: exact bytes sent, recorded replies parsed."""

from __future__ import annotations

import pytest

from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.errors import InstrumentError, InstrumentReportedError, SettingOutOfRange
from instruments.roles import RegulationMode
from instruments.safety import ProtectionNotArmed, SafetyLimits
from instruments.units import Q_, UnitMismatchError

OK = [(">", "SYST:ERR?"), ("<", '+0,"No error"')]
ALL_OFF = [(">", "OUTP OFF,(@1)"), (">", "OUTP OFF,(@2)"), (">", "OUTP OFF,(@3)")]


def written(command: str) -> list[tuple[str, str]]:
    return [(">", command), *OK]


def test_identity(replay):
    psu = KeysightE36312A(
        replay([(">", "*IDN?"), ("<", "Keysight Technologies,E36312A,MY59001234,2.1.0-1.0.4-1.12")])
    )
    assert psu.identity.model == "E36312A"
    assert psu.identity.serial == "MY59001234"


def test_set_voltage_and_current_use_channel_lists(replay):
    psu = KeysightE36312A(replay(written("VOLT 4.2,(@1)") + written("CURR 1.3,(@1)")))
    psu.set_voltage(1, Q_(4.2, "V"))
    psu.set_current_limit(1, Q_(1300, "mA"))


def test_protection_programming(replay):
    psu = KeysightE36312A(
        replay(
            written("VOLT:PROT 4.4,(@1)")
            + written("CURR 2.6,(@1)")
            + written("CURR:PROT:STAT OFF,(@1)")
        )
    )
    psu.set_over_voltage_protection(1, Q_(4.4, "V"))
    psu.set_over_current_protection(1, Q_(2.6, "A"))


def test_ocp_level_is_a_ceiling_for_later_current_limits(replay):
    """With the CC trip off (the default), the OCP level caps every later current limit."""
    psu = KeysightE36312A(
        replay(
            written("CURR 2.6,(@1)") + written("CURR:PROT:STAT OFF,(@1)") + written("CURR 1.3,(@1)")
        )
    )
    psu.set_over_current_protection(1, Q_(2.6, "A"))
    psu.set_current_limit(1, Q_(1.3, "A"))
    with pytest.raises(SettingOutOfRange, match=r"above its OCP level 2.6 A"):
        psu.set_current_limit(1, Q_(2.7, "A"))


def test_trip_in_cc_arms_the_real_trip(replay):
    psu = KeysightE36312A(
        replay(written("CURR 1,(@1)") + written("CURR:PROT:STAT ON,(@1)")), trip_in_cc=True
    )
    psu.set_over_current_protection(1, Q_(1, "A"))


def test_output_on_refused_until_ovp_and_ocp_programmed(replay):
    psu = KeysightE36312A(replay(written("VOLT:PROT 4.4,(@1)")))
    with pytest.raises(ProtectionNotArmed, match=r"OVP and OCP"):
        psu.output_on(1)
    psu.set_over_voltage_protection(1, Q_(4.4, "V"))
    with pytest.raises(ProtectionNotArmed, match=r"OCP not programmed"):
        psu.output_on(1)


def test_output_on_after_protection(replay):
    script = (
        written("VOLT:PROT 4.4,(@1)")
        + written("CURR 1,(@1)")
        + written("CURR:PROT:STAT OFF,(@1)")
        + written("OUTP ON,(@1)")
        + [(">", "OUTP? (@1)"), ("<", "1")]
        + written("OUTP OFF,(@1)")
    )
    psu = KeysightE36312A(replay(script))
    psu.set_over_voltage_protection(1, Q_(4.4, "V"))
    psu.set_over_current_protection(1, Q_(1, "A"))
    psu.output_on(1)
    assert psu.is_output_on(1) is True
    psu.output_off(1)


def test_measurements_parse_nr3(replay):
    psu = KeysightE36312A(
        replay(
            [
                (">", "MEAS:VOLT? (@1)"),
                ("<", "+4.19870000E+00"),
                (">", "MEAS:CURR? (@3)"),
                ("<", "+2.50000000E-01"),
            ]
        )
    )
    assert psu.measure_voltage(1) == Q_(4.1987, "V")
    assert psu.measure_current(3).to("mA").magnitude == pytest.approx(250.0)


def test_instrument_error_is_raised_with_command(replay):
    psu = KeysightE36312A(
        replay(
            [
                (">", "VOLT 5,(@1)"),
                (">", "SYST:ERR?"),
                ("<", '-222,"Data out of range"'),
                (">", "SYST:ERR?"),
                ("<", '+0,"No error"'),
            ]
        )
    )
    with pytest.raises(InstrumentReportedError, match=r"VOLT 5,\(@1\).*-222"):
        psu.set_voltage(1, Q_(5, "V"))


def test_out_of_rating_and_safety_limits_send_nothing(replay):
    psu = KeysightE36312A(replay([]), limits=SafetyLimits(max_voltage=Q_(4.3, "V")))
    with pytest.raises(SettingOutOfRange, match=r"voltage 7 V .*channel 1 rating.*0 \.\. 6 V"):
        psu.set_voltage(1, Q_(7, "V"))
    with pytest.raises(SettingOutOfRange, match=r"SafetyLimits"):
        psu.set_voltage(2, Q_(5, "V"))
    with pytest.raises(SettingOutOfRange, match=r"current limit 2 A .*channel 2"):
        psu.set_current_limit(2, Q_(2, "A"))
    with pytest.raises(SettingOutOfRange, match=r"no channel 4"):
        psu.set_voltage(4, Q_(1, "V"))
    with pytest.raises(UnitMismatchError):
        psu.set_voltage(1, Q_(1, "A"))


def test_voltage_above_ovp_is_refused(replay):
    psu = KeysightE36312A(replay(written("VOLT:PROT 4.4,(@1)")))
    psu.set_over_voltage_protection(1, Q_(4.4, "V"))
    with pytest.raises(SettingOutOfRange, match=r"would trip"):
        psu.set_voltage(1, Q_(4.5, "V"))


@pytest.mark.parametrize(
    ("ovp", "ocp", "output", "condition", "mode"),
    [
        ("1", None, None, None, RegulationMode.PROTECTION_TRIPPED),
        ("0", "1", None, None, RegulationMode.PROTECTION_TRIPPED),
        ("0", "0", "0", None, RegulationMode.OFF),
        ("0", "0", "1", "+1", RegulationMode.CV),
        ("0", "0", "1", "+2", RegulationMode.CC),
        ("0", "0", "1", "+0", RegulationMode.UNREGULATED),
    ],
)
def test_regulation_mode(replay, ovp, ocp, output, condition, mode):
    script = [(">", "VOLT:PROT:TRIP? (@1)"), ("<", ovp)]
    if ocp is not None:
        script += [(">", "CURR:PROT:TRIP? (@1)"), ("<", ocp)]
    if output is not None:
        script += [(">", "OUTP? (@1)"), ("<", output)]
    if condition is not None:
        script += [(">", "STAT:OPER:INST:ISUM1:COND?"), ("<", condition)]
    assert KeysightE36312A(replay(script)).regulation_mode(1) is mode


def test_clear_protection(replay):
    KeysightE36312A(replay(written("OUTP:PROT:CLE (@2)"))).clear_protection(2)


def test_close_switches_every_channel_off_once(replay):
    script = [*ALL_OFF, (">", "OUTP? (@1,2,3)"), ("<", "0,0,0")]
    psu = KeysightE36312A(replay(script))
    with psu:
        pass
    psu.close()  # idempotent: the replay would diverge on a second round of commands


def test_make_safe_reports_a_channel_that_stays_on(replay):
    psu = KeysightE36312A(replay([*ALL_OFF, (">", "OUTP? (@1,2,3)"), ("<", "0,1,0")]))
    with pytest.raises(InstrumentError, match=r"channels \[2\] still on"):
        psu.make_safe()


def test_make_safe_reports_an_unanswered_confirmation(replay):
    psu = KeysightE36312A(replay([*ALL_OFF, (">", "OUTP? (@1,2,3)"), ("timeout", "")]))
    with pytest.raises(InstrumentError, match=r"NOT confirmed.*OUTP\? \(@1,2,3\)"):
        psu.make_safe()


def test_make_safe_tries_every_channel_even_if_one_fails(replay):
    script = [(">", "OUTP OFF,(@1)"), ("error", "link dropped"), (">", "OUTP OFF,(@3)")]
    psu = KeysightE36312A(replay(script))
    with pytest.raises(InstrumentError, match=r"OUTP OFF,\(@2\).*link dropped"):
        psu.close()
    psu.close()  # idempotent: no second attempt, no exception


def test_close_after_failed_command_still_makes_safe(replay):
    script = [
        (">", "VOLT 1,(@1)"),
        (">", "SYST:ERR?"),
        ("<", '-221,"Settings conflict"'),
        (">", "SYST:ERR?"),
        ("<", '+0,"No error"'),
        *ALL_OFF,
        (">", "OUTP? (@1,2,3)"),
        ("<", "0,0,0"),
    ]
    with pytest.raises(InstrumentReportedError), KeysightE36312A(replay(script)) as psu:
        psu.set_voltage(1, Q_(1, "V"))
