"""Transport faults: what a flaky cable, a hung firmware or a dropped link look like on the wire.

They sit between the socket (or pseudo-terminal) and the emulator, so a driver's timeout, retry and
reconnect paths can be tested without the emulator knowing anything about them. Kinds:

``none``
    Pass-through.
``no_reply``
    Input is swallowed (not even given to the emulator): the client's read times out, as with a
    hung instrument or a broken receive line.
``slow_reply <seconds>``
    The emulator handles the command at once (so its state stays in order) but the reply is held
    back by that many *wall* seconds. The server schedules it on its loop: other instruments keep
    answering meanwhile.
``garbage``
    The emulator handles the command, but every reply it would have sent is replaced by seeded
    random bytes of the same length that no protocol accepts (a wrong baud rate looks like this).
    Line protocols keep the final ``\\n`` so the client's read returns and its parser must object.
``disconnect``
    On TCP: the next command closes the connection, and while the fault holds new connections are
    accepted and closed at once (the client sees a reset / EOF rather than a refused connect,
    because the listening port must stay the same for when the fault is cleared).
    On a pseudo-terminal there is no connection to drop: the line goes dead (as ``no_reply``).
``disconnect once``
    The next command on each open connection closes it, as above, but new connections are
    accepted: a cable re-plugged or a switch that recovered. The fault clears itself once a
    connection was dropped (on a pseudo-terminal: once one command was lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

FaultKind = Literal["none", "no_reply", "slow_reply", "garbage", "disconnect"]
FAULT_KINDS: tuple[FaultKind, ...] = ("none", "no_reply", "slow_reply", "garbage", "disconnect")
USAGE = "none | no_reply | slow_reply <seconds> | garbage | disconnect [once]"


class TransportFaultError(ValueError):
    """A transport fault given by name/argument that does not exist or makes no sense."""


@dataclass(frozen=True)
class TransportFault:
    kind: FaultKind = "none"
    delay: float = 0.0
    """Seconds of wall time a ``slow_reply`` holds each reply back."""
    once: bool = False
    """``disconnect once``: drop the link once, then accept connections again."""

    def describe(self) -> str:
        if self.kind == "slow_reply":
            return f"slow_reply {self.delay:g}"
        return f"{self.kind} once" if self.once else self.kind


NO_FAULT = TransportFault()


def parse_transport_fault(kind: str, argument: str | float | None = None) -> TransportFault:
    """Build a fault from the words of a control command (``slow_reply 0.5``)."""
    name = kind.strip().lower()
    if name not in FAULT_KINDS:
        raise TransportFaultError(f"unknown transport fault {kind!r}; valid: {USAGE}")
    if name == "slow_reply":
        if argument is None:
            raise TransportFaultError("slow_reply needs a delay in seconds, e.g. 'slow_reply 0.5'")
        try:
            delay = float(argument)
        except ValueError:
            raise TransportFaultError(
                f"slow_reply delay {argument!r} is not a number of seconds"
            ) from None
        if not 0.0 <= delay <= 3600.0:  # also refuses NaN
            raise TransportFaultError(f"slow_reply delay {delay!r} s must be in 0..3600 s")
        return TransportFault("slow_reply", delay)
    if name == "disconnect" and argument is not None:
        if str(argument).strip().lower() != "once":
            raise TransportFaultError(
                f"disconnect takes no argument or 'once' (got {argument!r}); valid: {USAGE}"
            )
        return TransportFault("disconnect", once=True)
    if argument is not None:
        raise TransportFaultError(f"transport fault {name!r} takes no argument (got {argument!r})")
    return TransportFault(name)


class GarbageSource:
    """Seeded junk bytes, so a test that sees garbage once sees the same garbage again."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def replace(self, reply: bytes) -> bytes:
        """Junk of the reply's length; a ``\\n`` terminator is kept so line reads return."""
        if not reply:
            return b""
        body_length = len(reply) - 1 if reply.endswith(b"\n") else len(reply)
        # Bytes 0x80-0xFF are never valid ASCII SCPI; a binary frame gets a wrong checksum below.
        junk = bytearray(
            self._rng.integers(0x80, 0x100, size=body_length, dtype=np.uint8).tobytes()
        )
        if len(junk) == 26:  # an IT8511-sized frame: make sure its checksum is wrong
            junk[25] = (sum(junk[:25]) + 1) % 256
        return bytes(junk) + (b"\n" if reply.endswith(b"\n") else b"")
