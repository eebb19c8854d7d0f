"""Discharge over-current and short on P+/P-: ramp to find the trip, step to time it, short.

Shared by the closed pack (cells behind the board) and the bare board (the source stands in for
the cells). The ramp holds each level for the IC's detection delay plus three tolerances, so the
level where the output collapses is the trip current within one ramp step. The delay is then
timed as a board tester does (battery-domain §5.3 item 4): from an unloaded, released board the
load steps to 1.2x the trip just found, and the clock polls the terminal until it collapses.
The load is off on every path out of each function.
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments.roles import ElectronicLoad, LoadMode, LoadReading
from instruments.units import Q_, Quantity
from procedures.clock import Clock
from procedures.diagnosis.timing import Edge, time_edge
from procedures.specs import ProtectionSpec

RAMP_STEP = Q_(0.1, "A")
COLLAPSE_FRACTION = 0.5
"""The output counts as cut once the terminal falls below half its unloaded voltage and the load
draws less than half its level (``output_cut``)."""
DELAY_STEP_FACTOR = 1.2
DELAY_POLL = Q_(1.0, "ms")
DELAY_WINDOW_FACTOR = 3.0
"""Watch for the trip up to this many times the spec's longest over-current delay."""
RELEASE_S = 0.5


@dataclass(frozen=True, slots=True)
class Ramp:
    """What the ramp saw: the unloaded voltage, and the trip level (``None``: never tripped)."""

    unloaded: Quantity
    tripped_at: Quantity | None


def output_cut(reading: LoadReading, unloaded: Quantity, level: Quantity) -> bool:
    """The board cut the output: the terminal collapsed *and* the current stopped.

    A terminal that sags while the load still draws its level is the cells' DC resistance at a
    high rate (a worn cell at several C sags by volts), not a protection: a cut leaves nothing
    to draw. Judged on the voltage alone, that sag read as an over-current trip even with the
    discharge FET shorted, where nothing can cut.
    """
    collapsed: bool = reading.voltage < unloaded * COLLAPSE_FRACTION
    stopped: bool = reading.current < level * COLLAPSE_FRACTION
    return collapsed and stopped


def ramp_hold_s(protection: ProtectionSpec) -> float:
    hold: float = (protection.overcurrent_delay + 3 * protection.overcurrent_delay_tolerance).m_as(
        "s"
    )
    return hold


def ramp_to_trip(
    load: ElectronicLoad, clock: Clock, protection: ProtectionSpec, start: Quantity, top: Quantity
) -> Ramp:
    """Raise the CC level from ``start`` to ``top`` until the output collapses."""
    hold = ramp_hold_s(protection)
    try:
        load.input_off()
        load.set_mode(LoadMode.CC)
        load.set_level(Q_(0.0, "A"))
        load.input_on()
        clock.sleep(hold)
        unloaded = load.measure().voltage
        level = start
        while level <= top:
            load.set_level(level)
            clock.sleep(hold)
            if output_cut(load.measure(), unloaded, level):
                return Ramp(unloaded, level)
            level = level + RAMP_STEP
        return Ramp(unloaded, None)
    finally:
        load.input_off()


def delay_level(tripped_at: Quantity, top: Quantity) -> Quantity:
    level: Quantity = min(tripped_at * DELAY_STEP_FACTOR, top)
    return level


def time_trip(
    load: ElectronicLoad,
    clock: Clock,
    protection: ProtectionSpec,
    level: Quantity,
    unloaded: Quantity,
) -> Edge | None:
    """Step the load from off to ``level`` and time the collapse of the terminal voltage.

    Starts with a release wait (load off), since the ramp left the board in over-current.
    """
    window = (protection.overcurrent_delay + protection.overcurrent_delay_tolerance).m_as("s")
    try:
        load.input_off()
        clock.sleep(RELEASE_S)
        load.set_level(level)
        load.input_on()
        return time_edge(
            clock,
            DELAY_POLL.m_as("s"),
            window * DELAY_WINDOW_FACTOR,
            lambda: output_cut(load.measure(), unloaded, level),
        )
    finally:
        load.input_off()


SHORT_POLLS_PER_LIMIT = 20
SHORT_WINDOW_FACTOR = 3.0
"""Watch the short for this many times the spec's longest cut-off delay."""
SHORT_CUT_CURRENT = Q_(0.1, "A")


def short_poll(protection: ProtectionSpec) -> Quantity:
    poll: Quantity = protection.short_circuit_delay_max / SHORT_POLLS_PER_LIMIT
    return poll


def time_short(load: ElectronicLoad, clock: Clock, protection: ProtectionSpec) -> Edge | None:
    """Short P+/P- with the load's short function and time until its current stops.

    The current is polled every 1/20 of ``short_circuit_delay_max``: under simulation that
    times the cut to the IC's microseconds; on a real bench the poll period is far longer and
    ``judge_delay`` then records the cut time as not measured (the cut itself still is).
    """
    limit = protection.short_circuit_delay_max
    try:
        load.set_short(True)
        load.input_on()
        return time_edge(
            clock,
            short_poll(protection).m_as("s"),
            (limit * SHORT_WINDOW_FACTOR).m_as("s"),
            lambda: load.measure().current < SHORT_CUT_CURRENT,
        )
    finally:
        try:
            load.set_short(False)
        finally:
            load.input_off()
