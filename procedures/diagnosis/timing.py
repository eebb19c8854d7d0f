"""Timing a protection's reaction with the procedure's clock, and judging it honestly.

A board tester steps the stimulus across the threshold and times the output's edge
(battery-domain §5.3). Here the edge is watched by polling an instrument between clock sleeps of
``step_s``: under simulation the clock is virtual, so the poll period is exactly ``step_s`` and
costs no wall time; on a real bench each poll also waits for the instrument, so the period
actually achieved is measured (elapsed / polls) and the delay is judged only when that period
resolves the limit band. Otherwise the delay is recorded as not measured, with the reason, rather
than blaming a good board for a slow station. Such a gap is optional evidence (docs/verdicts.md):
the protection's cut itself was seen and recorded; only its timing is unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from instruments.roles import Instrument
from instruments.units import Q_, Quantity
from procedures.clock import Clock
from procedures.context import StepContext
from procedures.diagnosis.skipped import record_not_measured
from procedures.measurements import Measurement
from procedures.phrases import say
from procedures.specs import ProtectionSpec

RESOLVE_FRACTION = 0.5
"""The poll period must be at most this fraction of the limit band (or of the high limit)."""


@dataclass(frozen=True, slots=True)
class Edge:
    """When the watched change was first seen after the stimulus, and how finely it was seen."""

    elapsed_s: float
    period_s: float
    """Mean poll period achieved: the true edge lies within one period before ``elapsed_s``."""


def time_edge(
    clock: Clock,
    step_s: float,
    window_s: float,
    changed: Callable[[], bool],
    *,
    quiet_s: float = 0.0,
) -> Edge | None:
    """Poll ``changed`` every ``step_s`` from now; the first time it holds, or ``None``.

    The caller applies the stimulus immediately before calling, so "now" is the stimulus.
    ``quiet_s``: one long wait first (below the shortest delay that passes) with a single look,
    so fine polling is spent only where the edge may come; an edge already there by then is
    returned with that whole wait as its period.
    """
    start = clock.monotonic()
    done = 0.0
    if quiet_s > 0.0:
        clock.sleep(quiet_s)
        done = quiet_s
        if changed():
            elapsed = clock.monotonic() - start
            return Edge(elapsed, elapsed)
    polls = max(1, math.ceil((window_s - done) / step_s - 1e-9))
    for k in range(1, polls + 1):
        clock.sleep(step_s)
        if changed():
            # Rounded to the nanosecond: a difference of two clock readings carries float
            # noise (500 µs read as 500.0000001 µs), which must not fail an edge on its limit.
            elapsed = round(clock.monotonic() - start, 9)
            return Edge(elapsed, (elapsed - done) / k)
    return None


def judge_delay(
    ctx: StepContext,
    limits: Measurement,
    edge: Edge,
    *,
    instrument: Instrument | None = None,
) -> None:
    """Record ``edge`` against ``limits`` where the poll period allows a verdict, else skip it.

    The true edge lies in ``(elapsed - period, elapsed]``. A verdict is given when that whole
    interval is on one side of every limit (a definite pass or fail, however slow the polling),
    or when the period is at most ``RESOLVE_FRACTION`` of the limit band. ``limits`` must be in a
    time unit with a ``high`` limit.
    """
    bounds = limits.limits
    high = bounds.high
    if high is None:
        raise ValueError(f"delay measurement {limits.name!r} needs a high limit")
    low = bounds.low if bounds.low is not None else 0.0
    period = Q_(edge.period_s, "s").m_as(limits.unit)
    latest = Q_(edge.elapsed_s, "s").m_as(limits.unit)
    earliest = latest - period
    definite = latest < low or earliest > high or (earliest >= low and latest <= high)
    if not definite and period > RESOLVE_FRACTION * (high - low):
        record_not_measured(
            ctx,
            limits.name,
            say(
                "skip.cannot_resolve",
                band=f"{low:g}..{high:g} {limits.unit}",
                earliest=f"{earliest:.4g}",
                latest=f"{latest:.4g} {limits.unit}",
            ),
            instrument=instrument,
        )
        return
    ctx.measure(limits, Q_(edge.elapsed_s, "s"), instrument=instrument)


def delay_limits(
    name: str, nominal: Quantity, tolerance: Quantity, unit: str, step: Quantity
) -> Measurement:
    """``nominal ± tolerance``; the description states the poll step that timed it."""
    return Measurement(
        name,
        unit,
        low=nominal - tolerance,
        high=nominal + tolerance,
        nominal=nominal,
        description=f"time from stimulus to output change, polled every {step:~P}",
    )


def cut_time_limits(name: str, protection: ProtectionSpec) -> Measurement:
    """Short-circuit cut-off: anything up to the spec's ``short_circuit_delay_max`` passes."""
    return Measurement(
        name,
        "us",
        high=protection.short_circuit_delay_max,
        nominal=protection.short_circuit_delay,
        description="time from the short to the output cut",
    )
