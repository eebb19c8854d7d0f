"""Throttling of failed logins and bad API tokens: a sliding window per key, in memory.

After ``limit`` failures within ``window`` seconds under one key (a client address, or the
account a login named) the key is refused with 429 and ``Retry-After`` until the oldest failure
leaves the window, whatever it presents, so guessing cannot go on behind a lucky hit. Only
failures count: a bench that authenticates correctly is never slowed.

The counts live in each worker process: with N uvicorn workers an address gets up to N times
``limit`` tries per window. That still turns a token search (2**256 tokens) from unbounded into a
handful per minute; docs/asvs.md records it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from service.errors import TooManyRequests

MAX_KEYS = 50_000
"""Beyond this many tracked keys the stalest are forgotten, so a spray of addresses cannot
exhaust memory (it can only forget its own older failures)."""


class Throttle:
    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.get(key, deque())
        while stamps and now - stamps[0] >= self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may try now."""
        with self._lock:
            now = self._clock()
            stamps = self._recent(key, now)
            if len(stamps) < self.limit:
                return None
            return max(1, math.ceil(self.window - (now - stamps[0])))

    def check(self, key: str, what: str) -> None:
        wait = self.retry_after(key)
        if wait is not None:
            raise TooManyRequests(
                f"too many failed {what}; wait {wait} s before trying again", wait
            )

    def fail(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            stamps = self._recent(key, now)
            stamps.append(now)
            self._failures.pop(key, None)
            self._failures[key] = stamps  # re-inserted: dict order is staleness order
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]


class Throttles:
    """The service's throttles: bad bearer tokens per address; failed logins per address and
    per account named in the login form."""

    def __init__(self, *, limit: int = 10, window: float = 300.0) -> None:
        self.tokens = Throttle(limit, window)
        self.login_address = Throttle(limit, window)
        self.login_account = Throttle(max(1, limit // 2), window)
