"""Keysight 344xx protocol: the exact commands each method sends and how replies are parsed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from instruments.drivers.keysight_34461a import Keysight34461A
from instruments.errors import (
    InstrumentReportedError,
    OverloadError,
    ProtocolError,
    SettingOutOfRange,
    TransportError,
)
from instruments.roles import Multimeter
from instruments.transports.replay import ReplayTransport
from instruments.units import Q_, UnitMismatchError

ReplayFactory = Callable[..., ReplayTransport]
OK = [(">", "SYST:ERR?"), ("<", '+0,"No error"')]


def dmm(transport: ReplayTransport, model: str = "34461A") -> Keysight34461A:
    return Keysight34461A(transport, model=model)


def test_is_a_multimeter(replay: ReplayFactory) -> None:
    assert isinstance(dmm(replay([])), Multimeter)


def test_configure_autorange_default_nplc(replay: ReplayFactory) -> None:
    dmm(replay([(">", "CONF:VOLT:DC AUTO"), *OK])).configure_dc_voltage()


def test_configure_range_and_nplc(replay: ReplayFactory) -> None:
    script = [(">", "CONF:VOLT:DC 10"), *OK, (">", "VOLT:DC:NPLC 10"), *OK]
    dmm(replay(script)).configure_dc_voltage(Q_(10, "V"), nplc=10)


@pytest.mark.parametrize(
    ("range_", "sent"),
    [(Q_(100, "mV"), "0.1"), (Q_(4.2, "V"), "10"), (Q_(1, "V"), "1"), (Q_(1, "kV"), "1000")],
)
def test_range_rounds_up_to_the_instruments_range(
    replay: ReplayFactory, range_: object, sent: str
) -> None:
    dmm(replay([(">", f"CONF:VOLT:DC {sent}"), *OK])).configure_dc_voltage(range_)  # type: ignore[arg-type]


def test_fractional_nplc_is_sent_plainly(replay: ReplayFactory) -> None:
    script = [(">", "CONF:VOLT:DC AUTO"), *OK, (">", "VOLT:DC:NPLC 0.02"), *OK]
    dmm(replay(script)).configure_dc_voltage(nplc=0.02)


def test_nplc_0_06_only_on_34465a(replay: ReplayFactory) -> None:
    with pytest.raises(SettingOutOfRange, match=r"NPLC 0\.06.*34461A.*0\.02, 0\.2, 1, 10, 100"):
        dmm(replay([])).configure_dc_voltage(nplc=0.06)
    script = [(">", "CONF:VOLT:DC AUTO"), *OK, (">", "VOLT:DC:NPLC 0.06"), *OK]
    dmm(replay(script), model="34465A").configure_dc_voltage(nplc=0.06)


@pytest.mark.parametrize("nplc", [0, 5, 1000, -1])
def test_invalid_nplc_raises_before_sending(replay: ReplayFactory, nplc: float) -> None:
    with pytest.raises(SettingOutOfRange, match="NPLC"):
        dmm(replay([])).configure_dc_voltage(Q_(10, "V"), nplc=nplc)


def test_range_above_1000_v_raises_before_sending(replay: ReplayFactory) -> None:
    with pytest.raises(SettingOutOfRange, match="largest range"):
        dmm(replay([])).configure_dc_voltage(Q_(1200, "V"))


def test_current_quantity_or_bare_number_is_a_unit_mismatch(replay: ReplayFactory) -> None:
    meter = dmm(replay([]))
    with pytest.raises(UnitMismatchError):
        meter.configure_dc_voltage(Q_(1, "A"))
    with pytest.raises(UnitMismatchError):
        meter.configure_dc_voltage(10)  # type: ignore[arg-type]


def test_error_after_configure_quotes_command(replay: ReplayFactory) -> None:
    script = [
        (">", "CONF:VOLT:DC 10"),
        (">", "SYST:ERR?"),
        ("<", '-113,"Undefined header"'),
        (">", "SYST:ERR?"),
        ("<", '+0,"No error"'),
    ]
    with pytest.raises(InstrumentReportedError, match=r"'CONF:VOLT:DC 10'.*-113,\"Undefined"):
        dmm(replay(script)).configure_dc_voltage(Q_(10, "V"))


def test_dc_voltage_reads_volts(replay: ReplayFactory) -> None:
    reading = dmm(replay([(">", "READ?"), ("<", "+3.85012345E+00")])).dc_voltage()
    assert reading.units == Q_(1, "V").units
    assert reading.magnitude == pytest.approx(3.85012345)


def test_measure_dc_voltage(replay: ReplayFactory) -> None:
    reading = dmm(replay([(">", "MEAS:VOLT:DC?"), ("<", "-1.25000000E-03")])).measure_dc_voltage()
    assert reading.to("mV").magnitude == pytest.approx(-1.25)


def test_overload_raises(replay: ReplayFactory) -> None:
    with pytest.raises(OverloadError, match=r"READ\?.*9\.90000000E\+37"):
        dmm(replay([(">", "READ?"), ("<", "+9.90000000E+37")])).dc_voltage()


def test_garbage_reply_raises_protocol_error_quoting_it(replay: ReplayFactory) -> None:
    with pytest.raises(ProtocolError, match="'#!garbage'"):
        dmm(replay([(">", "MEAS:VOLT:DC?"), ("<", "#!garbage")])).measure_dc_voltage()


def test_nplc_property(replay: ReplayFactory) -> None:
    meter = dmm(
        replay([(">", "VOLT:DC:NPLC?"), ("<", "+1.00000000E+01"), (">", "VOLT:DC:NPLC 1"), *OK])
    )
    assert meter.nplc == 10
    meter.nplc = 1


def test_nplc_setter_checks_first(replay: ReplayFactory) -> None:
    with pytest.raises(SettingOutOfRange):
        dmm(replay([])).nplc = 3


def test_range_query(replay: ReplayFactory) -> None:
    meter = dmm(replay([(">", "VOLT:DC:RANG?"), ("<", "+1.00000000E+01")]))
    assert meter.dc_voltage_range == Q_(10, "V")


def test_identity(replay: ReplayFactory) -> None:
    meter = dmm(replay([(">", "*IDN?"), ("<", "Keysight Technologies,34461A,MY123,A.03.01")]))
    assert str(meter.identity) == "Keysight Technologies 34461A s/n MY123 fw A.03.01"


def test_unknown_model_refused() -> None:
    with pytest.raises(ValueError, match="34401A"):
        Keysight34461A(ReplayTransport.from_script("R", []), model="34401A")


def test_close_sends_nothing_and_is_idempotent(replay: ReplayFactory) -> None:
    transport = replay([])
    with dmm(transport) as meter:
        pass
    meter.close()
    assert meter.closed


def test_close_after_failed_command_still_closes(replay: ReplayFactory) -> None:
    transport = replay([(">", "READ?"), ("error", "connection reset by peer")])
    meter = dmm(transport)
    with pytest.raises(TransportError, match="connection reset"), meter:
        meter.dc_voltage()
    assert meter.closed
    with pytest.raises(TransportError, match="after close"):
        transport.write("READ?")
