"""An abort pressed somewhere other than the run's terminal (the operator panel's button).

Ctrl-C reaches a run as a signal, which Python delivers only to the main thread; a button on a
web page arrives in the server's thread. Both must end in the same place: the step is stopped as
*aborted*, the engine asks every instrument for its safe state (``procedures.engine
.make_safe_all``) and the station is closed (every instrument's ``close`` makes it safe). The
switch gets the request into the run where the run waits: the engine's ``abort_event`` (checked
at each step boundary and measurement), every clock wait (a recharge spends its time sleeping
between samples: a 60 s sample interval must not delay an abort by a minute), and the prompts
(``bench.panel.prompts`` asks ``tripped`` while it waits for an answer).
"""

from __future__ import annotations

import threading

from bench.simulated import PacedClock
from procedures.clock import Clock, RealClock
from procedures.errors import AbortRequested


class AbortSwitch:
    """Tripped once with a reason; every event attached to it is set at that moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[threading.Event] = []
        self._tripped = threading.Event()
        self.reason = ""

    @property
    def tripped(self) -> bool:
        return self._tripped.is_set()

    def attach(self, event: threading.Event) -> None:
        """Set ``event`` when the switch trips (at once if it already has)."""
        with self._lock:
            self._events.append(event)
            if self._tripped.is_set():
                event.set()

    def trip(self, reason: str) -> None:
        with self._lock:
            if self._tripped.is_set():
                return
            self.reason = reason
            self._tripped.set()
            for event in self._events:
                event.set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` (wall time); ``True`` as soon as the switch is tripped."""
        return self._tripped.wait(max(0.0, seconds))

    def check(self) -> None:
        """Raise ``AbortRequested`` (the run ends *aborted*, bench made safe) once tripped."""
        if self.tripped:
            raise AbortRequested(self.reason)


class AbortableClock:
    """A run's clock whose waits end early, raising ``AbortRequested``, once ``switch`` trips.

    Wall-time waits (the real clock, the paced part of a simulated one) wait on the switch
    itself, so the abort lands within milliseconds; a purely virtual wait (an unpaced simulator
    jumps) is checked before and after.
    """

    def __init__(self, inner: Clock, switch: AbortSwitch) -> None:
        self.inner = inner
        self.switch = switch

    def now(self) -> float:
        return self.inner.now()

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self.switch.check()
        inner = self.inner
        if isinstance(inner, RealClock):
            if not seconds >= 0.0 or seconds == float("inf"):
                inner.sleep(seconds)  # the real clock's own refusal of a bad wait
            self.switch.wait(seconds)
        elif isinstance(inner, PacedClock):
            self.switch.wait(max(0.0, seconds) / inner.speed)
            self.switch.check()
            inner.inner.sleep(seconds)
        else:
            inner.sleep(seconds)
        self.switch.check()
