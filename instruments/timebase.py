"""The clock an instrument driver waits on when it must wait on its own.

A driver waits by itself only where the instrument asks for it, e.g. the Hioki tester's settling
after its ranges change. On a real bench that is wall time. A procedure that runs on a
simulated bench's virtual time hands its clock to the instruments for the run
(``procedures.context.BenchInstruments.timed_by``): the simulator's time then advances by the
wait as it would at a bench, and no wall time is spent sleeping on an instrument that lives in
the same virtual world. (The diagnosis matrices slept 0.1 s of wall time per cell reading.)
"""

from __future__ import annotations

import time
from typing import Protocol


class Timebase(Protocol):
    """What a driver needs of a clock; ``procedures.clock.Clock`` is one."""

    def monotonic(self) -> float:
        """Seconds that never go backwards, for measuring how long ago something happened."""
        ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    """The host's own time: what every driver waits on unless a procedure says otherwise."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


WALL_CLOCK: Timebase = WallClock()
