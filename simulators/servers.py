"""The wire side of a simulated bench: TCP ports and pseudo-terminals around the emulators.

Every instrument of one bench, and its control endpoint, is served by ONE thread running a
``selectors`` loop. The physical model is therefore only ever touched from that thread and needs
no locking, and a slow reply (a transport fault) is a timer on the loop, not a sleeping thread.

Each accepted client is a ``simulators.tcp_link.TcpLink`` (which also says why every socket gets
``TCP_NODELAY`` and ``TCP_QUICKACK``); serial instruments additionally get a pseudo-terminal
(``simulators.pty_link``, which also says how stale replies are handled).

Several clients of one instrument (TCP connections and the pty) share one emulator, so settings,
error queue and status are shared as on a real instrument; but each connection keeps its own
partial input (``pending``) when the emulator offers ``consume``, so a half-sent line of one
client is never completed by another's bytes.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from simulators.pty_link import PtyLink
from simulators.tcp_link import TcpLink
from simulators.transport_faults import NO_FAULT, GarbageSource, TransportFault
from simulators.wiring import Bench, Emulator

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_REALTIME_TICK = 0.02
"""Wall seconds between clock advances when the bench runs in real time or sped up."""
T = TypeVar("T")


class ServerError(RuntimeError):
    """The simulated bench could not be served (port taken, loop not running...)."""


@dataclass
class World:
    """One physics bench and the emulators wired to it; rebuilt as a whole on RESET."""

    bench: Bench
    emulators: dict[str, Emulator]


@dataclass(frozen=True)
class ServedInstrument:
    role: str
    model: str
    port: int
    pty: str | None


@dataclass(frozen=True)
class _Listener:
    sock: socket.socket
    role: str | None


class SimulatorServer:
    """Serves one world (bench + emulators) and a control line protocol from one loop thread.

    ``build`` is called once at start and again by :meth:`reset_world`. ``control_handler`` maps
    one control line (without terminator) to one reply line; it runs on the loop thread.
    """

    def __init__(
        self,
        build: Callable[[], World],
        *,
        serial_roles: frozenset[str] = frozenset(),
        ports: Mapping[str, int] | None = None,
        control_port: int = 0,
        speed: float | None = None,
        seed: int = 0,
        host: str = HOST,
    ) -> None:
        self._build = build
        self.world = build()
        self._serial_roles = serial_roles & set(self.world.emulators)
        self._ports = dict(ports or {})
        self._control_port = control_port
        self._host = host
        self._seed = seed
        self.control_handler: Callable[[str], str] = lambda line: '{"ok": false}'
        self.speed = speed
        self.faults: dict[str, TransportFault] = {}
        self._garbage: dict[str, GarbageSource] = {}
        self._reset_faults()
        self.emulator_errors: list[str] = []
        """One line per exception an emulator raised (the bench keeps serving regardless)."""
        self._selector = selectors.DefaultSelector()
        self._listeners: list[_Listener] = []
        self._connections: set[TcpLink] = set()
        self._ptys: dict[str, PtyLink] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._calls: list[Callable[[], None]] = []
        self._calls_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False
        self._torn_down = False
        self.instruments: dict[str, ServedInstrument] = {}
        self.control_address: tuple[str, int] = (host, 0)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open every port and pty, then run the loop in a daemon thread. Idempotent."""
        if self._thread is not None:
            return
        if self._closed:
            raise ServerError("this simulated bench was stopped; start a new one")
        try:
            self._open_endpoints()
        except BaseException:
            self._close_all()
            raise
        self._thread = threading.Thread(target=self._run, name="simulated-bench", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close every socket and pty and join the loop thread. Safe to call twice."""
        if self._thread is None:
            self._close_all()
            return
        self._stopping = True
        self._wake()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise ServerError(f"simulated-bench loop did not stop within {timeout} s")
        self._thread = None
        self._closed = True

    def call(self, function: Callable[[], T], timeout: float = 5.0) -> T:
        """Run ``function`` on the loop thread and return its result (thread-safe)."""
        if self._thread is None or threading.current_thread() is self._thread:
            return function()
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(function())
            except BaseException as error:
                future.set_exception(error)

        with self._calls_lock:
            self._calls.append(run)
        self._wake()
        return future.result(timeout)

    # ---- operations used by the control endpoint (on the loop thread) ----------------------

    def set_transport_fault(self, role: str, fault: TransportFault) -> None:
        if role not in self.world.emulators:
            raise KeyError(role)
        self.faults[role] = fault  # applied per received chunk / accepted connection

    def reset_world(self) -> None:
        """Rebuild bench and emulators from the launch options; clear transport faults."""
        self.world = self._build()
        self._reset_faults()
        self._timers.clear()
        for connection in self._connections:
            connection.pending = b""
        for pty in self._ptys.values():
            pty.discard_output()

    def client_socket_options(self) -> list[tuple[str | None, int]]:
        """``(role, TCP_NODELAY)`` of every open accepted connection, for tests and diagnosis."""
        return self.call(lambda: [(c.role, c.nodelay()) for c in self._connections if not c.closed])

    # ---- internals --------------------------------------------------------------------------

    def _reset_faults(self) -> None:
        roles = list(self.world.emulators)
        self.faults = dict.fromkeys(roles, NO_FAULT)
        self._garbage = {role: GarbageSource(self._seed + 1000 + i) for i, role in enumerate(roles)}

    def _open_endpoints(self) -> None:
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        for role, emulator in self.world.emulators.items():
            listener = self._listen(self._ports.get(role, 0), role)
            pty_path = self._open_pty(role) if role in self._serial_roles else None
            port = listener.sock.getsockname()[1]
            self.instruments[role] = ServedInstrument(role, emulator.model, port, pty_path)
        control = self._listen(self._control_port, None)
        self.control_address = (self._host, control.sock.getsockname()[1])

    def _listen(self, port: int, role: str | None) -> _Listener:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, port))
        except OSError as error:
            sock.close()
            what = f"instrument {role!r}" if role else "control endpoint"
            raise ServerError(
                f"cannot listen on {self._host}:{port} for {what}: {error.strerror}; "
                "choose another port or 0 for an ephemeral one"
            ) from error
        sock.listen(16)
        sock.setblocking(False)
        listener = _Listener(sock, role)
        self._listeners.append(listener)
        self._selector.register(sock, selectors.EVENT_READ, listener)
        return listener

    def _open_pty(self, role: str) -> str:
        pty = PtyLink.open(role)
        self._ptys[role] = pty
        self._selector.register(pty.master, selectors.EVENT_READ, pty)
        return pty.path

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _run(self) -> None:
        last = time.monotonic()
        try:
            while not self._stopping:
                now = time.monotonic()
                if self.speed:
                    self._advance_bench((now - last) * self.speed)
                last = now
                for event_key, mask in self._selector.select(self._select_timeout()):
                    self._dispatch(event_key.data, mask)
                self._run_calls()
                self._run_timers()
        except Exception:
            log.exception("simulated-bench loop crashed")
        finally:
            self._close_all()

    def _select_timeout(self) -> float | None:
        timeout: float | None = _REALTIME_TICK if self.speed else None
        if self._timers:
            due = max(0.0, self._timers[0][0] - time.monotonic())
            timeout = due if timeout is None else min(timeout, due)
        return timeout

    def _advance_bench(self, seconds: float) -> None:
        if seconds > 0:
            try:
                self.world.bench.advance(seconds)
            except Exception as error:
                self._emulator_failed("bench", error)

    def _run_calls(self) -> None:
        with self._calls_lock:
            calls, self._calls = self._calls, []
        for call in calls:
            call()

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, action = heapq.heappop(self._timers)
            action()

    def _schedule(self, delay: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._sequence), action))

    def _dispatch(self, data: Any, mask: int) -> None:
        if data == "wake":
            with contextlib.suppress(OSError):
                self._wake_r.recv(4096)
        elif isinstance(data, _Listener):
            self._accept(data)
        elif isinstance(data, TcpLink):
            if mask & selectors.EVENT_READ:
                self._read_connection(data)
            if mask & selectors.EVENT_WRITE and not data.closed:
                self._flush_connection(data)
        elif isinstance(data, PtyLink):
            if mask & selectors.EVENT_READ:
                self._read_pty(data)
            if mask & selectors.EVENT_WRITE:
                self._flush_pty(data)

    def _accept(self, listener: _Listener) -> None:
        connection = TcpLink.accept(listener.sock, listener.role)
        if connection is None:
            return
        fault = self.faults[listener.role] if listener.role is not None else NO_FAULT
        if fault.kind == "disconnect" and not fault.once:
            connection.close()
            return
        self._connections.add(connection)
        self._selector.register(connection.sock, selectors.EVENT_READ, connection)

    def _read_connection(self, connection: TcpLink) -> None:
        data = connection.recv()
        if data is None:
            return
        if not data:
            self._close_connection(connection)
            return
        if connection.role is None:
            self._control_input(connection, data)
            return
        fault = self.faults[connection.role]
        if fault.kind == "disconnect":
            self._close_connection(connection)
            if fault.once:
                self.faults[connection.role] = NO_FAULT
            return
        self._deliver(
            connection.role, data, connection, lambda reply: self._send(connection, reply)
        )

    def _deliver(
        self, role: str, data: bytes, link: TcpLink | PtyLink, send: Callable[[bytes], None]
    ) -> None:
        """Hand input to the role's emulator and route its reply through the transport fault.

        ``link`` holds this client's partial input when the emulator can ``consume``.
        """
        fault = self.faults[role]
        if fault.kind in ("no_reply", "disconnect"):
            if fault.once:  # a pty has no connection: one lost command is the glitch
                self.faults[role] = NO_FAULT
            return
        emulator = self.world.emulators[role]
        consume: Callable[[bytes], tuple[bytes, bytes]] | None = getattr(emulator, "consume", None)
        try:
            if consume is None:
                reply = emulator.receive(data)
            else:
                reply, link.pending = consume(link.pending + data)
        except Exception as error:
            self._emulator_failed(role, error)
            return
        if not reply:
            return
        if fault.kind == "garbage":
            reply = self._garbage[role].replace(reply)
        if fault.kind == "slow_reply":
            self._schedule(fault.delay, lambda: send(reply))
        else:
            send(reply)

    def _emulator_failed(self, role: str, error: Exception) -> None:
        message = f"{role}: {type(error).__name__}: {error}"
        log.error("emulator error (bench keeps serving): %s", message, exc_info=error)
        self.emulator_errors.append(message)

    def _control_input(self, connection: TcpLink, data: bytes) -> None:
        connection.lines += data
        while b"\n" in connection.lines:
            raw, _, rest = connection.lines.partition(b"\n")
            connection.lines = bytearray(rest)
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                reply = self.control_handler(line)
            except Exception as error:
                self._emulator_failed("control", error)
                reply = '{"ok": false, "error": "internal error in the control endpoint"}'
            self._send(connection, reply.encode() + b"\n")
            if connection.closed:
                return

    def _send(self, connection: TcpLink, data: bytes) -> None:
        if connection.closed:
            return
        waiting = connection.send(data)
        if waiting is not False:  # all sent at once (the usual case): no selector change
            self._watch_connection(connection, waiting)

    def _flush_connection(self, connection: TcpLink) -> None:
        self._watch_connection(connection, connection.flush())

    def _watch_connection(self, connection: TcpLink, waiting: bool | None) -> None:
        """Follow a send/flush: close a broken link, ask for EVENT_WRITE only while output waits."""
        if waiting is None:
            self._close_connection(connection)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if waiting else 0)
        self._selector.modify(connection.sock, events, connection)

    def _close_connection(self, connection: TcpLink) -> None:
        if connection.closed:
            return
        self._connections.discard(connection)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(connection.sock)
        connection.close()

    def _read_pty(self, pty: PtyLink) -> None:
        data = pty.read()
        if data:
            self._deliver(pty.role, data, pty, lambda reply: self._send_pty(pty, reply))

    def _send_pty(self, pty: PtyLink, data: bytes) -> None:
        self._watch_pty(pty, pty.send(data))

    def _flush_pty(self, pty: PtyLink) -> None:
        self._watch_pty(pty, pty.flush())

    def _watch_pty(self, pty: PtyLink, waiting: bool) -> None:
        if pty.closed:
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if waiting else 0)
        self._selector.modify(pty.master, events, pty)

    def _close_all(self) -> None:
        if self._torn_down:
            return
        self._torn_down = True
        for connection in list(self._connections):
            self._close_connection(connection)
        for listener in self._listeners:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(listener.sock)
            listener.sock.close()
        self._listeners.clear()
        for pty in self._ptys.values():
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(pty.master)
            pty.close()
        self._ptys.clear()
        self._timers.clear()
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(self._wake_r)
        self._wake_r.close()
        self._wake_w.close()
        self._selector.close()
        self._closed = True
