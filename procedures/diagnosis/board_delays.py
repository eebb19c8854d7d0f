"""Over-charge and over-discharge DELAYS of the bare board, timed as a board tester does.

From a released board the source steps the emulated cells from the threshold - 0.2 V to the
threshold + 0.2 V (per cell; the IC datasheets' delay test, battery-domain §5.3) and the clock
watches the output: one look just before the shortest passing delay, then polls every 10 ms for
the over-charge delay (about a second) and every 1 ms for the over-discharge delay (about
150 ms), so each is resolved well inside its tolerance. A board whose output is not on before
the step cannot be timed: that is recorded, not guessed."""

from __future__ import annotations

from instruments.roles import DCSource, Multimeter
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.diagnosis.skipped import record_not_measured
from procedures.diagnosis.timing import delay_limits, judge_delay, time_edge
from procedures.measurements import CategoricalMeasurement
from procedures.phrases import say

STEP_ACROSS = Q_(0.2, "V")
"""Per cell, each side of the nominal threshold."""
OVERCHARGE_POLL = Q_(10.0, "ms")
OVERDISCHARGE_POLL = Q_(1.0, "ms")
ARM_S = 0.2
"""Settle at the start level before the step (longer than any release takes)."""
QUIET_POLLS = 5
"""Fine polling starts this many polls before the shortest passing delay."""
WINDOW_FACTOR = 2.0
"""Watch for the cut up to this many times the spec's longest delay."""
DIODE_MIN_DROP = 0.3
"""P+ lower than B+ by more than this: current passes a body diode, one FET is off."""


def output_passes(dmm: Multimeter, setpoint: float) -> bool:
    """Is the board passing the source straight through (both FETs on) at ``setpoint`` volts?"""
    volts: float = dmm.dc_voltage().m_as("V")
    return volts > setpoint - DIODE_MIN_DROP


def _time_cut(
    ctx: StepContext,
    source: DCSource,
    dmm: Multimeter,
    ch: int,
    name: str,
    threshold: Quantity,
    direction: float,
    nominal: Quantity,
    tolerance: Quantity,
    poll: Quantity,
) -> None:
    series = ctx.spec.product.series
    before = ((threshold - direction * STEP_ACROSS) * series).m_as("V")
    after = ((threshold + direction * STEP_ACROSS) * series).m_as("V")
    source.set_voltage(ch, Q_(before, "V"))
    ctx.clock.sleep(ARM_S)
    if not output_passes(dmm, before):
        record_not_measured(
            ctx,
            name,
            say("skip.no_output_to_time", voltage=f"{before:.3f}"),
            instrument=dmm,
        )
        return
    source.set_voltage(ch, Q_(after, "V"))
    window = ((nominal + tolerance) * WINDOW_FACTOR).m_as("s")
    quiet = max((nominal - tolerance - QUIET_POLLS * poll).m_as("s"), 0.0)
    edge = time_edge(
        ctx.clock,
        poll.m_as("s"),
        window,
        lambda: not output_passes(dmm, after),
        quiet_s=quiet,
    )
    if edge is None:
        cut = CategoricalMeasurement(f"{name}_cut", ("cut", "not_cut"), passing=("cut",))
        ctx.measure(cut, "not_cut", instrument=dmm)
        return
    unit = "s" if poll >= Q_(10.0, "ms") else "ms"
    judge_delay(ctx, delay_limits(name, nominal, tolerance, unit, poll), edge, instrument=dmm)


def overcharge_delay(ctx: StepContext, source: DCSource, dmm: Multimeter, ch: int) -> None:
    p = ctx.spec.protection
    _time_cut(
        ctx,
        source,
        dmm,
        ch,
        "board_overcharge_delay",
        p.overcharge_detect,
        1.0,
        p.overcharge_delay,
        p.overcharge_delay_tolerance,
        OVERCHARGE_POLL,
    )


def overdischarge_delay(ctx: StepContext, source: DCSource, dmm: Multimeter, ch: int) -> None:
    p = ctx.spec.protection
    _time_cut(
        ctx,
        source,
        dmm,
        ch,
        "board_overdischarge_delay",
        p.overdischarge_detect,
        -1.0,
        p.overdischarge_delay,
        p.overdischarge_delay_tolerance,
        OVERDISCHARGE_POLL,
    )
