"""Serial transport via pyserial: RS-232 testers (Hioki BT356x) and binary loads (ITECH IT8511).

``serial.serial_for_url`` is used so the same class opens a device path (``/dev/ttyUSB0``,
``COM3``, a simulator's pseudo-terminal) or a URL (``socket://host:port`` for a serial-to-LAN
adapter, ``loop://`` for experiments).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import serial

from instruments.errors import InstrumentTimeout, TransportError

_log = logging.getLogger(__name__)

_HINT = "check the port name, the cable (null-modem?), the baud rate, and is the instrument on?"
_QUIET_S = 0.05
"""An owed reply is complete once the line has been quiet this long (26 bytes at 9600 baud
last 27 ms)."""

_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


class SerialTransport:
    """A ``Transport`` over a serial line (or a pyserial URL).

    Text replies are read up to the read terminator; a reply cut short by the timeout raises
    ``InstrumentTimeout`` (quoting what did arrive) rather than passing half a number upward.
    """

    def __init__(
        self,
        port: serial.SerialBase,
        name: str,
        *,
        read_termination: str,
        write_termination: str,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self._port = port
        self._settings = dict(settings or {})
        self._name = name
        self._read_term = read_termination.encode("ascii")
        self._write_term = write_termination.encode("ascii")
        self._last_sent = ""
        self._closed = False
        self._owed = False
        """A read was interrupted (a signal) while the reply was on its way: drop it first."""

    @classmethod
    def open(
        cls,
        port_or_url: str,
        *,
        baudrate: int = 9600,
        timeout: float = 2.0,
        read_termination: str = "\r\n",
        write_termination: str = "\r\n",
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
    ) -> SerialTransport:
        if parity.upper() not in _PARITIES:
            raise ValueError(f"parity {parity!r}: use one of N, E, O")
        settings: dict[str, Any] = {
            "baudrate": baudrate,
            "timeout": timeout,
            "write_timeout": timeout,
            "bytesize": bytesize,
            "parity": _PARITIES[parity.upper()],
            "stopbits": stopbits,
        }
        return cls(
            _open_port(port_or_url, settings),
            port_or_url,
            read_termination=read_termination,
            write_termination=write_termination,
            settings=settings,
        )

    def reopen(self) -> None:
        """Close the port and open the same device path or URL again, same line settings.

        For the safe-state path: a USB-serial adapter that re-enumerated, or a serial-to-LAN
        adapter whose TCP link dropped, leaves the instrument as it was (input on); only a new
        handle can reach it. The timeout is the one in force now.
        """
        settings = dict(self._settings)
        if not self._closed:
            settings["timeout"] = settings["write_timeout"] = self._port.timeout
        self.close()
        self._port = _open_port(self._name, settings)
        self._settings = settings
        self._closed = False
        self._owed = False

    # -- Transport ----------------------------------------------------------------------------
    @property
    def resource(self) -> str:
        return self._name

    @property
    def timeout(self) -> float:
        return float(self._port.timeout)

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._port.timeout = seconds
        self._port.write_timeout = seconds

    def write(self, message: str) -> None:
        self._discard_unrequested(message, expects_reply="?" in message)
        self._last_sent = message
        self._send(message.encode("latin-1") + self._write_term, message)

    def read(self) -> str:
        data = self._receive_until_terminator()
        return data[: -len(self._read_term)].decode("latin-1")

    def query(self, message: str) -> str:
        self.write(message)
        return self.read()

    def write_raw(self, data: bytes) -> None:
        self._discard_unrequested(data.hex(" "))
        self._last_sent = data.hex(" ")
        self._send(data, self._last_sent)

    def read_raw(self, size: int) -> bytes:
        data = self._guarded_read(size)
        if len(data) < size:
            raise InstrumentTimeout(
                f"{self._name}: after {self._last_sent!r} got {len(data)} of {size} bytes within "
                f"{self.timeout:g} s ({data.hex(' ')!r}); check baud rate and address"
            )
        return data

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(serial.SerialException, OSError):
            self._port.close()

    def discard_input(self) -> None:
        """Drop whatever input is waiting now (after a reply of the wrong shape, say)."""
        self._discard_unrequested(self._last_sent)

    # -- internals ----------------------------------------------------------------------------
    def _discard_unrequested(self, command: str, *, expects_reply: bool = True) -> None:
        """Input waiting before a command is sent cannot be its answer: a late reply to a query
        that timed out, or line noise. Left in place it would be read as the next reply.

        A text command without ``?`` gets no reply, so it does not wait for an interrupted
        query's owed reply (a safe state's ``OUTP OFF`` goes out at once); the next query does.
        Raw frames count as queries: the binary protocols answer every frame."""
        if self._closed:
            return
        if self._owed and expects_reply:
            self._await_owed_reply()
        try:
            waiting = self._port.in_waiting
            if waiting:
                self._port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise TransportError(
                f"{self._name}: link failed before {command!r} ({exc}); {_HINT}"
            ) from exc
        if waiting:
            _log.warning(
                "%s: discarded %d bytes of unrequested input (a late reply?) before %r",
                self._name,
                waiting,
                command,
            )

    def _await_owed_reply(self) -> None:
        """Let an interrupted read's reply arrive (first byte within one timeout, then until
        the line goes quiet), so ``_discard_unrequested`` drops all of it."""
        self._owed = False
        timeout = float(self._port.timeout or 1.0)
        deadline = time.monotonic() + timeout
        with contextlib.suppress(serial.SerialException, OSError):
            seen = self._port.in_waiting
            while not seen and time.monotonic() < deadline:
                time.sleep(0.005)
                seen = self._port.in_waiting
            quiet_until = time.monotonic() + _QUIET_S
            while time.monotonic() < min(quiet_until, deadline):
                time.sleep(0.005)
                now = self._port.in_waiting
                if now != seen:
                    seen, quiet_until = now, time.monotonic() + _QUIET_S

    def _send(self, data: bytes, what: str) -> None:
        if self._closed:
            raise TransportError(f"{self._name}: transport used after close ({what!r})")
        try:
            self._port.write(data)
        except serial.SerialTimeoutException as exc:
            raise InstrumentTimeout(
                f"{self._name}: could not send {what!r} within {self.timeout:g} s "
                "(flow control stuck?)"
            ) from exc
        except (serial.SerialException, OSError) as exc:
            raise TransportError(
                f"{self._name}: link failed sending {what!r} ({exc}); {_HINT}"
            ) from exc

    def _guarded_read(self, size: int) -> bytes:
        if self._closed:
            raise TransportError(f"{self._name}: transport used after close")
        try:
            data: bytes = self._port.read(size)
        except BaseException as exc:
            if not isinstance(exc, serial.SerialException | OSError):
                self._owed = True  # Ctrl-C/SIGTERM while waiting: the reply still comes
                raise
            raise TransportError(
                f"{self._name}: link failed reading the reply to {self._last_sent!r} ({exc})"
            ) from exc
        return data

    def _receive_until_terminator(self) -> bytes:
        if self._closed:
            raise TransportError(f"{self._name}: transport used after close")
        try:
            data: bytes = self._port.read_until(self._read_term)
        except BaseException as exc:
            if not isinstance(exc, serial.SerialException | OSError):
                self._owed = True  # Ctrl-C/SIGTERM while waiting: the reply still comes
                raise
            raise TransportError(
                f"{self._name}: link failed reading the reply to {self._last_sent!r} ({exc})"
            ) from exc
        if not data.endswith(self._read_term):
            raise InstrumentTimeout(
                f"{self._name}: no complete reply to {self._last_sent!r} within {self.timeout:g} s"
                + (f" (got {data!r} without terminator)" if data else "")
                + "; is the baud rate and terminator right, and is the instrument on?"
            )
        return data


def _open_port(port_or_url: str, settings: dict[str, Any]) -> serial.SerialBase:
    try:
        port: serial.SerialBase = serial.serial_for_url(port_or_url, **settings)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise TransportError(f"{port_or_url}: cannot open serial port ({exc}); {_HINT}") from exc
    return port
