"""Time as a procedure sees it: the wall clock on a real bench, virtual time on a simulated one.

A procedure only ever waits through ``Clock.sleep``, so the same two-hour recharge runs for two
hours on the bench and for a few milliseconds against the simulator, whose control endpoint moves
the pack model on by the requested time. The simulated clock speaks the endpoint's line protocol
with the stdlib socket module only: ``procedures`` may not import ``simulators``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Protocol

from procedures.errors import ClockError

MAX_ADVANCE_S = 10 * 24 * 3600.0
"""Largest single ``ADVANCE`` the simulator accepts; longer sleeps are sent in pieces."""


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock's time line (epoch seconds for real time, virtual seconds)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go backwards, for measuring durations."""
        ...

    def sleep(self, seconds: float) -> None: ...


def _check_seconds(seconds: float) -> float:
    value = float(seconds)
    if not value >= 0.0 or value == float("inf"):
        raise ValueError(f"sleep needs a finite number of seconds >= 0, got {seconds!r}")
    return value


class RealClock:
    """The machine's clocks. ``sleep`` is interrupted by Ctrl-C like any ``time.sleep``."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(_check_seconds(seconds))


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ClockError(
            f"control address {address!r} is not 'host:port'; write it as '127.0.0.1:5050'"
        )
    return host, int(port)


class SimulatedClock:
    """Virtual time of a simulated bench, advanced through its control endpoint.

    ``now()`` and ``monotonic()`` are both the bench's virtual time (it never goes backwards
    except on a bench ``RESET``). The connection opens lazily and is dropped after any failure in
    the middle of an exchange (e.g. Ctrl-C while waiting for a reply), so a stale reply can never
    be read as the answer to the next request.
    """

    def __init__(self, address: str, *, timeout: float = 10.0) -> None:
        self.address = address
        self._host, self._port = parse_address(address)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._reader: Any = None

    def _connect(self) -> None:
        try:
            sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        except OSError as exc:
            raise ClockError(
                f"cannot reach the simulator control endpoint {self.address} ({exc}); "
                "is the simulated bench running? start it with simulators.launcher.start_bench "
                "and pass its control_address"
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._reader = sock.makefile("rb")

    def _drop(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._reader = None

    def request(self, line: str) -> dict[str, Any]:
        """Send one command line and return its JSON reply; ``ok: false`` raises ``ClockError``."""
        with self._lock:
            if self._sock is None:
                self._connect()
            assert self._sock is not None
            try:
                self._sock.sendall(line.encode() + b"\n")
                raw = self._reader.readline()
            except OSError as exc:
                self._drop()
                raise ClockError(f"simulator control endpoint {self.address}: {exc}") from exc
            except BaseException:
                self._drop()
                raise
            if not raw.endswith(b"\n"):
                self._drop()
                raise ClockError(
                    f"simulator control endpoint {self.address} closed the connection "
                    f"while answering {line!r}"
                )
        try:
            reply = json.loads(raw)
        except ValueError as exc:
            raise ClockError(
                f"simulator control endpoint {self.address} answered {line!r} with non-JSON {raw!r}"
            ) from exc
        if not isinstance(reply, dict) or reply.get("ok") is not True:
            error = reply.get("error", reply) if isinstance(reply, dict) else reply
            raise ClockError(f"simulator control endpoint {self.address} refused {line!r}: {error}")
        return reply

    def _time(self, reply: dict[str, Any], line: str) -> float:
        value = reply.get("time")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ClockError(
                f"simulator control endpoint {self.address} answered {line!r} without a "
                f"numeric 'time': {reply}"
            )
        return float(value)

    def now(self) -> float:
        return self._time(self.request("TIME?"), "TIME?")

    def monotonic(self) -> float:
        return self.now()

    def sleep(self, seconds: float) -> None:
        remaining = _check_seconds(seconds)
        while remaining > 0.0:
            step = min(remaining, MAX_ADVANCE_S)
            line = f"ADVANCE {step!r}"
            self._time(self.request(line), line)
            remaining -= step

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> SimulatedClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
