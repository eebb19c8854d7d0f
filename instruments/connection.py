"""The part every driver shares with its transport: who it talks to, and ``close()`` written once.

Each driver used to repeat the same idempotent close (make safe, then release the port). Here it
is once: ``close`` reaches the safe state of any driver that is an ``Instrument`` (a bare
``ScpiInstrument`` has none), lets the model hand its front panel back (``_hand_back``), and
releases the transport even when either step fails, so a port is never left held.
"""

from __future__ import annotations

from instruments.roles import Instrument
from instruments.transport import Transport


class Connection:
    """A driver's transport and its closed flag; ``close`` is idempotent."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._closed = False

    @property
    def resource(self) -> str:
        return self.transport.resource

    @property
    def closed(self) -> bool:
        return self._closed

    def _hand_back(self) -> None:
        """After the safe state, before the port is released: models with a remote lock
        (IT8511) give the front panel back here. Nothing by default."""

    def close(self) -> None:
        """Make safe (for an ``Instrument``), hand back, release the transport. Idempotent.

        Marked closed first, so a failure inside cannot lead a second ``close`` to drive a
        half-released connection again; the transport is released whatever happened.
        """
        if self._closed:
            return
        self._closed = True
        try:
            if isinstance(self, Instrument):
                self.make_safe()
            self._hand_back()
        finally:
            self.transport.close()
