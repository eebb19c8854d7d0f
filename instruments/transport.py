"""The transport interface every driver talks through.

Drivers never hold a pyvisa resource or a serial port themselves: one driver then works over
VISA, a serial line, a recording wrapper or a replayed transcript without a change.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Transport(Protocol):
    """A message-oriented link to one instrument.

    ``write``/``read``/``query`` deal in text messages without terminators (the transport adds and
    strips them). ``write_raw``/``read_raw`` move exact bytes for binary protocols (IT8511 frames).
    """

    @property
    def resource(self) -> str:
        """Where the instrument lives (resource string, device path or URL), for error messages."""
        ...

    @property
    def timeout(self) -> float:
        """Read timeout in seconds."""
        ...

    @timeout.setter
    def timeout(self, seconds: float) -> None: ...

    def write(self, message: str) -> None: ...

    def read(self) -> str: ...

    def query(self, message: str) -> str: ...

    def write_raw(self, data: bytes) -> None: ...

    def read_raw(self, size: int) -> bytes: ...

    def close(self) -> None: ...


@runtime_checkable
class Reconnectable(Protocol):
    """A transport that can drop its link and open the same instrument again.

    Optional: a replayed transcript has nothing to reconnect to. The safe-state path uses it,
    because an instrument whose link dropped keeps its output on until a new session says off.
    """

    def reopen(self) -> None:
        """Close and reopen the link with the same settings; ``TransportError`` if it fails."""
        ...


@runtime_checkable
class Drainable(Protocol):
    """A transport that can discard input waiting now (a late reply, line noise)."""

    def discard_input(self) -> None: ...
