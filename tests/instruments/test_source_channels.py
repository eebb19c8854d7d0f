"""Channel objects and declarative settings of the DC sources: readback, guard, same wire bytes."""

from __future__ import annotations

import pytest

from instruments.controls import Control, WriteOnlySetting
from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.drivers.rigol_dp832 import DP832Channel, RigolDP832
from instruments.errors import InstrumentReportedError, SettingOutOfRange
from instruments.safety import ProtectionNotArmed, SafetyLimits
from instruments.units import Q_


def test_dp832_channel_setting_reads_back(replay, checked_writes):
    psu = RigolDP832(
        replay([*checked_writes(":SOUR1:VOLT 4.2"), (">", ":SOUR1:VOLT?"), ("<", "4.200")])
    )
    psu.ch1.voltage = Q_(4.2, "V")
    assert psu.ch1.voltage == Q_(4.2, "V")


def test_dp832_readbacks_address_their_channel(replay):
    psu = RigolDP832(
        replay(
            [
                (">", ":SOUR3:CURR?"),
                ("<", "0.500"),
                (">", ":OUTP:OVP:VAL? CH2"),
                ("<", "4.40"),
                (">", ":OUTP:OCP:VAL? CH2"),
                ("<", "1.500"),
            ]
        )
    )
    assert psu.ch3.current_limit == Q_(0.5, "A")
    assert psu.ch2.ovp == Q_(4.4, "V")
    assert psu.ch2.ocp.to("mA").magnitude == pytest.approx(1500)


def test_channel_object_and_role_method_send_the_same_bytes(replay, checked_writes):
    psu = RigolDP832(replay(checked_writes(":SOUR2:CURR 1.5", ":SOUR2:CURR 1.5")))
    psu.ch2.current_limit = Q_(1500, "mA")
    psu.set_current_limit(2, Q_(1.5, "A"))


def test_guard_refuses_an_over_limit_setting_before_anything_is_sent(replay):
    psu = RigolDP832(replay([]), limits=SafetyLimits(max_voltage=Q_(5, "V")))
    with pytest.raises(SettingOutOfRange, match=r"station SafetyLimits.*nothing was sent"):
        psu.ch1.voltage = Q_(12, "V")


def test_guard_refuses_above_the_channel_rating_before_anything_is_sent(replay):
    psu = KeysightE36312A(replay([]))
    with pytest.raises(SettingOutOfRange, match="E36312A channel 1 rating"):
        psu.ch1.voltage = Q_(7, "V")


def test_channel_ovp_arms_the_interlock_and_caps_the_voltage(replay, checked_writes):
    psu = RigolDP832(
        replay(
            [
                *checked_writes(":OUTP:OVP:VAL CH1,4.4", ":OUTP:OVP CH1,ON"),
                *checked_writes(":OUTP:OCP:VAL CH1,1.5", ":OUTP:OCP CH1,ON", ":OUTP CH1,ON"),
            ]
        )
    )
    psu.ch1.ovp = Q_(4.4, "V")
    with pytest.raises(SettingOutOfRange, match="above its OVP level"):
        psu.ch1.voltage = Q_(5, "V")
    psu.ch1.ocp = Q_(1.5, "A")
    psu.ch1.output_on()


def test_rejected_command_does_not_arm_the_interlock(replay):
    psu = RigolDP832(
        replay(
            [
                (">", ":OUTP:OVP:VAL CH1,4.4"),
                (">", "SYST:ERR?"),
                ("<", '-222,"Data out of range"'),
                (">", "SYST:ERR?"),
                ("<", '0,"No error"'),
            ]
        )
    )
    with pytest.raises(InstrumentReportedError):
        psu.ch1.ovp = Q_(4.4, "V")
    with pytest.raises(ProtectionNotArmed, match="OVP and OCP not programmed"):
        psu.ch1.output_on()


def test_unknown_channel_is_refused_before_anything_is_sent(replay):
    psu = RigolDP832(replay([]))
    with pytest.raises(SettingOutOfRange, match="no channel 4"):
        psu.channel(4)


def test_e36312a_channel_readbacks_use_channel_lists(replay, checked_writes):
    psu = KeysightE36312A(
        replay(
            [
                *checked_writes("VOLT 3.7,(@2)"),
                (">", "VOLT? (@2)"),
                ("<", "+3.70000000E+00"),
                (">", "VOLT:PROT? (@2)"),
                ("<", "+4.00000000E+00"),
                (">", "CURR? (@1)"),
                ("<", "+1.00000000E+00"),
            ]
        )
    )
    psu.ch2.voltage = Q_(3.7, "V")
    assert psu.ch2.voltage == Q_(3.7, "V")
    assert psu.ch2.ovp == Q_(4.0, "V")
    assert psu.ch1.current_limit == Q_(1.0, "A")


@pytest.mark.parametrize(("trip_in_cc", "state"), [(False, "OFF"), (True, "ON")])
def test_e36312a_ocp_declaration_fills_the_trip_state(replay, trip_in_cc, state, checked_writes):
    psu = KeysightE36312A(
        replay(checked_writes("CURR 0.8,(@3)", f"CURR:PROT:STAT {state},(@3)")),
        trip_in_cc=trip_in_cc,
    )
    psu.ch3.ocp = Q_(0.8, "A")


class _NoQueryChannel(DP832Channel):
    """A model whose protection level cannot be asked (declared ``get=None``)."""

    ovp = Control["_NoQueryChannel"](
        "V", set=":OUTP:OVP:VAL CH{ch},{value:g}", get=None, check=DP832Channel.checked_ovp
    )


def test_write_only_setting_says_so_and_sends_nothing(replay):
    psu = RigolDP832(replay([]))
    with pytest.raises(WriteOnlySetting, match="cannot be read back"):
        _ = _NoQueryChannel(psu, 1).ovp


def test_declared_readings_are_measurements_of_their_channel(replay):
    psu = RigolDP832(
        replay(
            [
                (">", ":MEAS:VOLT? CH2"),
                ("<", "3.9012"),
                (">", ":MEAS:CURR? CH2"),
                ("<", "0.7500"),
            ]
        )
    )
    assert psu.ch2.measured_voltage == Q_(3.9012, "V")
    assert psu.measure_current(2) == Q_(0.75, "A")


def test_measurement_of_an_unknown_channel_sends_nothing(replay):
    psu = KeysightE36312A(replay([]))
    with pytest.raises(SettingOutOfRange, match="no channel 0"):
        psu.measure_voltage(0)


@pytest.mark.parametrize("source", [RigolDP832, KeysightE36312A])
@pytest.mark.parametrize(
    "method",
    [
        "output_off",
        "is_output_on",
        "clear_protection",
        "over_voltage_tripped",
        "over_current_tripped",
    ],
)
def test_every_per_channel_method_refuses_an_unknown_channel_before_sending(replay, source, method):
    """The guard is declared once (``per_channel``), not repeated per method: still asked."""
    psu = source(replay([]))
    with pytest.raises(SettingOutOfRange, match="no channel 4"):
        getattr(psu, method)(4)
