"""A tiny stdlib SMTP server on 127.0.0.1 for the service's notification tests.

Just enough of RFC 5321 for ``smtplib``: EHLO/HELO, MAIL, RCPT, DATA, QUIT. It keeps what it
received, so a test can read the mail the service's ``smtp`` channel really sent over a socket.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SmtpSink = self.server  # type: ignore[assignment]
        self.reply("220 sink ESMTP")
        sender, rcpts = "", []
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-sink\r\n250 8BITMIME")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].split()[0].strip("<>")
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                with server.lock:
                    server.received.append((sender, list(rcpts), bytes(data)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received: list[tuple[str, list[str], bytes]] = []

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """Serving until the block ends; the thread is joined and the socket closed on exit."""
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, name="smtp-sink", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
