"""The pseudo-terminal of a serial instrument: its master side, raw mode, and pending output.

An RS-232 instrument (Hioki BT356x, ITECH IT8511) is also served on a pty, so pyserial and
pyvisa's ``ASRL`` resources reach it exactly as they reach a USB-serial adapter on a bench.

Why the server keeps its own handle on the slave side open: when the last client closes the
port, the master would otherwise read EIO (and poll as hung up) until someone opens it again.

Stale replies: a client that sends a query and closes without reading leaves the reply in the
slave's input queue, and a real serial line would hand it to the next client too. We do not try
to detect a new client opening the slave (Linux tells the master nothing about opens); instead
the new client discards it, as every pyserial ``Serial.open()`` does (``reset_input_buffer``),
and pyvisa's ``ASRL`` sessions go through pyserial. What the server itself still holds back
(output the master could not take yet) is dropped by ``discard_output`` on ``RESET``.
"""

from __future__ import annotations

import contextlib
import os
import termios
import tty
from dataclasses import dataclass, field

_READ_SIZE = 65536


@dataclass(eq=False)
class PtyLink:
    """One pty: ``master`` is served by the loop, ``path`` is what clients open."""

    role: str
    master: int
    slave: int
    path: str
    out: bytearray = field(default_factory=bytearray)
    """Replies the master could not take yet (the slave's input queue is full)."""
    pending: bytes = b""
    """Partial input of the line: a command split over several reads."""
    closed: bool = False

    @classmethod
    def open(cls, role: str) -> PtyLink:
        master, slave = os.openpty()
        tty.setraw(slave, termios.TCSANOW)
        os.set_blocking(master, False)
        return cls(role, master, slave, os.ttyname(slave))

    def read(self) -> bytes:
        """What the client sent since the last read (``b""`` when nothing or on EIO)."""
        try:
            return os.read(self.master, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:  # EIO: no slave open; cannot happen while we hold one, but stay alive
            return b""

    def send(self, data: bytes) -> bool:
        """Queue ``data`` and write what the master takes; True while output is still pending."""
        if self.closed:
            return False
        self.out += data
        return self.flush()

    def flush(self) -> bool:
        """Write pending output; True while some is still waiting for the client to read."""
        try:
            written = os.write(self.master, self.out)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError:
            self.out.clear()
            written = 0
        del self.out[:written]
        return bool(self.out)

    def discard_output(self) -> None:
        """Drop replies nobody read: pending here and queued in the slave's input."""
        self.out.clear()
        self.pending = b""
        with contextlib.suppress(termios.error):
            termios.tcflush(self.slave, termios.TCIFLUSH)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
