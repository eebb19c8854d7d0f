"""The sync client's link against a service that dies in the middle of a reply.

A service killed after it sent its headers leaves a reply shorter than its ``Content-Length``
(``http.client.IncompleteRead``) or no status line at all: both are a dead link, to be retried
after the backoff like a refused connection, never a software error that ends the sync.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.sync import Backoff, Link, ServiceUnreachable, Target

TRUNCATED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 110\r\n\r\n{"
GOOD = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


@contextmanager
def service_answering(*replies: bytes) -> Iterator[str]:
    """A one-thread HTTP server on loopback that answers each connection with the next raw
    reply (empty: close without a word), then closes the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        for reply in replies:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                if reply:
                    connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("broken", [TRUNCATED, b""], ids=["short-body", "no-status-line"])
def test_a_reply_cut_short_is_retried_like_a_dead_link(broken: bytes) -> None:
    waits: list[float] = []
    with service_answering(broken, GOOD) as url:
        link = Link(Target(url, "t"), Backoff(attempts=3, first=0.01), sleep=waits.append)
        reply = link.call("GET", "/api/sync/ping")
    assert (reply.status, reply.body) == (200, {"ok": True})
    assert waits == [0.01]


def test_a_link_that_keeps_cutting_replies_leaves_the_run_pending() -> None:
    with service_answering(TRUNCATED, TRUNCATED) as url:
        link = Link(Target(url, "t"), Backoff(attempts=2, first=0.01), sleep=lambda _s: None)
        with pytest.raises(ServiceUnreachable, match="stays pending"):
            link.call("GET", "/api/sync/ping")
