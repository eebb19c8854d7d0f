"""The bare board's current-side items: self-consumption, over-current, short-circuit cut-off.

The source stands in for the cells on B+/B-, so everything the load draws on P+/P- comes from
it: a test is only as strong as the source. Where the station cannot do an item (the source
cannot deliver the current, reads no µA, the load has no short) the item is recorded as not
measured with the reason, never judged on readings that cannot show the limit.

Self-consumption: the ``DCSource`` role has no µA range, so the board's supply current is the
source's own readback (which also carries the multimeter's ~0.4 µA input current). It is
recorded with the resolution the station declares (``DiagnosisOptions.source_current_resolution``)
and judged only if that resolution is at most a quarter of the limit (4:1, the usual test
accuracy ratio); an undeclared resolution cannot be trusted to resolve microamps.
"""

from __future__ import annotations

from instruments.errors import SettingOutOfRange
from instruments.roles import DCSource
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.diagnosis.overcurrent import (
    DELAY_POLL,
    delay_level,
    ramp_to_trip,
    time_short,
    time_trip,
)
from procedures.diagnosis.skipped import covered_by, customer_text, record_not_measured
from procedures.diagnosis.timing import cut_time_limits, delay_limits, judge_delay
from procedures.diagnosis.vocabulary import Measured
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.phrases import say

ACCURACY_RATIO = 4.0
OC_START_FRACTION = 0.5
OC_TOP_FACTOR = 1.2
"""Ramp to 1.2x the upper trip tolerance: the source holds the cells at nominal voltage."""
SUPPLY_HEADROOM = Q_(0.2, "A")
SHORT_CURRENT_FACTOR = 1.2
"""Drive 1.2x the current that puts the short-detect voltage across the MOSFET pair."""

BOARD_OC = CategoricalMeasurement(
    "board_overcurrent_protection", ("tripped", "not_tripped"), passing=("tripped",)
)
BOARD_SC = CategoricalMeasurement(
    "board_short_circuit_protection", ("cut", "not_cut"), passing=("cut",)
)
OC_ITEMS = ("board_overcurrent_trip_current", "board_overcurrent_delay")


def self_consumption(
    ctx: StepContext, source: DCSource, ch: int, options: DiagnosisOptions
) -> None:
    """The source's current readback with the load off; judged only if it resolves the limit."""
    limit = ctx.spec.protection.self_consumption_max
    resolution = options.source_current_resolution
    reading = source.measure_current(ch)
    described = "not declared" if resolution is None else f"{resolution:~P}"
    readback = Measurement(
        "board_supply_current",
        "uA",
        description=f"source current readback, load off; resolution {described}",
    )
    ctx.measure(readback, reading, instrument=source)
    if resolution is None or resolution * ACCURACY_RATIO > limit:
        # the closed pack's self-discharge includes the board's drain: with it judged, the
        # board's own figure is a detail, not missing evidence
        cover = covered_by(ctx, Measured.SELF_DISCHARGE_RATE)
        values = {
            "resolution": described,
            "limit": f"{limit:~P}",
            "needed": f"{limit / ACCURACY_RATIO:~P}",
        }
        if cover is None:
            reason = say("skip.no_microamps", **values)
        else:
            reason = say("skip.no_microamps_covered", cover=cover, **values)
        record_not_measured(
            ctx, "board_self_consumption", reason, required=cover is None, instrument=source
        )
        return
    judged = Measurement("board_self_consumption", "uA", high=limit)
    ctx.measure(judged, reading, instrument=source)


def _supply(source: DCSource, ch: int, current: Quantity) -> str | None:
    """Let the source deliver ``current``; the refusal's text if it cannot.

    The text goes into a customer report, so the driver's resource string and its advice to
    the bench engineer are left out (``customer_text``).
    """
    try:
        source.set_over_current_protection(ch, current)
        source.set_current_limit(ch, current)
    except SettingOutOfRange as exc:
        return customer_text(str(exc))
    return None


