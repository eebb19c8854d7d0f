"""The server loop, through real transports only: pyvisa-py over TCP, pyserial over the pty."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest
import pyvisa
import serial
from wire_doubles import fake_server

from simulators.launcher import SimulatedBenchServer


@pytest.fixture
def sim() -> Iterator[SimulatedBenchServer]:
    with fake_server(serial_roles=frozenset({"rmeter"})) as server:
        yield server


def connect(sim: SimulatedBenchServer, role: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", sim.instruments[role].port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_pyvisa_round_trip_over_tcp_socket(
    sim: SimulatedBenchServer, rm: pyvisa.ResourceManager
) -> None:
    dmm = rm.open_resource(sim.instruments["dmm"].resource, read_termination="\n")
    try:
        dmm.write_termination = "\n"
        assert dmm.query("*IDN?") == "FAKE,34461A,0,1.0"
        assert float(dmm.query("MEAS:VOLT:DC?")) == pytest.approx(3.85)
    finally:
        dmm.close()


def test_resource_strings_and_ports(sim: SimulatedBenchServer) -> None:
    ports = {endpoint.port for endpoint in sim.instruments.values()} | {sim.control[1]}
    assert len(ports) == 4
    for endpoint in sim.instruments.values():
        assert endpoint.resource == f"TCPIP::127.0.0.1::{endpoint.port}::SOCKET"
    assert sim.instruments["dmm"].pty is None
    assert sim.instruments["rmeter"].pty is not None
    assert sim.control_address == f"127.0.0.1:{sim.control[1]}"


def test_accepted_sockets_have_nodelay(sim: SimulatedBenchServer) -> None:
    with connect(sim, "dmm") as sock:
        sock.sendall(b"*IDN?\n")
        assert read_line(sock).startswith(b"FAKE")
        options = sim.client_socket_options()
    assert options and all(nodelay != 0 for _, nodelay in options)


def test_pty_reachable_by_pyserial(sim: SimulatedBenchServer) -> None:
    pty = sim.instruments["rmeter"].pty
    assert pty is not None and pty.startswith("/dev/pts/")
    with serial.Serial(pty, baudrate=9600, timeout=2) as port:
        port.write(b"*IDN?\n")
        assert port.readline() == b"FAKE,BT3562,0,1.0\n"
    with serial.Serial(pty, baudrate=9600, timeout=2) as port:  # reopen after a close
        port.write(b"MEAS:VOLT:DC?\n")
        assert float(port.readline()) == pytest.approx(3.85)


def test_pty_reachable_by_pyvisa_asrl(
    sim: SimulatedBenchServer, rm: pyvisa.ResourceManager
) -> None:
    resource = sim.instruments["rmeter"].serial_resource
    assert resource is not None and resource.startswith("ASRL/dev/pts/")
    meter = rm.open_resource(resource, read_termination="\n", write_termination="\n")
    try:
        meter.timeout = 2000
        assert meter.query("*IDN?") == "FAKE,BT3562,0,1.0"
    finally:
        meter.close()


def test_no_reply_makes_the_client_time_out(
    sim: SimulatedBenchServer, rm: pyvisa.ResourceManager
) -> None:
    with sim.client() as control:
        control.transport("dmm", "no_reply")
    dmm = rm.open_resource(sim.instruments["dmm"].resource, read_termination="\n")
    try:
        dmm.write_termination = "\n"
        dmm.timeout = 200
        with pytest.raises(pyvisa.VisaIOError) as caught:
            dmm.query("*IDN?")
        assert caught.value.error_code == pyvisa.constants.StatusCode.error_timeout
        with sim.client() as control:
            control.transport("dmm", "none")
        assert dmm.query("*IDN?") == "FAKE,34461A,0,1.0"
    finally:
        dmm.close()


def test_slow_reply_arrives_late_and_others_keep_answering(sim: SimulatedBenchServer) -> None:
    with sim.client() as control:
        control.transport("dmm", "slow_reply", 1.0)
    with connect(sim, "dmm") as slow, connect(sim, "source") as fast:
        slow.sendall(b"*IDN?\n")
        fast.sendall(b"*IDN?\n")
        assert read_line(fast) == b"FAKE,E36312A,0,1.0\n"
        slow.setblocking(False)
        with pytest.raises(BlockingIOError):
            slow.recv(4096)  # the source answered while the dmm's reply is still held back
        slow.setblocking(True)
        slow.settimeout(5)
        assert read_line(slow) == b"FAKE,34461A,0,1.0\n"


def test_garbage_replaces_replies_with_non_protocol_bytes(sim: SimulatedBenchServer) -> None:
    with sim.client() as control:
        control.transport("dmm", "garbage")
    with connect(sim, "dmm") as sock:
        sock.sendall(b"*IDN?\n")
        reply = read_line(sock)
    assert reply.endswith(b"\n") and len(reply) == len(b"FAKE,34461A,0,1.0\n")
    assert all(byte >= 0x80 for byte in reply[:-1])


def test_garbage_is_seeded(sim: SimulatedBenchServer) -> None:
    replies = []
    for _ in range(2):
        with sim.client() as control:
            control.reset()  # re-seeds the garbage source
            control.transport("dmm", "garbage")
        with connect(sim, "dmm") as sock:
            sock.sendall(b"*IDN?\n")
            replies.append(read_line(sock))
    assert replies[0] == replies[1]


def test_disconnect_drops_on_next_command_and_refuses_service(sim: SimulatedBenchServer) -> None:
    with connect(sim, "dmm") as sock:
        sock.sendall(b"*IDN?\n")
        assert read_line(sock).startswith(b"FAKE")
        with sim.client() as control:
            control.transport("dmm", "disconnect")
        sock.sendall(b"*IDN?\n")
        assert read_line(sock) == b""  # closed by the server
    with connect(sim, "dmm") as again:  # accepted, then dropped at once
        assert read_line(again) == b""
    with sim.client() as control:
        control.transport("dmm", "none")
    with connect(sim, "dmm") as healed:
        healed.sendall(b"*IDN?\n")
        assert read_line(healed).startswith(b"FAKE")


def test_emulator_exception_does_not_stop_the_bench(sim: SimulatedBenchServer) -> None:
    with connect(sim, "dmm") as sock:
        sock.sendall(b"BOOM?\n")
        with sim.client() as control:
            for _ in range(1000):  # each control round trip is one more loop pass
                if sim.emulator_errors:
                    break
                control.command("TIME?")
        sock.sendall(b"*IDN?\n")
        assert read_line(sock) == b"FAKE,34461A,0,1.0\n"
    assert "emulator bug on purpose" in sim.emulator_errors[0]


def test_stop_closes_ports_ptys_and_joins_the_thread() -> None:
    before = set(threading.enumerate())
    fds_before = len(os.listdir("/proc/self/fd"))
    server = fake_server(serial_roles=frozenset({"rmeter"})).start()
    port = server.instruments["dmm"].port
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server.stop()
    server.stop()  # twice is harmless
    assert read_line(client) == b""
    client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    assert set(threading.enumerate()) == before
    assert len(os.listdir("/proc/self/fd")) == fds_before
