"""Record/replay round trip and divergence reporting, without any simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from instruments.errors import InstrumentTimeout, ReplayDivergence, TransportError
from instruments.transports.recording import RecordingTransport
from instruments.transports.replay import Exchange, ReplayTransport

ReplayFactory = Callable[..., ReplayTransport]


def test_script_query_returns_the_recorded_reply(replay: ReplayFactory) -> None:
    transport = replay([(">", "*IDN?"), ("<", "Keysight Technologies,34461A,MY1,A.03")])
    assert transport.query("*IDN?") == "Keysight Technologies,34461A,MY1,A.03"
    assert transport.remaining == 0


def test_raw_exchanges_move_exact_bytes(replay: ReplayFactory) -> None:
    transport = replay([(">>", b"\xaa\x00\x6a"), ("<<", b"\xaa\x00\x6a\x01")])
    transport.write_raw(b"\xaa\x00\x6a")
    assert transport.read_raw(4) == b"\xaa\x00\x6a\x01"


def test_divergent_write_names_exchange_expected_and_sent() -> None:
    transport = ReplayTransport.from_script(
        "TCPIP::x::SOCKET", [(">", "*CLS"), (">", "CONF:VOLT:DC 10"), ("<", "x")]
    )
    transport.write("*CLS")
    with pytest.raises(ReplayDivergence) as caught:
        transport.write("CONF:VOLT:DC AUTO")
    message = str(caught.value)
    assert "exchange 2" in message
    assert "'CONF:VOLT:DC 10'" in message
    assert "'CONF:VOLT:DC AUTO'" in message


def test_read_where_a_write_was_recorded_diverges() -> None:
    transport = ReplayTransport.from_script("R", [(">", "READ?")])
    with pytest.raises(ReplayDivergence, match=r"exchange 1.*send 'READ\?'.*read"):
        transport.read()


def test_running_past_the_end_diverges() -> None:
    transport = ReplayTransport.from_script("R", [])
    with pytest.raises(ReplayDivergence, match=r"recording ended.*'READ\?'"):
        transport.write("READ?")


def test_assert_finished_reports_the_pending_exchange() -> None:
    transport = ReplayTransport.from_script("R", [(">", "*CLS"), (">", "SYST:ERR?")])
    transport.write("*CLS")
    with pytest.raises(ReplayDivergence, match=r"exchange 2 of 2.*'SYST:ERR\?'"):
        transport.assert_finished()


def test_timeout_step_raises_instrument_timeout_naming_command(replay: ReplayFactory) -> None:
    transport = replay([(">", "READ?"), ("timeout", "")], resource="TCPIP::10.0.0.5::5025::SOCKET")
    with pytest.raises(InstrumentTimeout) as caught:
        transport.query("READ?")
    assert "TCPIP::10.0.0.5::5025::SOCKET" in str(caught.value)
    assert "'READ?'" in str(caught.value)


def test_error_step_raises_transport_error(replay: ReplayFactory) -> None:
    transport = replay([(">", "READ?"), ("error", "connection reset by peer")])
    with pytest.raises(TransportError, match="connection reset"):
        transport.query("READ?")


def test_raw_read_longer_than_requested_diverges() -> None:
    transport = ReplayTransport.from_script("R", [("<<", b"\x01\x02\x03")])
    with pytest.raises(ReplayDivergence, match=r"read_raw\(2\)"):
        transport.read_raw(2)


def test_bad_script_markers_and_payload_types_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown marker '\?'"):
        ReplayTransport.from_script("R", [("?", "x")])
    with pytest.raises(TypeError, match="takes bytes"):
        ReplayTransport.from_script("R", [(">>", "text")])
    with pytest.raises(TypeError, match="takes text"):
        ReplayTransport.from_script("R", [(">", b"bytes")])


def test_use_after_close_is_a_transport_error() -> None:
    transport = ReplayTransport.from_script("R", [(">", "*CLS")])
    transport.close()
    with pytest.raises(TransportError, match="after close"):
        transport.write("*CLS")


def test_recording_round_trips_through_replay(tmp_path: Path) -> None:
    live = ReplayTransport.from_script(
        "TCPIP::127.0.0.1::5025::SOCKET",
        [
            (">", "*IDN?"),
            ("<", "Keysight Technologies,34461A,MY1,A.03"),
            (">", "CONF:VOLT:DC 10"),
            (">>", b"\xaa\x01"),
            ("<<", b"\x12\x80"),
            (">", "READ?"),
            ("timeout", ""),
        ],
    )
    path = tmp_path / "session.jsonl"
    recorder = RecordingTransport(live, path)
    assert recorder.query("*IDN?").startswith("Keysight")
    recorder.write("CONF:VOLT:DC 10")
    recorder.write_raw(b"\xaa\x01")
    assert recorder.read_raw(2) == b"\x12\x80"
    with pytest.raises(InstrumentTimeout):
        recorder.query("READ?")
    recorder.close()

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["resource"] == "TCPIP::127.0.0.1::5025::SOCKET"
    assert lines[0]["format"] == 1
    assert [line["dir"] for line in lines[1:]] == [
        "write", "read", "write", "write_raw", "read_raw", "write", "timeout",
    ]  # fmt: skip
    assert lines[4]["hex"] == "aa01"
    assert all(line["t"] >= 0 for line in lines[1:])

    replayed = ReplayTransport.from_file(path)
    assert replayed.resource == "TCPIP::127.0.0.1::5025::SOCKET"
    assert replayed.query("*IDN?") == "Keysight Technologies,34461A,MY1,A.03"
    replayed.write("CONF:VOLT:DC 10")
    replayed.write_raw(b"\xaa\x01")
    assert replayed.read_raw(2) == b"\x12\x80"
    with pytest.raises(InstrumentTimeout, match="READ"):
        replayed.query("READ?")
    replayed.assert_finished()


def test_from_file_rejects_a_file_without_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"t": 0, "dir": "write", "data": "x"}\n')
    with pytest.raises(ValueError, match="not a format-1 recording"):
        ReplayTransport.from_file(path)


def test_every_divergence_is_seen_by_the_callback_even_when_a_driver_catches_it() -> None:
    """A session replay keeps the first divergence although drivers and the engine catch the
    error; the error carries the exchange, what was recorded and what was done."""
    seen: list[ReplayDivergence] = []
    transport = ReplayTransport(
        "R",
        [Exchange("write", "OUTP OFF"), Exchange("write", "SYST:ERR?")],
        on_divergence=seen.append,
    )
    with pytest.raises(ReplayDivergence):
        transport.write("OUTP ON")
    with pytest.raises(ReplayDivergence):
        transport.read()
    with pytest.raises(ReplayDivergence):
        transport.write("*CLS")  # past the end
    assert [(d.exchange, d.expected, d.actual) for d in seen] == [
        (1, "send 'OUTP OFF'", "send 'OUTP ON'"),
        (2, "send 'SYST:ERR?'", "read"),
        (3, "the end of the recording", "send '*CLS'"),
    ]
    assert transport.recorded == 2


def test_recording_forwards_a_termination_change(tmp_path: Path) -> None:
    changed: list[tuple[str, str]] = []

    class Inner:
        resource = "TCPIP::h::23::SOCKET"
        timeout = 2.0

        def set_terminations(self, read: str, write: str) -> None:
            changed.append((read, write))

        def close(self) -> None:
            pass

    recording = RecordingTransport(Inner(), tmp_path / "r.jsonl")  # type: ignore[arg-type]
    recording.set_terminations("\r\n", "\r\n")
    recording.close()
    assert changed == [("\r\n", "\r\n")]
