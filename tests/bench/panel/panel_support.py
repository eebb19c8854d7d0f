"""The panel's web application on a loopback port, with a fake run or a real one."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from bench.panel.hub import EventHub

TOKEN = "test-token"


@dataclass
class LiveServer:
    url: str
    host: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Panel-Token": TOKEN}


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: FastAPI, sock: socket.socket, hub: EventHub) -> Iterator[LiveServer]:
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}/", f"127.0.0.1:{port}")
    finally:
        hub.close()
        server.should_exit = True
        thread.join(10)
        sock.close()


class EventReader:
    """An SSE client in a thread: every event it received, with the wall time of receipt."""

    def __init__(self, url: str) -> None:
        self.events: list[tuple[float, dict[str, Any]]] = []
        self._cond = threading.Condition()
        self._stop = False
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        assert self._connected.wait(10), "event stream did not open"

    def _read(self, url: str) -> None:
        with httpx.stream("GET", f"{url}events", timeout=None) as response:
            self._connected.set()
            for line in response.iter_lines():
                if self._stop:
                    return
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    with self._cond:
                        self.events.append((time.time(), event))
                        self._cond.notify_all()

    def wait_for(self, kind: str, count: int = 1, timeout: float = 20) -> dict[str, Any]:
        """The ``count``-th event of type ``kind`` (waiting for it)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for _, e in self.events if e["type"] == kind]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                assert left > 0, f"no {kind} #{count}; got {[e['type'] for _, e in self.events]}"
                self._cond.wait(left)

    def types(self) -> list[str]:
        with self._cond:
            return [e["type"] for _, e in self.events]

    def close(self) -> None:
        self._stop = True
