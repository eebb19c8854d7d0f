"""Serve a recorded instrument session back to a driver, failing at the first divergence.

Protocol tests of every driver run against a replay: the script states the exact bytes the driver
must send and the exact reply the instrument gave, so a changed command string or a misparsed
reply fails the test without any hardware or simulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Literal, NoReturn

from instruments.errors import InstrumentTimeout, ReplayDivergence, TransportError

Direction = Literal["write", "read", "write_raw", "read_raw", "timeout", "error", "reopen"]

#: Script shorthand (as in a terminal log: ``>`` sent, ``<`` received) to recording directions.
_SCRIPT_DIRECTIONS: dict[str, Direction] = {
    ">": "write",
    "<": "read",
    ">>": "write_raw",
    "<<": "read_raw",
    "timeout": "timeout",
    "error": "error",
    "reopen": "reopen",
}

_VERBS = {"write": "send", "read": "a read of", "write_raw": "send raw", "read_raw": "raw read"}

#: Format version of the JSON-lines recording this module reads (``recording.py`` writes it).
RECORDING_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Exchange:
    """One recorded step: text for write/read, bytes for the raw directions."""

    direction: Direction
    payload: str | bytes

    def describe(self) -> str:
        if self.direction == "timeout":
            return "a read that times out"
        if self.direction == "error":
            return f"a link failure ({self.payload!s})"
        if self.direction == "reopen":
            return "a reconnect" + (f" that fails ({self.payload!s})" if self.payload else "")
        return f"{_VERBS[self.direction]} {self.payload!r}"


class ReplayTransport:
    """A ``Transport`` that plays back a script or a ``RecordingTransport`` file.

    Every call is checked against the next exchange; the first mismatch raises
    ``ReplayDivergence`` quoting the exchange number, what the recording expected and what the
    driver did. ``assert_finished`` catches a driver that stopped early (a skipped error check).
    """

    def __init__(
        self,
        resource: str,
        exchanges: Iterable[Exchange],
        *,
        timeout: float = 2.0,
        on_divergence: Callable[[ReplayDivergence], None] | None = None,
    ):
        """``on_divergence`` sees every divergence before it is raised: a driver may catch the
        error (and a procedure turns it into an error verdict), the session replay must not lose
        the first one."""
        self._resource = resource
        self._on_divergence = on_divergence
        self._exchanges = list(exchanges)
        self._position = 0
        self._timeout = timeout
        self._closed = False
        self._last_sent = ""

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_script(
        cls, resource: str, script: Sequence[tuple[str, str | bytes]]
    ) -> ReplayTransport:
        """Build from ``(">", "sent")``, ``("<", "reply")``, ``(">>", b"..")``, ``("<<", b"..")``,
        ``("timeout", "")``, ``("error", "why")`` and ``("reopen", "")`` steps (``("reopen",
        "why")``: a reconnect that fails)."""
        exchanges: list[Exchange] = []
        for number, (marker, payload) in enumerate(script, start=1):
            direction = _SCRIPT_DIRECTIONS.get(marker)
            if direction is None:
                raise ValueError(
                    f"script step {number}: unknown marker {marker!r}; "
                    f"use one of {', '.join(map(repr, _SCRIPT_DIRECTIONS))}"
                )
            raw = direction in ("write_raw", "read_raw")
            if raw and not isinstance(payload, bytes):
                raise TypeError(f"script step {number}: {marker!r} takes bytes, got {payload!r}")
            if not raw and not isinstance(payload, str):
                raise TypeError(f"script step {number}: {marker!r} takes text, got {payload!r}")
            exchanges.append(Exchange(direction, payload))
        return cls(resource, exchanges)

    @classmethod
    def from_file(
        cls,
        path: str | PathLike[str],
        *,
        on_divergence: Callable[[ReplayDivergence], None] | None = None,
    ) -> ReplayTransport:
        """Load a JSON-lines recording written by ``RecordingTransport``."""
        with open(path, encoding="utf-8") as handle:
            lines = [line for line in handle if line.strip()]
        if not lines:
            raise ValueError(f"{path}: empty recording (no header line)")
        header = json.loads(lines[0])
        if header.get("format") != RECORDING_FORMAT or "resource" not in header:
            raise ValueError(
                f"{path}: header {lines[0].strip()!r} is not a format-{RECORDING_FORMAT} "
                "recording; re-record it with instruments.transports.recording"
            )
        exchanges: list[Exchange] = []
        for number, line in enumerate(lines[1:], start=2):
            entry = json.loads(line)
            direction = entry.get("dir")
            if direction in ("write_raw", "read_raw"):
                exchanges.append(Exchange(direction, bytes.fromhex(entry["hex"])))
            elif direction in ("write", "read", "timeout", "error", "reopen"):
                exchanges.append(Exchange(direction, entry.get("data", "")))
            else:
                raise ValueError(f"{path}:{number}: unknown direction {direction!r}")
        return cls(str(header["resource"]), exchanges, on_divergence=on_divergence)

    # -- Transport ----------------------------------------------------------------------------
    @property
    def resource(self) -> str:
        return self._resource

    @property
    def timeout(self) -> float:
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout = seconds

    def write(self, message: str) -> None:
        self._expect_send("write", message)
        self._last_sent = message

    def read(self) -> str:
        payload = self._expect_receive("read")
        assert isinstance(payload, str)
        return payload

    def query(self, message: str) -> str:
        self.write(message)
        return self.read()

    def write_raw(self, data: bytes) -> None:
        self._expect_send("write_raw", bytes(data))
        self._last_sent = bytes(data).hex(" ")

    def read_raw(self, size: int) -> bytes:
        payload = self._expect_receive("read_raw")
        assert isinstance(payload, bytes)
        if len(payload) > size:
            self._diverge(f"read raw {len(payload)} bytes {payload!r}", f"read_raw({size})")
        return payload

    def close(self) -> None:
        self._closed = True

    def reopen(self) -> None:
        """A reconnect must be the next recorded exchange; one with a reason fails with it."""
        self._closed = False
        exchange = self._next("a reconnect")
        if exchange.direction != "reopen":
            self._diverge(exchange.describe(), "a reconnect")
        if exchange.payload:
            raise TransportError(f"{self._resource}: {exchange.payload!s} (replayed reconnect)")

    # -- checking -----------------------------------------------------------------------------
    @property
    def recorded(self) -> int:
        """How many exchanges the recording holds."""
        return len(self._exchanges)

    @property
    def remaining(self) -> int:
        return len(self._exchanges) - self._position

    def assert_finished(self) -> None:
        """Raise if the driver left recorded exchanges unplayed."""
        if self._position < len(self._exchanges):
            pending = self._exchanges[self._position]
            self._raise(
                ReplayDivergence(
                    f"{self._resource}: replay stopped at exchange {self._position + 1} of "
                    f"{len(self._exchanges)}; the recording still expects {pending.describe()}",
                    exchange=self._position + 1,
                    expected=pending.describe(),
                    actual="nothing more (the run ended)",
                )
            )

    def _next(self, did: str) -> Exchange:
        if self._closed:
            raise TransportError(f"{self._resource}: replay transport used after close ({did})")
        if self._position >= len(self._exchanges):
            self._raise(
                ReplayDivergence(
                    f"{self._resource}: exchange {self._position + 1}: the recording ended "
                    f"({len(self._exchanges)} exchanges) but the driver did {did}",
                    exchange=self._position + 1,
                    expected="the end of the recording",
                    actual=did,
                )
            )
        exchange = self._exchanges[self._position]
        self._position += 1
        return exchange

    def _expect_send(self, direction: Direction, payload: str | bytes) -> None:
        verb = "send" if direction == "write" else "send raw"
        exchange = self._next(f"{verb} {payload!r}")
        if exchange.direction == "error":
            raise TransportError(f"{self._resource}: {exchange.payload!s} (replayed link failure)")
        if exchange.direction != direction or exchange.payload != payload:
            self._diverge(exchange.describe(), f"{verb} {payload!r}")

    def _expect_receive(self, direction: Direction) -> str | bytes:
        verb = "read" if direction == "read" else "read raw"
        exchange = self._next(verb)
        if exchange.direction == "timeout":
            raise InstrumentTimeout(
                f"{self._resource}: no reply to {self._last_sent!r} within {self._timeout:g} s "
                "(replayed timeout)"
            )
        if exchange.direction == "error":
            raise TransportError(f"{self._resource}: {exchange.payload!s} (replayed link failure)")
        if exchange.direction != direction:
            self._diverge(exchange.describe(), verb)
        return exchange.payload

    def _diverge(self, expected: str, actual: str) -> NoReturn:
        self._raise(
            ReplayDivergence(
                f"{self._resource}: replay diverged at exchange {self._position}: expected "
                f"{expected}, but the driver did {actual}",
                exchange=self._position,
                expected=expected,
                actual=actual,
            )
        )

    def _raise(self, error: ReplayDivergence) -> NoReturn:
        if self._on_divergence is not None:
            self._on_divergence(error)
        raise error
