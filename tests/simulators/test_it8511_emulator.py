"""The IT8511 binary protocol, spoken through pyserial over the pseudo-terminal (and TCP)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
import serial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_doubles import CATALOGUE, FakeBench

from simulators.emulators.itech_it8511 import ItechIT8511
from simulators.launcher import SimulatedBenchServer
from simulators.servers import World


def frame(command: int, payload: bytes = b"", address: int = 0) -> bytes:
    body = bytes([0xAA, address, command]) + payload.ljust(22, b"\0")
    return body + bytes([sum(body) % 256])


def status_of(reply: bytes) -> int:
    assert len(reply) == 26, reply
    assert reply[0] == 0xAA and reply[2] == 0x12, reply.hex()
    assert reply[25] == sum(reply[:25]) % 256
    return reply[3]


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatedBenchServer]:
    def build() -> World:
        bench = FakeBench()
        return World(bench, {"load": ItechIT8511(bench, seed=3)})

    with SimulatedBenchServer(build, catalogue=CATALOGUE, serial_roles=frozenset({"load"})) as sim:
        yield sim


@pytest.fixture
def port(server: SimulatedBenchServer) -> Iterator[serial.Serial]:
    server.client().reset()
    pty = server.instruments["load"].pty
    assert pty is not None
    with serial.Serial(pty, baudrate=9600, timeout=2) as link:
        yield link


def exchange(link: serial.Serial, data: bytes) -> bytes:
    link.write(data)
    return bytes(link.read(26))


def test_identify_reports_model_firmware_and_serial(port: serial.Serial) -> None:
    reply = exchange(port, frame(0x6A, address=0xFF))
    assert reply[2] == 0x6A and reply[1] == 0
    assert reply[3:8] == b"8511\0"
    assert (reply[9], reply[8]) == (0x01, 0x23)
    assert reply[10:20] == b"0251100001"


def test_settings_need_remote_mode(port: serial.Serial) -> None:
    assert status_of(exchange(port, frame(0x21, b"\x01"))) == 0xB0
    assert status_of(exchange(port, frame(0x20, b"\x01"))) == 0x80
    assert status_of(exchange(port, frame(0x21, b"\x01"))) == 0x80


def test_cc_level_input_on_and_read_back(port: serial.Serial) -> None:
    assert status_of(exchange(port, frame(0x20, b"\x01"))) == 0x80
    assert status_of(exchange(port, frame(0x28, b"\x00"))) == 0x80
    assert status_of(exchange(port, frame(0x2A, struct.pack("<I", 15000)))) == 0x80  # 1.5 A
    level = exchange(port, frame(0x2B))
    assert level[2] == 0x2B and struct.unpack_from("<I", level, 3)[0] == 15000
    assert status_of(exchange(port, frame(0x21, b"\x01"))) == 0x80
    state = exchange(port, frame(0x5F))
    volts, amps, watts, operation, demand = struct.unpack_from("<IIIBH", state, 3)
    # the fake bench: 3.85 V open circuit, 50 mOhm in series, CC 1.5 A -> 3.775 V
    assert volts / 1e3 == pytest.approx(3.775, abs=0.003)
    assert amps / 1e4 == pytest.approx(1.5, abs=0.002)
    assert watts / 1e3 == pytest.approx(3.775 * 1.5, rel=0.01)
    assert operation & 0x0C == 0x0C  # remote and input on
    assert demand & 0x40  # CC mode


def test_out_of_range_level_is_a_bad_parameter(port: serial.Serial) -> None:
    exchange(port, frame(0x20, b"\x01"))
    assert status_of(exchange(port, frame(0x2A, struct.pack("<I", 310000)))) == 0xA0  # 31 A
    assert status_of(exchange(port, frame(0x28, b"\x07"))) == 0xA0


def test_bad_checksum_is_reported(port: serial.Serial) -> None:
    bad = bytearray(frame(0x5F))
    bad[25] ^= 0x55
    assert status_of(exchange(port, bytes(bad))) == 0x90


def test_unknown_command_is_reported(port: serial.Serial) -> None:
    assert status_of(exchange(port, frame(0x77))) == 0xC0


def test_other_address_is_ignored(port: serial.Serial) -> None:
    port.timeout = 0.2
    assert exchange(port, frame(0x5F, address=5)) == b""


def test_frames_split_and_preceded_by_noise_are_resynchronised(port: serial.Serial) -> None:
    data = b"\x00\x13" + frame(0x6A)
    port.write(data[:9])
    port.flush()
    reply = exchange(port, data[9:])
    assert reply[2] == 0x6A


def test_reachable_over_tcp_with_pyserial_socket_url(server: SimulatedBenchServer) -> None:
    url = f"socket://127.0.0.1:{server.instruments['load'].port}"
    with serial.serial_for_url(url, timeout=2) as link:
        assert exchange(link, frame(0x6A))[3:7] == b"8511"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(noise=st.binary(min_size=1, max_size=200))
def test_random_bytes_never_break_the_server(server: SimulatedBenchServer, noise: bytes) -> None:
    pty = server.instruments["load"].pty
    assert pty is not None
    with serial.Serial(pty, timeout=2) as link:
        # 26 zero bytes complete any frame the noise started (and hold no 0xAA lead-in), so the
        # identify frame after them is parsed on its own. Every reply is a whole 26-byte frame,
        # so reading in frames stays aligned until the identify reply arrives.
        link.write(noise + b"\0" * 26 + frame(0x6A))
        for _ in range(len(noise) // 26 + 2):
            reply = bytes(link.read(26))
            if len(reply) < 26 or reply[2] == 0x6A:
                break
    assert reply[2] == 0x6A and reply[3:7] == b"8511"
    assert server.emulator_errors == []
