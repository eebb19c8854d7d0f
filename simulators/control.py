"""The control endpoint of a simulated bench: virtual time, faults and true state over TCP.

This protocol is the contract between a simulated bench and everything that is not an
instrument: the procedures' simulated clock advances time through it, tests read the true state
of the pack through it, reliability tests break the wire through it. It is deliberately a plain
line protocol, so ``nc 127.0.0.1 <port>`` is enough to drive a bench by hand.

Requests: one line of UTF-8 text, ``\\n``-terminated; the verb is case-insensitive, arguments are
separated by blanks. Replies: exactly one line holding one JSON object, always with ``"ok"``;
on ``"ok": false`` an ``"error"`` string names the problem and the valid choices. Replies are
strict JSON (RFC 8259), so any JSON parser reads them: a non-finite number in a state (an open
fuse's infinite resistance, an undefined ratio) is sent as the string ``"Infinity"``,
``"-Infinity"`` or ``"NaN"``; ``ControlClient`` turns exactly those strings back into floats.

=================================  ========================================================
request                            reply (besides ``"ok": true``)
=================================  ========================================================
``ADVANCE <seconds>``              ``"time"``: virtual time after moving the bench on
``TIME?``                          ``"time"``
``STATE?``                         ``"state"``: the bench's ``true_state()``
``FAULT <name>``                   ``"fault"``: applies a catalogue scenario, or a combination
                                   ``a+b``, to the bench; refused with the reason when the
                                   combination cannot exist or does not fit the pack
``FAULTS?``                        ``"faults"``: list of {name, description, symptom, ...}
``FIXTURE <pack|board|cell> [i]``  ``"fixture"``, ``"cell_index"``
``CELL <i> <volts>``                ``"cell_index"``, ``"voltage"``: puts series cell ``i`` at
                                   rest at that open-circuit voltage (a pack "at 3.0 V"
                                   without simulating how it got there)
``TRANSPORT <role> <fault> [arg]`` ``"role"``, ``"transport"``; fault is ``none``,
                                   ``no_reply``, ``slow_reply <s>``, ``garbage``, ``disconnect``
                                   or ``disconnect once`` (drops once, then accepts)
``TRANSPORT?``                     ``"transport"``: {role: fault}
``RESET``                          ``"time"``: bench and emulators rebuilt from the launch
                                   options (launch fault, fixture and seed; time 0), every
                                   transport fault cleared, connections kept
``SPEED <factor|OFF>``             ``"speed"``: virtual time also runs with the wall clock
                                   times ``factor`` (``OFF``/``0``: only ``ADVANCE`` moves it)
``SPEED?``                         ``"speed"`` (``null`` when off)
``INSTRUMENTS?``                   ``"instruments"``: {role: {model, port, pty}}
=================================  ========================================================
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import socket
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from simulators.servers import SimulatorServer
from simulators.transport_faults import USAGE, TransportFaultError, parse_transport_fault
from simulators.wiring import Bench

FIXTURES = ("pack", "board", "cell")
MAX_ADVANCE = 10 * 24 * 3600.0
"""Longest single ADVANCE (seconds): ten days covers any storage/self-discharge scenario."""


class ControlledBench(Bench, Protocol):
    """What the control endpoint needs beyond what emulators see (``simulators.fixtures``)."""

    def true_state(self) -> dict[str, Any]: ...

    def set_fixture(self, name: str, cell_index: int = 0) -> None: ...

    def apply_fault(self, name: str) -> None: ...

    def set_cell_state(
        self, index: int, *, soc: float | None = None, voltage: float | None = None
    ) -> None: ...


class ControlError(RuntimeError):
    """The control endpoint refused a command (its message names the fix) or did not answer."""


class _Refused(Exception):
    """A request the endpoint answers with ``ok: false``."""


def _to_json(value: Any) -> Any:
    """Make the bench's state serialisable without caring how engineer A spelled it."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


NON_FINITE: dict[str, float] = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}
"""How non-finite floats travel in strict JSON, and back (see the module docstring)."""