def _covered(key: str, cover: str | None, **values: object) -> str:
    """``key``'s reason; with ``_covered`` added (and the cover named) when the pack's test
    shows the protection, which is why the board item the station cannot do is not missing."""
    if cover is None:
        return say(key, **values)
    return say(f"{key}_covered", cover=cover, **values)


def overcurrent(ctx: StepContext, source: DCSource, ch: int) -> None:
    """Trip current (load ramp) and delay (load step) with the cells held at nominal voltage."""
    p = ctx.spec.protection
    load = ctx.instruments.load
    trip, tolerance = p.overcurrent_trip, p.overcurrent_trip_tolerance
    top = (trip + tolerance) * OC_TOP_FACTOR
    refused = _supply(source, ch, top + SUPPLY_HEADROOM)
    if refused is not None:
        cover = covered_by(ctx, Measured.OVERCURRENT_TRIP_CURRENT, Measured.OVERCURRENT_PROTECTION)
        for name in OC_ITEMS:
            record_not_measured(
                ctx,
                name,
                _covered("skip.cannot_emulate", cover, current=f"{top:.2f~P}", refused=refused),
                required=cover is None,
                instrument=source,
            )
        return
    ramp = ramp_to_trip(load, ctx.clock, p, trip * OC_START_FRACTION, top)
    if ramp.tripped_at is None:
        ctx.measure(BOARD_OC, "not_tripped", instrument=load)
        ctx.measure(Measurement("board_overcurrent_max_tested", "A"), top, instrument=load)
        return
    ctx.measure(BOARD_OC, "tripped", instrument=load)
    limits = Measurement(
        "board_overcurrent_trip_current",
        "A",
        low=trip - tolerance,
        high=trip + tolerance,
        nominal=trip,
    )
    ctx.measure(limits, ramp.tripped_at, instrument=load)
    edge = time_trip(load, ctx.clock, p, delay_level(ramp.tripped_at, top), ramp.unloaded)
    if edge is None:
        cut = CategoricalMeasurement(
            "board_overcurrent_delay_cut", ("cut", "not_cut"), passing=("cut",)
        )
        ctx.measure(cut, "not_cut", instrument=load)
        return
    delay = delay_limits(
        "board_overcurrent_delay",
        p.overcurrent_delay,
        p.overcurrent_delay_tolerance,
        "ms",
        DELAY_POLL,
    )
    judge_delay(ctx, delay, edge, instrument=load)


def short_circuit(ctx: StepContext, source: DCSource, ch: int) -> None:
    """Load short on P+/P-: the output must be cut within ``short_circuit_delay_max``.

    Only meaningful if the source can push the short-detect voltage across the MOSFET pair;
    a bench source limited below that current makes the IC see an over-current (milliseconds)
    instead of a short (microseconds), which would fail a good board.
    """
    p = ctx.spec.protection
    load = ctx.instruments.load
    name = "board_short_circuit_cut_time"
    cover = covered_by(ctx, Measured.SHORT_CIRCUIT_CUT_TIME, Measured.SHORT_CIRCUIT_PROTECTION)
    if not load.supports_short:
        record_not_measured(
            ctx,
            name,
            _covered("skip.no_short_function", cover),
            required=cover is None,
            instrument=load,
        )
        return
    needed = p.short_circuit_detect_voltage / (2 * p.mosfet_on_resistance) * SHORT_CURRENT_FACTOR
    refused = _supply(source, ch, needed.to("A"))
    if refused is not None:
        record_not_measured(
            ctx,
            name,
            _covered(
                "skip.board_short_refused",
                cover,
                current=f"{needed.to('A'):.1f~P}",
                threshold=f"{p.short_circuit_detect_voltage:~P}",
                refused=refused,
            ),
            required=cover is None,
            instrument=source,
        )
        return
    edge = time_short(load, ctx.clock, p)
    ctx.measure(BOARD_SC, "cut" if edge is not None else "not_cut", instrument=load)
    if edge is not None:
        judge_delay(ctx, cut_time_limits(name, p), edge, instrument=load)
