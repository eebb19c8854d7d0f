"""The line-based SCPI instrument: input buffering, message execution, error queue, status.

Model emulators subclass ``ScpiEmulator`` and register their commands on ``self.tree`` in
``register()``; everything IEEE 488.2 and SCPI-99 say about messages lives here once, so every
model splits ``;``-compound messages, keeps the header path and reports errors the same way.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable

from simulators.scpi.errors import (
    ESR_CME,
    ESR_DDE,
    ESR_OPC,
    ESR_PON,
    MESSAGES,
    ScpiError,
)
from simulators.scpi.params import Params, split_params
from simulators.scpi.tree import Call, CommandTree, Handler, Node

_HEADER = re.compile(r"^(:?)([A-Za-z_*][A-Za-z0-9_:]*)(\??)$")
#: A single message longer than this is refused (real input buffers are a few kB).
MAX_LINE = 65536


def reply(value: Callable[[], str]) -> Handler:
    """A query handler that takes no parameters and answers ``value()``."""

    def handler(call: Call) -> str:
        call.params.expect(0)
        return value()

    return handler


def accept(action: Callable[[], object] | None = None) -> Handler:
    """A set handler for a parameterless command (``SYST:BEEP``, ``*WAI``)."""

    def handler(call: Call) -> None:
        call.params.expect(0)
        if action is not None:
            action()

    return handler


def flag(target: object, name: str, on: str = "1", off: str = "0") -> tuple[Handler, Handler]:
    """Set and query handlers for a boolean attribute of ``target`` (``ON|OFF|1|0``)."""

    def setter(call: Call) -> None:
        call.params.expect(1)
        setattr(target, name, call.params.boolean(0))

    def getter(call: Call) -> str:
        call.params.expect(0)
        return on if getattr(target, name) else off

    return setter, getter


def split_units(line: str) -> list[str]:
    """Split a program message on ``;`` outside quoted strings."""
    units: list[str] = []
    quote = ""
    start = 0
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ";":
            units.append(line[start:i])
            start = i + 1
    units.append(line[start:])
    return units


class ScpiEmulator:
    """Base of the SCPI emulators: bytes in, replies out, errors into a 20-deep FIFO queue."""

    role: str = ""
    model: str = ""
    #: ``+0,"No error"`` (Keysight) or ``0,"No error"`` (Rigol).
    signed_error_codes: bool = True
    error_queue_depth: int = 20
    reply_terminator: bytes = b"\n"
    self_test_reply: str = "+0"
    options_reply: str = "0"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.tree = CommandTree()
        self.errors: deque[tuple[int, str]] = deque()
        self.esr = ESR_PON
        self.ese = 0
        self.sre = 0
        self.internal_errors: list[BaseException] = []
        """Python exceptions raised by handlers: a bug in the emulator, never in the client."""
        self._buffer = b""
        self._path: Node = self.tree.root
        self._register_common()
        self.register()

    # -- to override --------------------------------------------------------------------------
    def register(self) -> None:
        """Add the model's commands to ``self.tree``."""

    def identity(self) -> str:
        raise NotImplementedError

    def reset(self) -> None:
        """``*RST``: the model's power-on settings."""

    def trigger(self) -> None:
        """``*TRG``: models with a bus trigger override this."""
        raise ScpiError(-200, "no bus trigger on this model")

    def decorate_reply(self, header: str, reply: str | None) -> str | None:
        """Hook for instruments that echo the header before a query reply (Hioki HEADer ON)."""
        return reply

    # -- bytes in, bytes out ------------------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        """Input from the one default client (tests, single-link use); see ``consume``."""
        self._buffer += data
        reply, self._buffer = self.consume(self._buffer)
        return reply

    def consume(self, pending: bytes) -> tuple[bytes, bytes]:
        """Run every complete message in ``pending``; return the replies and the unused rest.

        The server keeps ``pending`` per connection, so two clients of one instrument cannot
        splice their half-sent lines into one message; the instrument's settings, error queue and
        status stay shared, as on a real instrument with several LAN sessions.
        """
        replies: list[bytes] = []
        while b"\n" in pending:
            raw, pending = pending.split(b"\n", 1)
            reply = self.execute(raw.decode("latin-1").rstrip("\r"))
            if reply is not None:
                replies.append(reply.encode("latin-1", "replace") + self.reply_terminator)
        if len(pending) > MAX_LINE:
            pending = b""
            self.report(ScpiError(-102, "message too long"))
        return b"".join(replies), pending

    def execute(self, line: str) -> str | None:
        """Run one program message; the joined replies of its queries, or None when silent."""
        self._path = self.tree.root
        replies: list[str] = []
        for unit in split_units(line):
            if not unit.strip():
                continue
            try:
                reply = self._execute_unit(unit.strip())
            except ScpiError as error:
                self.report(error)
                if error.is_command_error:
                    break
                continue
            except Exception as bug:  # a handler bug must not take the server down
                self.internal_errors.append(bug)
                self.report(ScpiError(-300, repr(bug)))
                continue
            if reply is not None:
                replies.append(reply)
        return ";".join(replies) if replies else None

    def _execute_unit(self, unit: str) -> str | None:
        header, _, rest = unit.partition(" ")
        if "\t" in header:
            header, _, more = header.partition("\t")
            rest = more + " " + rest
        match = _HEADER.match(header)
        if match is None:
            raise ScpiError(-102, f"header {header!r}")
        rooted, body, question = match.groups()
        is_query = question == "?"
        params = Params(split_params(rest))
        if body.startswith("*"):
            command = self.tree.common.get(body.upper())
            if command is None or rooted:
                raise ScpiError(-113, f"common command {body!r}")
            handler = command.query if is_query else command.set
            if handler is None:
                raise ScpiError(-113, f"{body}{question}")
            return handler(Call(params, (), body.upper()))
        words = body.split(":")
        start = self.tree.root if rooted else self._path
        node, parent, suffixes = self.tree.resolve(words, start)
        self._path = parent
        command = node.command
        assert command is not None
        handler = command.query if is_query else command.set
        if handler is None:
            raise ScpiError(-113, f"{body}{question} has no {'query' if is_query else 'set'} form")
        result = handler(Call(params, suffixes, command.long_header))
        return self.decorate_reply(command.long_header, result) if is_query else None

    # -- errors and status --------------------------------------------------------------------
    def report(self, error: ScpiError) -> None:
        """Queue the error (the newest is replaced by -350 once the queue is full)."""
        self.esr |= error.esr_bit
        entry = (error.code, error.message)
        if len(self.errors) >= self.error_queue_depth:
            self.errors[-1] = (-350, MESSAGES[-350])
            self.esr |= ESR_DDE
        else:
            self.errors.append(entry)

    def format_error(self, code: int, message: str) -> str:
        number = f"{code:+d}" if self.signed_error_codes else str(code)
        return f'{number},"{message}"'

    def next_error(self) -> str:
        code, message = self.errors.popleft() if self.errors else (0, MESSAGES[0])
        return self.format_error(code, message)

    def status_byte(self) -> int:
        stb = 4 if self.errors else 0
        if self.esr & self.ese:
            stb |= 32
        if stb & self.sre:
            stb |= 64
        return stb

    def _register_common(self) -> None:
        t = self.tree

        def idn(call: Call) -> str:
            call.params.expect(0)
            return self.identity()

        def rst(call: Call) -> None:
            call.params.expect(0)
            self.reset()

        def cls(call: Call) -> None:
            call.params.expect(0)
            self.errors.clear()
            self.esr = 0

        def opc(call: Call) -> None:
            call.params.expect(0)
            self.esr |= ESR_OPC

        def opc_query(call: Call) -> str:
            call.params.expect(0)
            return "1"

        def esr_query(call: Call) -> str:
            call.params.expect(0)
            value, self.esr = self.esr, 0
            return str(value)

        def set_ese(call: Call) -> None:
            call.params.expect(1)
            self.ese = int(call.params.number(0, minimum=0, maximum=255))

        def set_sre(call: Call) -> None:
            call.params.expect(1)
            self.sre = int(call.params.number(0, minimum=0, maximum=255)) & ~64

        def trg(call: Call) -> None:
            call.params.expect(0)
            self.trigger()

        t.add("*IDN", query=idn)
        t.add("*RST", set=rst)
        t.add("*CLS", set=cls)
        t.add("*OPC", set=opc, query=opc_query)
        t.add("*ESR", query=esr_query)
        t.add("*ESE", set=set_ese, query=reply(lambda: str(self.ese)))
        t.add("*SRE", set=set_sre, query=reply(lambda: str(self.sre)))
        t.add("*STB", query=reply(lambda: str(self.status_byte())))
        t.add("*TST", query=reply(lambda: self.self_test_reply))
        t.add("*OPT", query=reply(lambda: self.options_reply))
        t.add("*WAI", set=accept())
        t.add("*TRG", set=trg)

    def add_error_query(self, pattern: str = "SYSTem:ERRor[:NEXT]") -> None:
        self.tree.add(pattern, query=reply(self.next_error))


__all__ = ["ESR_CME", "ScpiEmulator", "accept", "flag", "reply", "split_units"]
