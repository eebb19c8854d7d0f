"""Wrap a live transport and write every exchange to a JSON-lines file.

A session recorded against the simulated bench (or a real instrument) becomes a regression test
that runs with nothing attached: ``ReplayTransport.from_file`` serves it back byte for byte.

File format (version 1), one JSON object per line::

    {"resource": "TCPIP::127.0.0.1::5025::SOCKET", "recorded": "2025-01-01T12:00:00+00:00",
     "format": 1}                         (one line in the file)
    {"t": 0.0012, "dir": "write", "data": "*IDN?"}
    {"t": 0.0015, "dir": "read", "data": "Keysight Technologies,34461A,MY1,A.03"}
    {"t": 0.0101, "dir": "write_raw", "hex": "aa00..."}
    {"t": 2.0130, "dir": "timeout", "data": ""}
    {"t": 2.5000, "dir": "error", "data": "connection reset"}
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from os import PathLike
from typing import IO, Any

from instruments.errors import InstrumentTimeout, TransportError
from instruments.transport import Drainable, Reconnectable, Transport
from instruments.transports.replay import RECORDING_FORMAT


class RecordingTransport:
    """A ``Transport`` that forwards to ``inner`` and logs each exchange as it happens.

    Lines are flushed as written so a session that crashes still leaves a usable transcript up to
    the failure, which is usually the part worth replaying.
    """

    def __init__(
        self, inner: Transport, path: str | PathLike[str], *, start: float | None = None
    ) -> None:
        """``start``: the ``time.monotonic()`` the ``t`` of each line counts from (default: now);
        a session recording gives every instrument the same origin, so their timings line up."""
        self._inner = inner
        self._file: IO[str] | None = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._start = time.monotonic() if start is None else start
        self._emit(
            {
                "resource": inner.resource,
                "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
                "format": RECORDING_FORMAT,
            }
        )

    @property
    def resource(self) -> str:
        return self._inner.resource

    @property
    def timeout(self) -> float:
        return self._inner.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._inner.timeout = seconds

    def write(self, message: str) -> None:
        self._log("write", message)
        self._guard(self._inner.write, message)

    def read(self) -> str:
        reply: str = self._guard(self._inner.read)
        self._log("read", reply)
        return reply

    def query(self, message: str) -> str:
        self._log("write", message)
        reply: str = self._guard(self._inner.query, message)
        self._log("read", reply)
        return reply

    def write_raw(self, data: bytes) -> None:
        self._log_raw("write_raw", data)
        self._guard(self._inner.write_raw, data)

    def read_raw(self, size: int) -> bytes:
        data: bytes = self._guard(self._inner.read_raw, size)
        self._log_raw("read_raw", data)
        return data

    def reopen(self) -> None:
        """Reconnect the inner transport (recorded, so a replay expects it at the same point)."""
        if not isinstance(self._inner, Reconnectable):
            self._log("reopen", "cannot reconnect")
            raise TransportError(f"{self._inner.resource}: this transport cannot reconnect")
        try:
            self._inner.reopen()
        except TransportError as exc:
            self._log("reopen", str(exc) or "reconnect failed")
            raise
        self._log("reopen", "")

    def set_terminations(self, read: str, write: str) -> None:
        """Forward a termination change (the factory adopts the Hioki's CR+LF after ``*IDN?``);
        the transcript holds messages without terminators, so nothing is logged."""
        change = getattr(self._inner, "set_terminations", None)
        if change is not None:
            change(read, write)

    def discard_input(self) -> None:
        if isinstance(self._inner, Drainable):
            self._inner.discard_input()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            if self._file is not None:
                self._file.close()
                self._file = None

    # -- internals ----------------------------------------------------------------------------
    def _guard(self, call: Any, *args: Any) -> Any:
        """Run ``call``; a failure is recorded (so the replay fails the same way) and re-raised."""
        try:
            return call(*args)
        except InstrumentTimeout:
            self._log("timeout", "")
            raise
        except TransportError as exc:
            self._log("error", str(exc))
            raise

    def _log(self, direction: str, text: str) -> None:
        self._emit({"t": round(time.monotonic() - self._start, 6), "dir": direction, "data": text})

    def _log_raw(self, direction: str, data: bytes) -> None:
        self._emit(
            {"t": round(time.monotonic() - self._start, 6), "dir": direction, "hex": data.hex()}
        )

    def _emit(self, entry: dict[str, Any]) -> None:
        if self._file is None:
            raise TransportError(f"{self._inner.resource}: recording transport used after close")
        self._file.write(json.dumps(entry) + "\n")
