"""Keysight 344xx temperature function: the exact commands sent and how readings are parsed.

The recorded exchanges follow the Truevolt guide's SCPI reference (see the driver's docstring):
``CONF:TEMP THER,5000``, ``UNIT:TEMP C``, ``READ?``, each configuring write followed by the
error-queue check.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from instruments.drivers.keysight_34461a import Keysight34461A
from instruments.errors import InstrumentReportedError, OverloadError, SettingOutOfRange
from instruments.roles import Thermometer
from instruments.transports.replay import ReplayTransport
from instruments.units import Q_, UnitMismatchError

ReplayFactory = Callable[..., ReplayTransport]
OK = [(">", "SYST:ERR?"), ("<", '+0,"No error"')]


def meter(transport: ReplayTransport) -> Keysight34461A:
    return Keysight34461A(transport, model="34461A")


def test_is_a_thermometer(replay: ReplayFactory) -> None:
    assert isinstance(meter(replay([])), Thermometer)


def test_configure_thermistor_sends_type_5000_and_celsius(replay: ReplayFactory) -> None:
    script = [(">", "CONF:TEMP THER,5000"), *OK, (">", "UNIT:TEMP C"), *OK]
    meter(replay(script)).configure_temperature()


def test_configure_four_wire_thermistor(replay: ReplayFactory) -> None:
    script = [(">", "CONF:TEMP FTH,5000"), *OK, (">", "UNIT:TEMP C"), *OK]
    meter(replay(script)).configure_temperature("thermistor_4w")


def test_configure_pt1000_rtd_sets_its_reference(replay: ReplayFactory) -> None:
    script = [
        (">", "CONF:TEMP FRTD,85"),
        *OK,
        (">", "TEMP:TRAN:FRTD:RES 1000"),
        *OK,
        (">", "UNIT:TEMP C"),
        *OK,
    ]
    meter(replay(script)).configure_temperature("rtd_4w", rtd_reference=Q_(1, "kohm"))


@pytest.mark.parametrize("reference", [Q_(10, "ohm"), Q_(5, "kohm")])
def test_rtd_reference_out_of_range_raises_before_sending(
    replay: ReplayFactory, reference: object
) -> None:
    with pytest.raises(SettingOutOfRange, match="RTD reference"):
        meter(replay([])).configure_temperature("rtd", rtd_reference=reference)  # type: ignore[arg-type]


def test_rtd_reference_in_volts_is_a_unit_mismatch(replay: ReplayFactory) -> None:
    with pytest.raises(UnitMismatchError):
        meter(replay([])).configure_temperature("rtd", rtd_reference=Q_(1, "V"))


def test_unknown_probe_and_misplaced_reference_are_refused(replay: ReplayFactory) -> None:
    with pytest.raises(SettingOutOfRange, match=r"thermocouple.*thermistor, thermistor_4w"):
        meter(replay([])).configure_temperature("thermocouple")
    with pytest.raises(SettingOutOfRange, match="rtd_reference applies to RTD"):
        meter(replay([])).configure_temperature("thermistor", rtd_reference=Q_(100, "ohm"))


def test_error_after_configure_quotes_the_command(replay: ReplayFactory) -> None:
    script = [
        (">", "CONF:TEMP THER,5000"),
        (">", "SYST:ERR?"),
        ("<", '-222,"Data out of range"'),
        (">", "SYST:ERR?"),
        ("<", '+0,"No error"'),
    ]
    with pytest.raises(InstrumentReportedError, match=r"'CONF:TEMP THER,5000'.*-222"):
        meter(replay(script)).configure_temperature()


def test_temperature_reads_celsius(replay: ReplayFactory) -> None:
    reading = meter(replay([(">", "READ?"), ("<", "+2.53120000E+01")])).temperature()
    assert reading.units == Q_(1, "degC").units
    assert reading.magnitude == pytest.approx(25.312)


def test_open_probe_overload_raises(replay: ReplayFactory) -> None:
    with pytest.raises(OverloadError, match=r"READ\?.*9\.90000000E\+37"):
        meter(replay([(">", "READ?"), ("<", "+9.90000000E+37")])).temperature()


@pytest.mark.parametrize(
    ("unit", "reply", "celsius"),
    [
        ("C", "+4.50000000E+01", 45.0),
        ("F", "+1.13000000E+02", 45.0),
        ("K", "+3.18150000E+02", 45.0),
    ],
)
def test_measure_temperature_honours_the_unit_setting(
    replay: ReplayFactory, unit: str, reply: str, celsius: float
) -> None:
    script = [(">", "UNIT:TEMP?"), ("<", unit), (">", "MEAS:TEMP? THER,5000"), ("<", reply)]
    reading = meter(replay(script)).measure_temperature()
    assert reading.to("degC").magnitude == pytest.approx(celsius)
