from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from procedures.clock import MAX_ADVANCE_S, RealClock, SimulatedClock
from procedures.errors import ClockError


class FakeControl:
    """A tiny line server speaking the control protocol's ADVANCE/TIME? subset."""

    def __init__(self, reply: Callable[[str, FakeControl], bytes | None] | None = None) -> None:
        self.time = 0.0
        self.lines: list[str] = []
        self.connections = 0
        self.reply = reply or FakeControl.normal
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # before the thread starts: close() may come first
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self._stop = False
        self._conns: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept)]
        self._threads[0].start()

    @staticmethod
    def normal(line: str, server: FakeControl) -> bytes | None:
        verb, *args = line.split()
        if verb.upper() == "ADVANCE":
            seconds = float(args[0])
            if seconds < 0:
                return b'{"ok": false, "error": "ADVANCE seconds must be >= 0"}\n'
            server.time += seconds
            return json.dumps({"ok": True, "time": server.time}).encode() + b"\n"
        if verb.upper() == "TIME?":
            return json.dumps({"ok": True, "time": server.time}).encode() + b"\n"
        return json.dumps({"ok": False, "error": f"unknown command {verb!r}"}).encode() + b"\n"

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,))
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            for raw in reader:
                line = raw.decode().strip()
                self.lines.append(line)
                answer = self.reply(line, self)
                if answer is None:
                    return  # hang up without answering
                conn.sendall(answer)

    def close(self) -> None:
        self._stop = True
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for thread in self._threads:
            thread.join(5)


@pytest.fixture
def control() -> Iterator[FakeControl]:
    server = FakeControl()
    yield server
    server.close()


def test_sleep_advances_virtual_time_and_now_reads_it(control):
    with SimulatedClock(control.address) as clock:
        assert clock.now() == 0.0
        clock.sleep(7200)
        clock.sleep(0.5)
        assert clock.now() == 7200.5
        assert clock.monotonic() == 7200.5
    assert control.lines == ["TIME?", "ADVANCE 7200.0", "ADVANCE 0.5", "TIME?", "TIME?"]
    assert control.connections == 1


def test_sleep_longer_than_one_advance_is_sent_in_pieces(control):
    with SimulatedClock(control.address) as clock:
        clock.sleep(2.5 * MAX_ADVANCE_S)
    assert [float(line.split()[1]) for line in control.lines] == [
        MAX_ADVANCE_S,
        MAX_ADVANCE_S,
        0.5 * MAX_ADVANCE_S,
    ]
    assert control.time == 2.5 * MAX_ADVANCE_S


def test_zero_sleep_sends_nothing_and_negative_sleep_is_refused(control):
    with SimulatedClock(control.address) as clock:
        clock.sleep(0)
        with pytest.raises(ValueError, match="finite number of seconds >= 0"):
            clock.sleep(-1)
        with pytest.raises(ValueError):
            clock.sleep(float("nan"))
    assert control.lines == []


def test_error_reply_raises_with_the_endpoints_message():
    server = FakeControl(lambda line, s: b'{"ok": false, "error": "bench is stopped"}\n')
    try:
        with (
            SimulatedClock(server.address) as clock,
            pytest.raises(ClockError, match=r"refused 'ADVANCE 1.0': bench is stopped"),
        ):
            clock.sleep(1)
    finally:
        server.close()


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (b"not json\n", "non-JSON"),
        (b'{"ok": true}\n', "without a numeric 'time'"),
        (b'{"ok": true, "time": "soon"}\n', "without a numeric 'time'"),
        (None, "closed the connection"),
    ],
)
def test_malformed_replies_raise(reply, match):
    server = FakeControl(lambda line, s: reply)
    try:
        with SimulatedClock(server.address) as clock, pytest.raises(ClockError, match=match):
            clock.now()
    finally:
        server.close()


def test_reconnects_after_a_dropped_connection():
    calls = []

    def flaky(line: str, server: FakeControl) -> bytes | None:
        calls.append(line)
        return None if len(calls) == 1 else FakeControl.normal(line, server)

    server = FakeControl(flaky)
    try:
        with SimulatedClock(server.address) as clock:
            with pytest.raises(ClockError):
                clock.sleep(5)
            clock.sleep(5)
            assert clock.now() == 5.0
        assert server.connections == 2
    finally:
        server.close()


def test_unreachable_endpoint_says_how_to_start_one():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    clock = SimulatedClock(f"127.0.0.1:{port}", timeout=2)
    with pytest.raises(ClockError, match="is the simulated bench running"):
        clock.now()
    clock.close()


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1:", ":5000", "host:port"])
def test_bad_address_is_refused(address):
    with pytest.raises(ClockError, match="is not 'host:port'"):
        SimulatedClock(address)


def test_real_clock_follows_the_machine():
    clock = RealClock()
    assert abs(clock.now() - time.time()) < 5
    first = clock.monotonic()
    clock.sleep(0.001)
    assert clock.monotonic() > first


def test_against_the_real_simulator_control_endpoint():
    from simulators.launcher import start_bench

    with start_bench(serial=False) as sim, SimulatedClock(sim.control_address) as clock:
        start = clock.now()
        clock.sleep(2 * 3600)
        assert clock.now() == pytest.approx(start + 7200)
