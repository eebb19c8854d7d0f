"""SCPI base: identity, number/boolean parsing, error queue, retries, close."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from instruments.errors import (
    InstrumentReportedError,
    InstrumentTimeout,
    OverloadError,
    ProtocolError,
)
from instruments.roles import Identity
from instruments.scpi import (
    OVERLOAD_THRESHOLD,
    ScpiInstrument,
    parse_bool,
    parse_error,
    parse_identity,
    parse_number,
)
from instruments.transports.replay import ReplayTransport

ReplayFactory = Callable[..., ReplayTransport]


def test_parse_identity_keysight() -> None:
    assert parse_identity("Keysight Technologies,34461A,MY53210001,A.03.01-02.40-03.01\n") == (
        Identity("Keysight Technologies", "34461A", "MY53210001", "A.03.01-02.40-03.01")
    )


def test_parse_identity_keeps_commas_of_the_firmware_field() -> None:
    assert parse_identity("RIGOL TECHNOLOGIES,DP832,DP8C1,00.01.16,B2").firmware == "00.01.16,B2"


@pytest.mark.parametrize("reply", ["", "garbage", "A,B,C", ",34461A,1,2"])
def test_parse_identity_rejects_malformed(reply: str) -> None:
    with pytest.raises(ProtocolError, match="four fields"):
        parse_identity(reply)


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("+3.85012345E+00", 3.85012345),
        ("-1.2E-3", -1.2e-3),
        ("42", 42.0),
        ("  15.123E-3", 15.123e-3),  # Hioki: space for '+'
        (" 3.85000E+0\r", 3.85),
        (".5", 0.5),
    ],
)
def test_parse_number_accepts_nr1_nr2_nr3(reply: str, value: float) -> None:
    assert parse_number(reply) == pytest.approx(value)


@pytest.mark.parametrize("reply", ["+9.90000000E+37", "-9.9E37", "1E400"])
def test_parse_number_overload_raises(reply: str) -> None:
    with pytest.raises(OverloadError, match="overload code"):
        parse_number(reply, command="READ?", resource="DMM1")


@pytest.mark.parametrize("reply", ["", "nan", "inf", "1_0", "3.85 V", "\x00\xff", "+-1"])
def test_parse_number_rejects_garbage_quoting_it(reply: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_number(reply, command="READ?", resource="DMM1")
    assert repr(reply) in str(caught.value)
    assert "DMM1" in str(caught.value)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_parse_number_round_trips_nr3(value: float) -> None:
    text = f"{value:+.8E}"
    if abs(float(text)) >= OVERLOAD_THRESHOLD:
        with pytest.raises(OverloadError):
            parse_number(text)
    else:
        assert parse_number(text) == float(text)


def test_parse_bool_and_error() -> None:
    assert parse_bool("1") is True
    assert parse_bool("OFF") is False
    assert parse_bool("+0") is False
    with pytest.raises(ProtocolError, match="'2'"):
        parse_bool("2", command="OUTP?")
    assert parse_error('-113,"Undefined header"') == (-113, "Undefined header")
    assert parse_error('+0,"No error"') == (0, "No error")
    with pytest.raises(ProtocolError, match="SYST:ERR"):
        parse_error("what")


def test_configuring_write_checks_the_error_queue(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay([(">", "VOLT 4.2"), (">", "SYST:ERR?"), ("<", '+0,"No error"')])
    )
    instrument.write("VOLT 4.2")


def test_reported_error_quotes_command_and_message(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay(
            [
                (">", "VOLT 99"),
                (">", "SYST:ERR?"),
                ("<", '-222,"Data out of range"'),
                (">", "SYST:ERR?"),
                ("<", '-221,"Settings conflict"'),
                (">", "SYST:ERR?"),
                ("<", '+0,"No error"'),
            ]
        )
    )
    with pytest.raises(InstrumentReportedError) as caught:
        instrument.write("VOLT 99")
    message = str(caught.value)
    assert "'VOLT 99'" in message
    assert '-222,"Data out of range"' in message
    assert '-221,"Settings conflict"' in message


def test_error_check_can_be_turned_off(replay: ReplayFactory) -> None:
    ScpiInstrument(replay([(">", "VOLT 4.2")]), check_errors=False).write("VOLT 4.2")


def test_error_queue_drain_is_bounded(replay: ReplayFactory) -> None:
    script: list[tuple[str, str]] = [(">", "X")]
    for _ in range(3):
        script += [(">", "SYST:ERR?"), ("<", '-350,"Queue overflow"')]
    instrument = ScpiInstrument(replay(script))
    instrument.transport.write("X")
    assert instrument.read_errors(limit=3) == [(-350, "Queue overflow")] * 3


def test_identity_is_read_once(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay([(">", "*IDN?"), ("<", "Keysight Technologies,34461A,S1,F1")])
    )
    assert instrument.identity.model == "34461A"
    assert instrument.identity.serial == "S1"


def test_housekeeping_commands(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay(
            [
                (">", "*RST"),
                (">", "SYST:ERR?"),
                ("<", '+0,"No error"'),
                (">", "*CLS"),
                (">", "*OPC?"),
                ("<", "1"),
            ]
        )
    )
    instrument.reset()
    instrument.clear_status()
    assert instrument.operation_complete() is True


def test_query_number_fast_path_and_overload(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay([(">", "READ?"), ("<", "+1.5E+00"), (">", "READ?"), ("<", "+9.90000000E+37")])
    )
    assert instrument.query_number("READ?") == 1.5
    with pytest.raises(OverloadError, match=r"'READ\?'.*9.90000000E\+37"):
        instrument.query_number("READ?")


@pytest.mark.parametrize("garbage", ["nan", "inf", "1_0", "#$%"])
def test_query_number_rejects_what_float_would_accept(replay: ReplayFactory, garbage: str) -> None:
    instrument = ScpiInstrument(replay([(">", "READ?"), ("<", garbage)]))
    with pytest.raises(ProtocolError, match=repr(garbage).replace("$", "\\$")):
        instrument.query_number("READ?")


def test_idempotent_query_is_retried_after_a_timeout(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay([(">", "MEAS:VOLT:DC?"), ("timeout", ""), (">", "MEAS:VOLT:DC?"), ("<", "+1E+0")])
    )
    assert instrument.query_number("MEAS:VOLT:DC?", retries=1) == 1.0


def test_query_without_retries_raises_the_timeout(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(replay([(">", "READ?"), ("timeout", "")], resource="DMM7"))
    with pytest.raises(InstrumentTimeout, match=r"DMM7.*'READ\?'"):
        instrument.query_number("READ?")


def test_retries_exhausted_raise(replay: ReplayFactory) -> None:
    instrument = ScpiInstrument(
        replay([(">", "READ?"), ("timeout", ""), (">", "READ?"), ("timeout", "")])
    )
    with pytest.raises(InstrumentTimeout):
        instrument.query("READ?", retries=1)


def test_close_is_idempotent(replay: ReplayFactory) -> None:
    transport = replay([])
    instrument = ScpiInstrument(transport)
    instrument.close()
    instrument.close()
    assert instrument.closed
