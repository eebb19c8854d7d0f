"""One accepted TCP connection of the simulated bench: socket options, input and pending output.

The TCP counterpart of ``simulators.pty_link``: the loop in ``simulators.servers`` decides what
to do with bytes, this module only moves them. Speed matters here (DESIGN.md §4): an accepted
socket gets ``TCP_NODELAY``, and ``TCP_QUICKACK`` is re-armed after every ``recv`` (Linux clears
it again by itself), otherwise a client that writes a command and then a query waits about 40 ms
for the delayed ACK of the first segment.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field

_RECV_SIZE = 65536
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


@dataclass(eq=False)
class TcpLink:
    """One client connection; ``role`` is ``None`` for a control-endpoint connection."""

    sock: socket.socket
    role: str | None
    out: bytearray = field(default_factory=bytearray)
    """Output the socket could not take yet."""
    lines: bytearray = field(default_factory=bytearray)
    """Partial control-protocol line (control connections only)."""
    pending: bytes = b""
    """This connection's partial instrument input (see ``simulators.servers``)."""
    closed: bool = False

    @classmethod
    def accept(cls, listener: socket.socket, role: str | None) -> TcpLink | None:
        """Accept one pending client, non-blocking with ``TCP_NODELAY``; None if none waits."""
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return None
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, role)

    def recv(self) -> bytes | None:
        """What the client sent; ``None`` when nothing is there yet, ``b""`` when it hung up."""
        try:
            data = self.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return b""
        if data and _QUICKACK is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        return data

    def send(self, data: bytes) -> bool | None:
        """Write ``data`` or queue what the socket cannot take.

        True while output waits for the socket, False when all went out, None when the
        connection broke (the caller closes it).
        """
        if not self.out:
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                return None
            data = data[sent:]
            if not data:
                return False
        self.out += data
        return True

    def flush(self) -> bool | None:
        """Write queued output; the same three answers as :meth:`send`."""
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return None
        del self.out[:sent]
        return bool(self.out)

    def nodelay(self) -> int:
        return self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    def close(self) -> None:
        self.closed = True
        self.sock.close()
