"""VisaTransport and SerialTransport against a tiny in-test line server and a pseudo-terminal.

The server is deliberately dumb (a dict of replies) so these tests exercise the transports' own
framing, error mapping and socket options, not an emulator.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from instruments.errors import InstrumentTimeout, TransportError
from instruments.transports.serial_port import SerialTransport
from instruments.transports.visa import VisaTransport, session_socket

REPLIES = {
    b"*IDN?": b"Maker,Model,SN1,1.0",
    b"RAW?": b"\xaa\x01\x02",
    b"JUNK?": b"\xff\x80+1.0",
}


class LineServer:
    """Replies to known lines; ``SILENT?`` gets no reply; ``DROP`` closes the connection."""

    def __init__(self, terminator: bytes = b"\n") -> None:
        self.terminator = terminator
        self.received: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        buffer = b""
        with connection:
            while True:
                try:
                    chunk = connection.recv(4096)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while self.terminator in buffer:
                    line, buffer = buffer.split(self.terminator, 1)
                    self.received.append(line)
                    if line == b"DROP":
                        connection.shutdown(socket.SHUT_RDWR)
                        return
                    if line in REPLIES:
                        connection.sendall(REPLIES[line] + self.terminator)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self._listener.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._thread.join(timeout=2)


@pytest.fixture
def server() -> Iterator[LineServer]:
    line_server = LineServer()
    yield line_server
    line_server.close()


@pytest.fixture
def visa(server: LineServer) -> Iterator[VisaTransport]:
    transport = VisaTransport.open(f"TCPIP::127.0.0.1::{server.port}::SOCKET", timeout=0.3)
    yield transport
    transport.close()


def visa_socket(visa: VisaTransport) -> socket.socket:
    sock = session_socket(visa._resource)
    assert sock is not None
    return sock


# -- VISA --------------------------------------------------------------------------------------
def test_visa_query_strips_termination(visa: VisaTransport, server: LineServer) -> None:
    assert visa.query("*IDN?") == "Maker,Model,SN1,1.0"
    assert server.received == [b"*IDN?"]


def test_visa_undecodable_bytes_reach_the_caller(visa: VisaTransport) -> None:
    assert visa.query("JUNK?") == "\xff\x80+1.0"  # latin-1: the parser can quote line noise


def test_visa_socket_gets_tcp_nodelay(visa: VisaTransport) -> None:
    assert visa.nodelay is True


def test_visa_write_adds_the_terminator(visa: VisaTransport, server: LineServer) -> None:
    visa.write("CONF:VOLT:DC 10")
    assert visa.query("*IDN?").startswith("Maker")
    assert server.received == [b"CONF:VOLT:DC 10", b"*IDN?"]


def test_visa_timeout_names_resource_and_command(visa: VisaTransport) -> None:
    with pytest.raises(InstrumentTimeout) as caught:
        visa.query("SILENT?")
    assert visa.resource in str(caught.value)
    assert "'SILENT?'" in str(caught.value)
    assert visa.query("*IDN?") == "Maker,Model,SN1,1.0"  # the link is still usable


def test_visa_dropped_connection_is_a_transport_error_not_a_timeout(visa: VisaTransport) -> None:
    visa.write("DROP")
    with pytest.raises(TransportError) as caught:
        visa.query("*IDN?")
        visa.query("*IDN?")
    assert not isinstance(caught.value, InstrumentTimeout)
    assert visa.resource in str(caught.value)


def test_visa_hang_up_is_found_before_the_next_command_is_sent(visa: VisaTransport) -> None:
    """End of stream waiting on the socket: the next command fails at once, not by timeout."""
    visa.write("DROP")
    deadline = time.monotonic() + 2
    while not select.select([visa_socket(visa)], [], [], 0.05)[0] and time.monotonic() < deadline:
        pass
    with pytest.raises(TransportError, match="closed the connection") as caught:
        visa.write("*IDN?")
    assert not isinstance(caught.value, InstrumentTimeout)


def test_visa_reopen_after_a_dropped_connection(visa: VisaTransport, server: LineServer) -> None:
    visa.set_terminations("\n", "\n")
    visa.timeout = 0.4
    visa.write("DROP")
    visa.reopen()
    assert visa.query("*IDN?") == "Maker,Model,SN1,1.0"
    assert visa.nodelay is True
    assert visa.timeout == pytest.approx(0.4)
    assert len(server.received) == 2  # DROP on the first connection, *IDN? on the second


def test_visa_reopen_when_nothing_listens_is_a_transport_error(
    visa: VisaTransport, server: LineServer
) -> None:
    server.close()
    with pytest.raises(TransportError, match=visa.resource.replace("::", ".*")):
        visa.reopen()
    with pytest.raises(TransportError, match="after close"):
        visa.query("*IDN?")


def test_visa_refused_connection_fails_at_open() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    resource = f"TCPIP::127.0.0.1::{port}::SOCKET"
    with pytest.raises(TransportError, match=f"{resource}.*check the resource string"):
        VisaTransport.open(resource, timeout=0.3)


def test_visa_bad_resource_string_names_it() -> None:
    with pytest.raises(TransportError, match="NOTARESOURCE"):
        VisaTransport.open("NOTARESOURCE::1", timeout=0.3)


def test_visa_raw_bytes(visa: VisaTransport) -> None:
    visa.write_raw(b"RAW?\n")
    assert visa.read_raw(4) == b"\xaa\x01\x02\n"


def test_visa_timeout_property_in_seconds(visa: VisaTransport) -> None:
    visa.timeout = 1.5
    assert visa.timeout == pytest.approx(1.5)


def test_visa_close_is_idempotent_and_use_after_close_fails(visa: VisaTransport) -> None:
    visa.close()
    visa.close()
    with pytest.raises(TransportError, match="after close"):
        visa.query("*IDN?")


# -- serial ------------------------------------------------------------------------------------
def test_serial_over_socket_url(server: LineServer) -> None:
    transport = SerialTransport.open(
        f"socket://127.0.0.1:{server.port}",
        timeout=0.3,
        read_termination="\n",
        write_termination="\n",
    )
    try:
        assert transport.query("*IDN?") == "Maker,Model,SN1,1.0"
        with pytest.raises(InstrumentTimeout, match="'SILENT\\?'"):
            transport.query("SILENT?")
    finally:
        transport.close()
        transport.close()


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    controller, device = os.openpty()
    tty.setraw(device)
    path = os.ttyname(device)
    yield controller, path
    os.close(controller)
    os.close(device)


class PtyInstrument:
    """Answers the next command line on the controller side of a pty with ``reply``.

    Replies are sent only after the command arrived, as an instrument does: input waiting before
    a command is sent is discarded by the transport as stale.
    """

    def __init__(self, controller: int, reply: bytes) -> None:
        self.received = b""
        self._controller, self._reply = controller, reply
        self._thread = threading.Thread(target=self._answer, daemon=True)
        self._thread.start()

    def _answer(self) -> None:
        while not self.received.endswith(b"\r\n"):
            self.received += os.read(self._controller, 100)
        os.write(self._controller, self._reply)

    def join(self) -> None:
        self._thread.join(timeout=2)
        assert not self._thread.is_alive(), "the pty instrument never saw a command line"


def test_serial_pty_sends_crlf_and_reads_crlf(pty_pair: tuple[int, str]) -> None:
    controller, path = pty_pair
    transport = SerialTransport.open(path, baudrate=9600, timeout=0.5)
    try:
        instrument = PtyInstrument(controller, b"HIOKI,BT3562,0,V1.00\r\n")
        assert transport.query("*IDN?") == "HIOKI,BT3562,0,V1.00"
        instrument.join()
        assert instrument.received == b"*IDN?\r\n"
    finally:
        transport.close()


def test_serial_partial_reply_is_a_timeout_quoting_it(pty_pair: tuple[int, str]) -> None:
    controller, path = pty_pair
    transport = SerialTransport.open(path, timeout=0.2)
    try:
        instrument = PtyInstrument(controller, b"  15.1E-3")
        with pytest.raises(InstrumentTimeout, match=r"':READ\?'.*15\.1E-3.*without terminator"):
            transport.query(":READ?")
        instrument.join()
    finally:
        transport.close()


def test_serial_discards_input_waiting_before_a_command(pty_pair: tuple[int, str]) -> None:
    """A late reply already on the line is not the answer to the command about to be sent."""
    controller, path = pty_pair
    transport = SerialTransport.open(path, timeout=0.5)
    try:
        os.write(controller, b'+0,"No error"\r\n')  # late answer to an earlier query
        time.sleep(0.05)  # let the pty deliver it before the next command goes out
        instrument = PtyInstrument(controller, b"0\r\n")
        assert transport.query(":OUTP?") == "0"
        instrument.join()
    finally:
        transport.close()


def test_serial_reopen_opens_the_same_port_again(pty_pair: tuple[int, str]) -> None:
    controller, path = pty_pair
    transport = SerialTransport.open(path, timeout=0.3)
    try:
        transport.reopen()
        transport.reopen()  # twice: each closes the previous handle first
        instrument = PtyInstrument(controller, b"OK\r\n")
        assert transport.query("PING?") == "OK"
        instrument.join()
        assert transport.timeout == 0.3
    finally:
        transport.close()


def test_serial_reopen_of_a_vanished_port_is_a_transport_error(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB-adapter"
    controller, device = os.openpty()
    try:
        link.symlink_to(os.ttyname(device))
        transport = SerialTransport.open(str(link), timeout=0.2)
        link.unlink()  # the USB adapter re-enumerated under another name
        with pytest.raises(TransportError, match="ttyUSB-adapter: cannot open serial port"):
            transport.reopen()
        transport.close()
    finally:
        os.close(controller)
        os.close(device)


def test_serial_raw_frames(pty_pair: tuple[int, str]) -> None:
    controller, path = pty_pair
    transport = SerialTransport.open(path, timeout=0.2)
    try:
        frame = bytes([0xAA, 0x00, 0x6A]) + bytes(23)
        transport.write_raw(frame)
        assert os.read(controller, 100) == frame
        os.write(controller, b"\xaa\x00\x12\x80")
        assert transport.read_raw(4) == b"\xaa\x00\x12\x80"
        os.write(controller, b"\xaa\x00")
        with pytest.raises(InstrumentTimeout, match="got 2 of 26 bytes"):
            transport.read_raw(26)
    finally:
        transport.close()


def test_serial_missing_port_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match=r"/dev/does-not-exist.*check the port name"):
        SerialTransport.open("/dev/does-not-exist")
