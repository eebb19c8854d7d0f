"""``TRANSPORT <role> disconnect once``: a link that drops once and then comes back.

Models a re-plugged cable or a switch that recovered, so a driver's reconnect path can be tested
deterministically: the fault clears itself when it has dropped a connection.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator

import pytest
from test_servers import connect, read_line
from wire_doubles import fake_server

from simulators.launcher import SimulatedBenchServer
from simulators.transport_faults import TransportFault, TransportFaultError, parse_transport_fault


@pytest.fixture
def sim() -> Iterator[SimulatedBenchServer]:
    with fake_server(serial_roles=frozenset({"rmeter"})) as server:
        yield server


def test_parse_disconnect_once_and_refuse_other_arguments() -> None:
    assert parse_transport_fault("disconnect", "once") == TransportFault("disconnect", once=True)
    assert parse_transport_fault("disconnect").once is False
    assert parse_transport_fault("disconnect", "ONCE").describe() == "disconnect once"
    with pytest.raises(TransportFaultError, match="'once'"):
        parse_transport_fault("disconnect", "twice")


def test_disconnect_once_drops_the_open_link_then_accepts(sim: SimulatedBenchServer) -> None:
    with connect(sim, "dmm") as sock:
        sock.sendall(b"*IDN?\n")
        assert read_line(sock).startswith(b"FAKE")
        with sim.client() as control:
            control.transport("dmm", "disconnect", "once")
            assert control.command("TRANSPORT?")["transport"]["dmm"] == "disconnect once"
        sock.sendall(b"*IDN?\n")
        assert read_line(sock) == b""  # dropped by the server
    with sim.client() as control:
        assert control.command("TRANSPORT?")["transport"]["dmm"] == "none"
    with connect(sim, "dmm") as again:  # the link came back: served normally
        again.sendall(b"*IDN?\n")
        assert read_line(again).startswith(b"FAKE")


def test_disconnect_once_accepts_new_connections_before_the_drop(
    sim: SimulatedBenchServer,
) -> None:
    """Unlike plain ``disconnect``, a connection made while the fault is armed is served."""
    with sim.client() as control:
        control.transport("dmm", "disconnect", "once")
    with connect(sim, "dmm") as first:
        first.sendall(b"*IDN?\n")
        assert read_line(first) == b""  # this command is the one that drops
    with connect(sim, "dmm") as second:
        second.sendall(b"*IDN?\n")
        assert read_line(second).startswith(b"FAKE")


def test_disconnect_once_on_a_pty_loses_one_command(sim: SimulatedBenchServer) -> None:
    path = sim.instruments["rmeter"].pty
    assert path is not None
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        with sim.client() as control:
            control.transport("rmeter", "disconnect", "once")
        os.write(fd, b"*IDN?\r\n")
        with sim.client() as control:  # each round trip is one more pass of the server loop
            for _ in range(1000):
                if control.command("TRANSPORT?")["transport"]["rmeter"] == "none":
                    break
            assert control.command("TRANSPORT?")["transport"]["rmeter"] == "none"
        assert select.select([fd], [], [], 0.2)[0] == []  # that command got no answer
        os.write(fd, b"*IDN?\r\n")
        assert select.select([fd], [], [], 5)[0] == [fd]
        assert os.read(fd, 100).startswith(b"FAKE")
    finally:
        os.close(fd)
