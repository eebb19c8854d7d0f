"""VISA transport: one class for TCPIP SOCKET/INSTR, USB, GPIB and ASRL resources via pyvisa.

The pyvisa-py backend is the default so a bench needs no vendor VISA installed; pass
``backend=""`` for the system VISA library (NI/Keysight) where one is installed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
from typing import Any

import pyvisa
from pyvisa import constants
from pyvisa.errors import Error as VisaError
from pyvisa.errors import VisaIOError

from instruments.errors import InstrumentTimeout, TransportError

_log = logging.getLogger(__name__)

#: One resource manager per backend: creating one costs milliseconds and opens library state.
_MANAGERS: dict[str, pyvisa.ResourceManager] = {}

_HINT = "check the resource string, and is the instrument on, connected and in remote?"


def _manager(backend: str) -> pyvisa.ResourceManager:
    manager = _MANAGERS.get(backend)
    if manager is None:
        manager = _MANAGERS[backend] = pyvisa.ResourceManager(backend)
    return manager


def session_socket(resource: Any) -> socket.socket | None:
    """The client socket behind a pyvisa-py TCPIP SOCKET session, or ``None`` if not found.

    Path (pyvisa-py 0.7/0.8): ``resource.visalib.sessions[resource.session].interface`` is the
    ``socket.socket`` of ``pyvisa_py.tcpip.TCPIPSocketSession``. Anything else (another backend, a
    future layout) returns ``None`` and the caller degrades with a warning.
    """
    try:
        session = resource.visalib.sessions[resource.session]
    except (AttributeError, KeyError, TypeError):
        return None
    interface = getattr(session, "interface", None)
    return interface if isinstance(interface, socket.socket) else None


class VisaTransport:
    """A ``Transport`` over a pyvisa message-based resource.

    Raw sockets get ``TCP_NODELAY`` on the client side: without it a write followed by a query
    stalls ~40 ms (Nagle meets the instrument's delayed ACK), and real instruments will not
    re-arm ``TCP_QUICKACK`` for us. pyvisa-py's own attribute setter for it fails in 0.8, hence
    the direct ``setsockopt``.
    """

    def __init__(self, resource: Any, name: str) -> None:
        self._resource = resource
        self._name = name
        self._last_sent = ""
        self._closed = False
        self._socket = session_socket(resource) if "::SOCKET" in name.upper() else None

    @classmethod
    def open(
        cls,
        resource: str,
        *,
        timeout: float = 2.0,
        read_termination: str = "\n",
        write_termination: str = "\n",
        baud_rate: int | None = None,
        backend: str = "@py",
    ) -> VisaTransport:
        options: dict[str, Any] = {
            "read_termination": read_termination,
            "write_termination": write_termination,
            "timeout": timeout * 1000.0,
            # Every byte decodes in latin-1: line noise reaches the parser, which quotes it in a
            # ProtocolError, instead of escaping as a UnicodeDecodeError from inside pyvisa.
            "encoding": "latin-1",
        }
        if baud_rate is not None:
            options["baud_rate"] = baud_rate
        try:
            handle = _manager(backend).open_resource(resource, **options)
        except (VisaIOError, OSError, ValueError) as exc:
            raise TransportError(f"{resource}: cannot open ({exc}); {_HINT}") from exc
        except Exception as exc:  # pyvisa-py raises bare Exception for some connect failures
            raise TransportError(f"{resource}: cannot open ({exc!r}); {_HINT}") from exc
        transport = cls(handle, resource)
        if "::SOCKET" in resource.upper():
            transport._prepare_socket()
        return transport

    def _prepare_socket(self) -> None:
        sock = self._socket
        if sock is None:
            _log.warning(
                "%s: pyvisa-py session socket not found (expected "
                "resource.visalib.sessions[session].interface); TCP_NODELAY not set, "
                "write-then-query exchanges may stall ~40 ms",
                self._name,
            )
            return
        # pyvisa-py connects non-blocking and reports success even when refused: ask the socket.
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            self.close()
            raise TransportError(
                f"{self._name}: connection failed ({errno.errorcode.get(error, error)}); {_HINT}"
            )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- Transport ----------------------------------------------------------------------------
    @property
    def resource(self) -> str:
        return self._name

    @property
    def timeout(self) -> float:
        return float(self._resource.timeout) / 1000.0

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._resource.timeout = seconds * 1000.0

    @property
    def nodelay(self) -> bool:
        """Whether the client socket has ``TCP_NODELAY`` (False for non-socket resources)."""
        if self._socket is None:
            return False
        return bool(self._socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    @property
    def terminations(self) -> tuple[str, str]:
        """``(read, write)`` terminations in use."""
        return str(self._resource.read_termination), str(self._resource.write_termination)

    def set_terminations(self, read: str, write: str) -> None:
        """Change terminations once the model is known (the factory does, after ``*IDN?``)."""
        self._resource.read_termination = read
        self._resource.write_termination = write

    def write(self, message: str) -> None:
        self._last_sent = message
        try:
            self._resource.write(message)
        except (VisaError, OSError, AttributeError) as exc:
            raise self._failure(exc, message) from exc

    def read(self) -> str:
        try:
            reply: str = self._resource.read()
        except (VisaError, OSError, AttributeError) as exc:
            raise self._failure(exc, self._last_sent) from exc
        return reply

    def query(self, message: str) -> str:
        self._last_sent = message
        try:
            reply: str = self._resource.query(message)
        except (VisaError, OSError, AttributeError) as exc:
            raise self._failure(exc, message) from exc
        return reply

    def write_raw(self, data: bytes) -> None:
        self._last_sent = data.hex(" ")
        try:
            self._resource.write_raw(data)
        except (VisaError, OSError, AttributeError) as exc:
            raise self._failure(exc, self._last_sent) from exc

    def read_raw(self, size: int) -> bytes:
        try:
            data: bytes = self._resource.read_bytes(size)
        except (VisaError, OSError, AttributeError) as exc:
            raise self._failure(exc, self._last_sent) from exc
        return data

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._socket = None
        try:
            self._resource.close()
        except (VisaIOError, OSError) as exc:
            _log.warning("%s: error while closing (ignored): %s", self._name, exc)

    # -- errors -------------------------------------------------------------------------------
    def _failure(self, exc: Exception, command: str) -> TransportError:
        if self._closed:
            return TransportError(f"{self._name}: transport used after close ({command!r})")
        if isinstance(exc, VisaIOError) and exc.error_code == constants.StatusCode.error_timeout:
            if self._peer_closed():
                return TransportError(
                    f"{self._name}: the instrument closed the connection (no reply to "
                    f"{command!r}); {_HINT}"
                )
            self._discard_late_reply()
            return InstrumentTimeout(
                f"{self._name}: no reply to {command!r} within {self.timeout:g} s; is the "
                "command a query the model supports, and is the instrument on and in remote?"
            )
        return TransportError(f"{self._name}: link failed during {command!r} ({exc}); {_HINT}")

    def _peer_closed(self) -> bool:
        """On sockets, tell a dropped connection from a silent instrument (pyvisa-py reports
        both as a timeout): a readable socket with nothing to read has reached end of stream."""
        if self._socket is None:
            return False
        try:
            return self._socket.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _discard_late_reply(self) -> None:
        """Drop a reply still on its way, so it is not taken as the answer to the next query."""
        with contextlib.suppress(VisaIOError, OSError, AttributeError, NotImplementedError):
            self._resource.clear()
