"""Every event of the current run, fanned out to each page watching it.

The run publishes from its own thread; each page's server-sent-event stream reads from an
asyncio queue on the server's event loop, so ``publish`` hands the event over with
``call_soon_threadsafe`` and never waits for a slow page. A page opened in the middle of a run
(a second tab, a phone) first receives the run's events so far (``backlog``), so every watcher
sees the same step list and plot.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

Event = dict[str, Any]
HISTORY_LIMIT = 20_000
"""Events kept for late watchers; past it the oldest progress samples are thinned out."""
RUN_START = "run_started"
CLOSED = "closed"
"""The last event of every stream: the panel is stopping (the page then tries to reconnect)."""


class Publisher(Protocol):
    """Where a run's events go: this process's hub, or a panel in another (``publish``)."""

    def publish(self, event_type: str, /, **fields: Any) -> Event: ...


@dataclass(eq=False)
class Subscriber:
    """One watching page: its queue on the server's event loop."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)

    def put(self, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the page's loop is closed: nobody to tell
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)


class EventHub:
    """Numbered, time-stamped events of the run; the backlog restarts with each run."""

    def __init__(self, history_limit: int = HISTORY_LIMIT) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()
        self._history: list[Event] = []
        self._limit = history_limit
        self._seq = 0

    def publish(self, event_type: str, /, **fields: Any) -> Event:
        """Send ``{"type": event_type, **fields, "seq", "sent_at"}`` to every watcher."""
        with self._lock:
            self._seq += 1
            sent = time.time()
            event: Event = {"type": event_type, **fields, "seq": self._seq, "sent_at": sent}
            if event_type == RUN_START:
                self._history = []
            self._history.append(event)
            if len(self._history) > self._limit:
                self._thin()
            # handed over under the lock: two publishers (the run, an abort request) must reach
            # every watcher in the same order; the hand-over itself never waits
            for watcher in self._subscribers:
                watcher.put(event)
        return event

    def _thin(self) -> None:
        """Drop every second progress sample of the older half (the plot keeps its shape)."""
        half = len(self._history) // 2
        older = [
            e for i, e in enumerate(self._history[:half]) if e["type"] != "progress" or i % 2 == 0
        ]
        self._history = older + self._history[half:]

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> tuple[Subscriber, list[Event]]:
        """A new watcher and the run's events so far (sent before anything newer)."""
        watcher = Subscriber(loop)
        with self._lock:
            self._subscribers.add(watcher)
            return watcher, list(self._history)

    def unsubscribe(self, watcher: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(watcher)

    def close(self) -> None:
        """End every watcher's stream (the server then stops without waiting for pages)."""
        with self._lock:
            watchers = list(self._subscribers)
        for watcher in watchers:
            watcher.put({"type": CLOSED, "seq": 0, "sent_at": time.time()})

    @property
    def watchers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def backlog(self) -> list[Event]:
        with self._lock:
            return list(self._history)