def _finite_json(value: Any) -> Any:
    """Replace non-finite floats by their string names, so the reply stays strict JSON.

    ``json.dumps`` would otherwise write bare ``Infinity``/``NaN``, which JavaScript, ``jq`` and
    most JSON libraries refuse.
    """
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number):
            return number
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [_finite_json(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _finite_json(dataclasses.asdict(value))
    return value


def _from_json(value: Any) -> Any:
    """Undo ``_finite_json``: the strings it writes become floats again."""
    if isinstance(value, str):
        return NON_FINITE.get(value, value)
    if isinstance(value, dict):
        return {key: _from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value


def _describe(scenario: Any, name: str) -> dict[str, Any]:
    fields = ("description", "symptom", "expected_root_cause", "expected_disposition")
    entry: dict[str, Any] = {"name": getattr(scenario, "name", name)}
    for attribute in fields:
        if hasattr(scenario, attribute):
            entry[attribute] = getattr(scenario, attribute)
    return entry


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _Refused(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise _Refused(f"{what} must be finite, got {text!r}")
    return value


class ControlProtocol:
    """Turns request lines into reply lines; runs on the server's loop thread."""

    def __init__(self, server: SimulatorServer, catalogue: Mapping[str, Any]) -> None:
        self._server = server
        self._catalogue = catalogue
        self._verbs: dict[str, Callable[[list[str]], dict[str, Any]]] = {
            "ADVANCE": self._advance,
            "TIME?": self._time,
            "STATE?": self._state,
            "FAULT": self._fault,
            "FAULTS?": self._faults,
            "FIXTURE": self._fixture,
            "CELL": self._cell,
            "TRANSPORT": self._transport,
            "TRANSPORT?": self._transports,
            "RESET": self._reset,
            "SPEED": self._speed,
            "SPEED?": self._speed_query,
            "INSTRUMENTS?": self._instruments,
        }

    @property
    def _bench(self) -> ControlledBench:
        bench: ControlledBench = self._server.world.bench  # type: ignore[assignment]
        return bench

    def handle_line(self, line: str) -> str:
        words = line.split()
        if not words:
            return json.dumps({"ok": False, "error": "empty command"})
        verb = words[0].upper()
        handler = self._verbs.get(verb)
        try:
            if handler is None:
                raise _Refused(f"unknown command {words[0]!r}; valid: {', '.join(self._verbs)}")
            reply = {"ok": True, **handler(words[1:])}
        except _Refused as refusal:
            reply = {"ok": False, "error": str(refusal)}
        except (ValueError, KeyError) as error:  # the bench's own validation
            reply = {"ok": False, "error": f"{verb}: {error}"}
        strict = _finite_json(reply)
        return json.dumps(strict, default=lambda v: _finite_json(_to_json(v)), allow_nan=False)

    @staticmethod
    def _arity(args: list[str], low: int, high: int, usage: str) -> None:
        if not low <= len(args) <= high:
            raise _Refused(f"usage: {usage}")

    def _advance(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 1, 1, "ADVANCE <seconds>")
        seconds = _number(args[0], "ADVANCE seconds")
        if not 0.0 <= seconds <= MAX_ADVANCE:
            raise _Refused(f"ADVANCE seconds must be in 0..{MAX_ADVANCE:g}, got {args[0]}")
        self._bench.advance(seconds)
        return {"time": self._bench.time}

    def _time(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "TIME?")
        return {"time": self._bench.time}

    def _state(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "STATE?")
        return {"state": self._bench.true_state()}

    def _fault(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 1, 1, "FAULT <name>")
        name = args[0]
        unknown = [
            part for part in name.split("+") if self._catalogue and part not in self._catalogue
        ]
        if unknown:
            raise _Refused(
                f"unknown fault {unknown[0]!r}; valid: {', '.join(sorted(self._catalogue))} "
                "(combine them with '+')"
            )
        try:
            self._bench.apply_fault(name)  # resolves a+b combinations; refuses what cannot be
        except ValueError as error:
            raise _Refused(str(error)) from None
        return {"fault": name}

    def _faults(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "FAULTS?")
        return {"faults": [_describe(s, n) for n, s in self._catalogue.items()]}

    def _fixture(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 1, 2, "FIXTURE <pack|board|cell> [cell_index]")
        name = args[0].lower()
        if name not in FIXTURES:
            raise _Refused(f"unknown fixture {args[0]!r}; valid: {', '.join(FIXTURES)}")
        index = 0
        if len(args) == 2:
            if not args[1].isdigit():
                raise _Refused(f"cell index {args[1]!r} must be a whole number >= 0")
            index = int(args[1])
        self._bench.set_fixture(name, index)
        return {"fixture": name, "cell_index": index}

    def _cell(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 2, 2, "CELL <cell_index> <volts>")
        if not args[0].isdigit():
            raise _Refused(f"cell index {args[0]!r} must be a whole number >= 0")
        index, volts = int(args[0]), _number(args[1], "CELL volts")
        series = len(self._bench.true_state()["pack"]["cells"])
        if index >= series:
            raise _Refused(f"cell index {index} out of range: the pack has cells 0..{series - 1}")
        if not 0.0 <= volts <= 5.0:
            raise _Refused(f"CELL volts must be in 0..5, got {args[1]}")
        self._bench.set_cell_state(index, voltage=volts)
        return {"cell_index": index, "voltage": volts}

    def _transport(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 2, 3, f"TRANSPORT <role> <{USAGE}>")
        role = args[0].lower()
        roles = self._server.faults
        if role not in roles:
            raise _Refused(f"unknown role {args[0]!r}; valid: {', '.join(roles)}")
        try:
            fault = parse_transport_fault(args[1], args[2] if len(args) == 3 else None)
        except TransportFaultError as error:
            raise _Refused(str(error)) from None
        self._server.set_transport_fault(role, fault)
        return {"role": role, "transport": fault.describe()}

    def _transports(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "TRANSPORT?")
        return {"transport": {r: f.describe() for r, f in self._server.faults.items()}}

    def _reset(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "RESET")
        self._server.reset_world()
        return {"time": self._bench.time}

    def _speed(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 1, 1, "SPEED <factor|OFF>")
        if args[0].upper() == "OFF":
            factor = 0.0
        else:
            factor = _number(args[0], "SPEED factor")
            if not 0.0 <= factor <= 1e6:
                raise _Refused(f"SPEED factor must be in 0..1e6 (0 or OFF: virtual), got {args[0]}")
        self._server.speed = factor or None
        return {"speed": self._server.speed}

    def _speed_query(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "SPEED?")
        return {"speed": self._server.speed}

    def _instruments(self, args: list[str]) -> dict[str, Any]:
        self._arity(args, 0, 0, "INSTRUMENTS?")
        return {
            "instruments": {
                role: {"model": i.model, "port": i.port, "pty": i.pty}
                for role, i in self._server.instruments.items()
            }
        }


class ControlClient:
    """Stdlib-only client of the control endpoint. ``address``: ``"host:port"`` or a tuple."""

    def __init__(self, address: str | tuple[str, int], *, timeout: float = 10.0) -> None:
        if isinstance(address, str):
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise ControlError(f"control address {address!r} must look like 127.0.0.1:5000")
            address = (host, int(port))
        self.address = address
        self._sock = socket.create_connection(address, timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def command(self, line: str) -> dict[str, Any]:
        """Send one request, return the decoded reply; raise ``ControlError`` on ``ok: false``."""
        self._sock.sendall(line.encode() + b"\n")
        while b"\n" not in self._buffer:
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise ControlError(
                    f"control endpoint {self.address} did not answer {line!r}"
                ) from None
            if not chunk:
                raise ControlError(f"control endpoint {self.address} closed the connection")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        reply: dict[str, Any] = _from_json(json.loads(raw))
        if not reply.get("ok"):
            raise ControlError(f"{line!r} refused: {reply.get('error', reply)}")
        return reply

    def advance(self, seconds: float) -> float:
        return float(self.command(f"ADVANCE {seconds!r}")["time"])

    def time(self) -> float:
        return float(self.command("TIME?")["time"])

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.command("STATE?")["state"]
        return state

    def fault(self, name: str) -> None:
        self.command(f"FAULT {name}")

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self.command("FAULTS?")["faults"]
        return faults

    def fixture(self, name: str, cell: int = 0) -> None:
        self.command(f"FIXTURE {name} {cell}")

    def cell_voltage(self, index: int, volts: float) -> None:
        """Put series cell ``index`` at rest at open-circuit voltage ``volts``."""
        self.command(f"CELL {index} {volts!r}")

    def transport(self, role: str, fault: str, arg: float | str | None = None) -> None:
        """``arg``: a ``slow_reply`` delay in seconds, or ``"once"`` for ``disconnect``."""
        self.command(f"TRANSPORT {role} {fault}" + ("" if arg is None else f" {arg}"))

    def reset(self) -> None:
        self.command("RESET")

    def speed(self, factor: float | None) -> None:
        self.command(f"SPEED {factor!r}" if factor else "SPEED OFF")

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
