"""VISA transport: one class for TCPIP SOCKET/INSTR, USB, GPIB and ASRL resources via pyvisa.

The pyvisa-py backend is the default so a bench needs no vendor VISA installed; pass
``backend=""`` for the system VISA library (NI/Keysight) where one is installed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import select
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

#: Reads of stale input before one command at most; beyond it the instrument is streaming.
_DRAIN_CHUNKS = 64

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
    interface = getattr(_session(resource), "interface", None)
    return interface if isinstance(interface, socket.socket) else None


def _session(resource: Any) -> Any:
    """The pyvisa-py session object (holds the bytes read past a terminator), or ``None``."""
    try:
        return resource.visalib.sessions[resource.session]
    except (AttributeError, KeyError, TypeError):
        return None


def _open_handle(resource: str, backend: str, options: dict[str, Any]) -> Any:
    try:
        return _manager(backend).open_resource(resource, **options)
    except (VisaIOError, OSError, ValueError) as exc:
        raise TransportError(f"{resource}: cannot open ({exc}); {_HINT}") from exc
    except Exception as exc:  # pyvisa-py raises bare Exception for some connect failures
        raise TransportError(f"{resource}: cannot open ({exc!r}); {_HINT}") from exc


class VisaTransport:
    """A ``Transport`` over a pyvisa message-based resource.

    Raw sockets get ``TCP_NODELAY`` on the client side: without it a write followed by a query
    stalls ~40 ms (Nagle meets the instrument's delayed ACK), and real instruments will not
    re-arm ``TCP_QUICKACK`` for us. pyvisa-py's own attribute setter for it fails in 0.8, hence
    the direct ``setsockopt``.

    Input waiting before a command is sent is discarded (``_before_exchange``): it can only be
    a reply to an earlier query that timed out. ``reopen`` reconnects with the same settings,
    for the safe-state path after a dropped link.
    """

    def __init__(
        self,
        resource: Any,
        name: str,
        *,
        options: dict[str, Any] | None = None,
        backend: str = "@py",
    ) -> None:
        self._resource = resource
        self._name = name
        self._options = dict(options or {})
        self._backend = backend
        self._last_sent = ""
        self._closed = False
        self._stale = False
        self._owed = False
        """A query was interrupted (a signal) after its command went out: its reply is on the
        way and must not be taken for the answer to the next one."""
        self._attach(resource)

    def _attach(self, resource: Any) -> None:
        """Bind the session's socket (raw sockets only) and the poller that drains it."""
        self._resource = resource
        self._socket = session_socket(resource) if "::SOCKET" in self._name.upper() else None
        self._session = _session(resource) if self._socket is not None else None
        self._poll: select.poll | None = None
        if self._socket is not None:
            self._poll = select.poll()
            self._poll.register(self._socket, select.POLLIN)

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
        handle = _open_handle(resource, backend, options)
        transport = cls(handle, resource, options=options, backend=backend)
        if "::SOCKET" in resource.upper():
            transport._prepare_socket()
        return transport

    def reopen(self) -> None:
        """Close the link and open the same resource again with the same options.

        For the safe-state path: after a dropped TCP connection or a USB/serial re-enumeration
        the instrument keeps its output on, and only a new session can switch it off. Timeout and
        terminations are taken as they are now (the factory may have changed the terminations
        after ``*IDN?``); the connect itself is bounded by the timeout.
        """
        options = dict(self._options)
        if not self._closed:
            options["timeout"] = self._resource.timeout
            options["read_termination"] = self._resource.read_termination
            options["write_termination"] = self._resource.write_termination
        options["open_timeout"] = max(int(options.get("timeout", 2000.0)), 1)
        self.close()
        handle = _open_handle(self._name, self._backend, options)
        self._options = {key: value for key, value in options.items() if key != "open_timeout"}
        self._closed = False
        self._stale = False
        self._owed = False  # a new connection owes nothing
        self._attach(handle)
        if self._socket is not None:
            self._prepare_socket()

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
        self._before_exchange(message, expects_reply="?" in message)
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
        except BaseException:  # Ctrl-C/SIGTERM while waiting: the reply still comes
            self._owed = True
            raise
        return reply

    def query(self, message: str) -> str:
        self._before_exchange(message)
        self._last_sent = message
        try:
            reply: str = self._resource.query(message)
        except (VisaError, OSError, AttributeError) as exc:
            raise self._failure(exc, message) from exc
        except BaseException:  # Ctrl-C/SIGTERM while waiting: the reply still comes
            self._owed = True
            raise
        return reply

    def write_raw(self, data: bytes) -> None:
        self._before_exchange(data.hex(" "))
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
        self._poll = None
        self._session = None
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
            self._stale = True
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

    # -- stale input ----------------------------------------------------------------------------
    def _before_exchange(self, command: str, *, expects_reply: bool = True) -> None:
        """Discard input nobody asked for before sending: it cannot answer what is sent next.

        A reply that arrives after its query timed out would otherwise be read as the answer to
        the next query (a late ``+0,"No error"`` taken for ``OUTP?``). On a raw socket the check
        is one ``poll(0)`` per exchange, so it runs always; other resources (USB, GPIB, serial
        through VISA) are cleared once after a timeout, with the device clear VISA offers.

        A command without ``?`` gets no reply (IEEE 488.2), so it is never kept waiting for an
        interrupted query's owed reply: the ``OUTP OFF`` of a safe state goes out at once (the
        wait could last a whole timeout when the signal landed after the reply was read), and the
        next query waits for that reply instead.
        """
        if self._owed and not self._closed and expects_reply:
            self._await_owed_reply()
        if self._poll is not None:
            pending = getattr(self._session, "_pending_buffer", None)
            if pending or self._poll.poll(0):
                last = self._drain_socket(command, pending)
                if self._owed and last.endswith(str(self._resource.read_termination).encode()):
                    self._owed = False  # the owed reply came whole and went with the rest
        elif self._stale and not self._closed:
            self._stale = False
            with contextlib.suppress(VisaError, OSError, AttributeError, NotImplementedError):
                self._resource.clear()

    def _await_owed_reply(self) -> None:
        """Give an interrupted query's reply (at most one timeout) the time to arrive, so the
        drain below drops it instead of the next query reading it (a late ``+2.6E-01`` taken
        for the error queue's answer turned an aborted recharge into an "instrument error")."""
        self._owed = False
        if self._poll is None:
            self._stale = True  # USB/GPIB/serial: a device clear before the next exchange
            return
        pending = getattr(self._session, "_pending_buffer", None)
        if not (pending and bytes(pending).endswith(b"\n")):  # not all of it read yet
            self._poll.poll(max(1, round(self.timeout * 1000)))

    def discard_input(self) -> None:
        """Drop whatever input is waiting now (after a reply of the wrong shape, say)."""
        self._stale = True
        self._before_exchange(self._last_sent)

    def _drain_socket(self, command: str, pending: bytearray | None) -> bytes:
        """Read and drop what the socket holds (returns its last bytes, to tell whether a reply
        ended in it); end of stream means the instrument hung up."""
        assert self._socket is not None and self._poll is not None
        dropped = len(pending) if pending else 0
        last = bytes(pending[-8:]) if pending else b""
        if pending:
            pending.clear()
        for _ in range(_DRAIN_CHUNKS):
            if not self._poll.poll(0):
                break
            try:
                chunk = self._socket.recv(65536)
            except OSError as exc:
                raise TransportError(
                    f"{self._name}: link failed before {command!r} ({exc}); {_HINT}"
                ) from exc
            if not chunk:
                raise TransportError(
                    f"{self._name}: the instrument closed the connection (found before sending "
                    f"{command!r}); {_HINT}"
                )
            dropped += len(chunk)
            last = (last + chunk)[-8:]
        else:
            raise TransportError(
                f"{self._name}: the instrument keeps sending unrequested data (over "
                f"{dropped} bytes before {command!r}); is another program talking to it?"
            )
        self._stale = False
        if dropped:
            _log.warning(
                "%s: discarded %d bytes of unrequested input (a late reply?) before %r",
                self._name,
                dropped,
                command,
            )
        return last
