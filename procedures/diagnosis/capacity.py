"""Capacity judged: how much charge the pack holds, against the spec's state-of-health shares.

Two ways to know it (battery-domain §6.5, §6.7 "High-IR aged cell ... lower capacity"):

* the charge a complete CC-CV puts in from the under-voltage release: the cells start at about
  0 % there and the charge ends at the taper current, so what went in is the capacity (within
  the 1-2 % the CV end leaves). Any other start (a pack at half charge) says nothing about the
  capacity, and is recorded as not measured with that reason, never judged;
* the optional discharge capacity check (``DiagnosisOptions.discharge_capacity_check``), on a
  station with an electronic load: after a full recharge, discharge at 0.5C to the cells'
  cut-off, integrate, and recharge the pack so the later tests see a full pack again.

Both are judged with the same limits: below ``health.capacity_warn_share`` of the rated capacity
marginal, below ``health.capacity_min_share`` fail. A low capacity is a worn cell even when
another fault explains the complaint (the rules cite it as such).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from instruments.roles import LoadMode
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.skipped import record_not_measured
from procedures.diagnosis.vocabulary import Measured
from procedures.errors import AbortRun
from procedures.measurements import Measurement
from procedures.phrases import say
from procedures.specs import PackSpec

CHARGE_CAPACITY = "charge_capacity"
DISCHARGE_CAPACITY = "discharge_capacity"
DISCHARGE_TIME_FACTOR = 1.25
"""Give up a discharge after 1.25x the time the rated capacity lasts at the discharge current."""


def capacity_limits(name: str, spec: PackSpec, description: str) -> Measurement:
    """``name`` in mAh against the spec's state-of-health shares of the rated capacity."""
    rated = spec.capacity
    return Measurement(
        name,
        "mAh",
        low=rated * spec.health.capacity_min_share,
        marginal_low=rated * spec.health.capacity_warn_share,
        nominal=rated,
        description=description,
    )


def judge_charge_capacity(ctx: StepContext, charged: Quantity, wake: str, end: str) -> None:
    """Judge the recharge's input as capacity when it was a complete CC-CV from the UV release."""
    if wake == "no_response":
        return  # no charge flowed: nothing to say about capacity
    if wake == "under_voltage" and end == "taper":
        limits = capacity_limits(
            CHARGE_CAPACITY,
            ctx.spec,
            "charge put in by a complete CC-CV from the under-voltage release",
        )
        ctx.measure(limits, charged)
        return
    if wake != "under_voltage":
        why = say("skip.capacity_wake", wake=wake)
    else:
        why = say("skip.capacity_end", end=end)
    record_not_measured(ctx, CHARGE_CAPACITY, why)


def make_capacity_check(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    def capacity_check(ctx: StepContext) -> None:
        """Discharge at 0.5C to the cut-off (capacity), then recharge the pack fully."""
        if not ctx.instruments.has("load"):
            record_not_measured(
                ctx,
                DISCHARGE_CAPACITY,
                say("skip.no_load"),
            )
            return
        end = ctx.measurement("charge_end").text_value if ctx.has("charge_end") else None
        if end != "taper":
            record_not_measured(
                ctx,
                DISCHARGE_CAPACITY,
                say("skip.not_full", end=end),
            )
            return
        fixtures.move_to("pack")
        discharged = discharge(ctx, options)
        limits = capacity_limits(
            DISCHARGE_CAPACITY, ctx.spec, "0.5C discharge from full to the cells' cut-off"
        )
        ctx.measure(limits, discharged, instrument=ctx.instruments.load)
        recharge(ctx, options)

    return capacity_check


def discharge(ctx: StepContext, options: DiagnosisOptions) -> Quantity:
    """CC at the spec's 0.5C current until the cut-off, the board cuts, or the time runs out."""
    spec = ctx.spec
    load = ctx.instruments.load
    clock = ctx.clock
    current = spec.charge.current
    cutoff = (spec.cell.discharge_cutoff * spec.product.series).m_as("V")
    limit_s = (spec.capacity / current).m_as("s") * DISCHARGE_TIME_FACTOR
    interval = options.sample_interval.m_as("s")
    times: list[float] = []
    volts: list[float] = []
    amps: list[float] = []
    elapsed = 0.0
    try:
        load.input_off()
        load.set_mode(LoadMode.CC)
        load.set_level(current)
        load.input_on()
        while True:
            clock.sleep(interval)
            elapsed += interval
            reading = load.measure()
            times.append(elapsed)
            volts.append(reading.voltage.m_as("V"))
            amps.append(reading.current.m_as("A"))
            ctx.progress(min(elapsed / limit_s, 1.0), elapsed_s=elapsed, voltage=reading.voltage)
            if volts[-1] <= cutoff or elapsed >= limit_s:
                break
    finally:
        load.input_off()
        if times:
            ctx.record_trace("discharge", times, {"voltage": (volts, "V"), "current": (amps, "A")})
    return Q_(_integral(times, amps, start=current.m_as("A")) / 3600.0, "A*h")


def recharge(ctx: StepContext, options: DiagnosisOptions) -> None:
    """CC-CV back to full after the discharge: the later tests expect a charged pack."""
    spec = ctx.spec
    charge = spec.charge
    source = ctx.instruments.source
    dmm = ctx.instruments.multimeter
    ch = options.source_channel
    clock = ctx.clock
    abort_voltage = charge.voltage + options.abort_voltage_margin
    interval = options.sample_interval.m_as("s")
    limit_s = charge.max_time.m_as("s")
    times: list[float] = []
    amps: list[float] = []
    elapsed = 0.0
    try:
        source.output_off(ch)
        source.set_over_voltage_protection(ch, charge.voltage + options.over_voltage_margin)
        source.set_over_current_protection(
            ch, charge.current * (1 + options.current_tolerance) + Q_(0.05, "A")
        )
        source.set_voltage(ch, charge.voltage)
        source.set_current_limit(ch, charge.current)
        source.output_on(ch)
        while elapsed < limit_s:
            clock.sleep(interval)
            elapsed += interval
            voltage = dmm.dc_voltage()
            current = source.measure_current(ch)
            times.append(elapsed)
            amps.append(current.m_as("A"))
            if voltage > abort_voltage:
                raise AbortRun(
                    f"terminal {voltage:.3f~P} above the abort limit {abort_voltage:~P} while "
                    "recharging after the capacity discharge"
                )
            if current < charge.taper_current:
                break
    finally:
        source.output_off(ch)
    charged = Q_(_integral(times, amps) / 3600.0, "A*h")
    ctx.measure(Measurement("recharge_after_discharge", "mAh"), charged, instrument=source)


def _integral(times: list[float], amps: list[float], start: float | None = None) -> float:
    """Ampere-seconds by the trapezoid rule, from t = 0 (at ``start`` amps, if given)."""
    t = np.asarray(([0.0] if start is not None else []) + times)
    i = np.asarray(([start] if start is not None else []) + amps)
    if len(t) < 2:
        return 0.0
    return float(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t)))


CHECK_MEASURES = (
    Declared(Measured.DISCHARGE_CAPACITY, "mAh"),
    Declared("recharge_after_discharge", "mAh"),
)
"""What the optional discharge capacity check measures (a branch may leave either out)."""
