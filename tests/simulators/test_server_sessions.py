"""Several clients of one instrument: separate partial input, shared state, no stale replies."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import serial

from simulators.launcher import SimulatedBenchServer, start_bench


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedBenchServer]:
    with start_bench(seed=2, load_model="IT8511") as bench:
        yield bench


def line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        assert chunk, "instrument closed the connection"
        data += chunk
    return data


def test_half_sent_lines_of_two_clients_do_not_interleave(sim: SimulatedBenchServer) -> None:
    address = ("127.0.0.1", sim.instruments["dmm"].port)
    with (
        socket.create_connection(address, timeout=5) as first,
        socket.create_connection(address, timeout=5) as second,
    ):
        first.sendall(b"*ID")  # half a command...
        time.sleep(0.05)  # ...surely received before the other client's line
        second.sendall(b"MEAS:VOLT:DC?\n")
        assert float(line(second)) > 3.0  # a reading, not -113 from "*IDMEAS:VOLT:DC?"
        first.sendall(b"N?\n")
        assert line(first).startswith(b"Keysight Technologies,34461A,")
        second.sendall(b"SYST:ERR?\n")
        assert line(second) == b'+0,"No error"\n'


def test_clients_share_the_instrument_state(sim: SimulatedBenchServer) -> None:
    address = ("127.0.0.1", sim.instruments["dmm"].port)
    with (
        socket.create_connection(address, timeout=5) as first,
        socket.create_connection(address, timeout=5) as second,
    ):
        first.sendall(b"NOT:A:COMMAND\n*OPC?\n")
        assert line(first) == b"1\n"
        second.sendall(b"SYST:ERR?\n")  # one error queue, as on the real instrument
        assert line(second).startswith(b"-113,")


def test_a_new_serial_client_does_not_read_a_stale_reply(sim: SimulatedBenchServer) -> None:
    pty = sim.instruments["rmeter"].pty
    assert pty is not None
    with serial.Serial(pty, 9600, timeout=1) as first:
        first.write(b"*IDN?\r\n")
        first.flush()
        time.sleep(0.1)  # the reply now waits, unread, in the line
    with serial.Serial(pty, 9600, timeout=1) as second:
        second.write(b":SAMP:RATE?\r\n")
        assert second.readline() in (b"EXF\r\n", b"FAST\r\n", b"MED\r\n", b"SLOW\r\n")


def test_reset_drops_half_received_input(sim: SimulatedBenchServer) -> None:
    address = ("127.0.0.1", sim.instruments["dmm"].port)
    with socket.create_connection(address, timeout=5) as link, sim.client() as control:
        link.sendall(b"GARBAGE-WITHOUT-END")
        time.sleep(0.05)
        control.reset()
        link.sendall(b"*IDN?\n")
        assert line(link).startswith(b"Keysight Technologies,34461A,")
