"""Step 4: the closed pack's tests: rest and self-discharge, 1 kHz resistance, over-current, short.

Over-current is judged on its trip current and on its delay (a load step to 1.2x the trip,
timed on the procedure's clock); the short on its cut-off time against the spec's maximum.
Over-charge and over-discharge are tested on the board fixture (``board_tests``): driving the
closed pack's cells past their limits to see the board act would damage good cells. The short
test runs only after the over-current test saw the board trip: a board that did not trip would
leave the fuse to stop the short (battery-domain §5), destroying the evidence.

The over-temperature abort (``temperature_watch``, discharge window) is armed before the load
first draws current and read after each energised test.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.errors import MeasurementFault, OverloadError
from instruments.roles import SampleRate
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.overcurrent import (
    DELAY_POLL,
    delay_level,
    ramp_to_trip,
    time_short,
    time_trip,
)
from procedures.diagnosis.skipped import record_not_measured
from procedures.diagnosis.temperature_watch import TemperatureWatch
from procedures.diagnosis.timing import cut_time_limits, delay_limits, judge_delay
from procedures.diagnosis.vocabulary import Conduction, Cut, Measured, OvercurrentResult
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.phrases import say
from procedures.specs import PackSpec

OC_START_FRACTION = 0.5
OC_END_FRACTION = 1.6
"""Ramp to 1.6x the spec trip current: a full pack's stronger gate drive raises the trip."""
RECOVERY_S = 0.5

PACK_PATH = CategoricalMeasurement(
    Measured.PACK_PATH, tuple(Conduction), passing=(Conduction.CLOSED,)
)
OC_RESULT = CategoricalMeasurement(
    Measured.OVERCURRENT_PROTECTION, tuple(OvercurrentResult), passing=(OvercurrentResult.TRIPPED,)
)
SC_RESULT = CategoricalMeasurement(
    Measured.SHORT_CIRCUIT_PROTECTION, tuple(Cut), passing=(Cut.CUT,)
)
"""A short that was not performed is recorded as skipped (required), never as an answer here."""
OC_DELAY_CUT = CategoricalMeasurement(
    Measured.OVERCURRENT_DELAY_CUT, tuple(Cut), passing=(Cut.CUT,)
)
"""Recorded only when the step above the trip level did not cut within the window."""
RECOVERED = Measurement("protection_recovery_voltage", "V")


def make_pack_tests(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    def pack_tests(ctx: StepContext) -> None:
        """Rest and self-discharge, pack resistance, discharge over-current and short circuit."""
        fixtures.move_to("pack")
        watch = TemperatureWatch(
            ctx, options, "pack_test_temperature", ctx.spec.max_discharge_temperature, "pack tests"
        )
        start = ctx.clock.monotonic()
        load = ctx.instruments.load

        def checkpoint() -> None:
            watch.check(ctx.clock.monotonic() - start, on_trip=load.input_off)

        rest_and_self_discharge(ctx, options)
        pack_resistance(ctx)
        watch.arm()
        tripped = overcurrent(ctx)
        checkpoint()
        short_circuit(ctx, tripped)
        checkpoint()
        watch.finish()

    return pack_tests


OCV_RISE_TOLERANCE = Q_(0.02, "V")
"""A rested pack's terminal never rises by itself more than this (relaxation after a charge
only lowers it): a larger rise means the first reading was taken through a protection."""


def rest_and_self_discharge(ctx: StepContext, options: DiagnosisOptions) -> None:
    """The pack's voltage loss over a rest, as a daily rate against the cells' datasheet loss.

    A terminal that *rose* over the rest was read at first through an open FET's body diode
    (a cell topped past its over-charge detection, and the board released once it sank below
    the release level): that pair of readings says nothing about self-discharge. The rest is
    then repeated from the released reading (``ocv_after_release``), so a cell that leaks is
    still judged instead of passing on a negative rate.
    """
    spec = ctx.spec
    dmm = ctx.instruments.multimeter
    ctx.clock.sleep(options.relax_rest.m_as("s"))
    first = dmm.dc_voltage()
    ctx.measure(Measurement("ocv_rested", "V"), first, instrument=dmm)
    ctx.clock.sleep(options.self_discharge_rest.m_as("s"))
    second = dmm.dc_voltage()
    ctx.measure(Measurement("ocv_after_rest", "V"), second, instrument=dmm)
    if second - first > OCV_RISE_TOLERANCE:
        first = second
        ctx.clock.sleep(options.self_discharge_rest.m_as("s"))
        second = dmm.dc_voltage()
        ctx.measure(
            Measurement(
                "ocv_after_release",
                "V",
                description="the rest repeated: the terminal rose over the first one, so its "
                "first reading was taken through a protection's body diode",
            ),
            second,
            instrument=dmm,
        )
    # allowed drop: factor x datasheet monthly loss over the cell's usable window, per series cell
    window = (spec.cell.charge_voltage - spec.cell.discharge_cutoff) * spec.product.series
    allowed = window * spec.cell.self_discharge_per_month / 30.0 * options.self_discharge_factor
    rate = Measurement("self_discharge_rate", "mV/d", high=allowed / Q_(1.0, "d"))
    days = options.self_discharge_rest.m_as("d")
    ctx.measure(rate, (first - second) / Q_(days, "d"), instrument=dmm)


def pack_resistance(ctx: StepContext) -> None:
    spec = ctx.spec
    meter = ctx.instruments.resistance_meter
    meter.configure(spec.pack.ac_resistance_max * 2, spec.charge.voltage * 1.2, SampleRate.MEDIUM)
    try:
        reading = meter.read()
    except (OverloadError, MeasurementFault):
        ctx.measure(PACK_PATH, "open", instrument=meter)
        return
    ctx.measure(PACK_PATH, "closed", instrument=meter)
    ctx.measure(pack_resistance_limit(spec), reading.resistance, instrument=meter)


def pack_resistance_limit(spec: PackSpec) -> Measurement:
    """The closed pack's 1 kHz resistance against the spec's maximum (declared factory)."""
    return Measurement(Measured.PACK_RESISTANCE, "mohm", high=spec.pack.ac_resistance_max)


def overcurrent(ctx: StepContext) -> bool:
    """Ramp the load's CC level until the output collapses, then time the trip from a step."""
    protection = ctx.spec.protection
    load = ctx.instruments.load
    clock = ctx.clock
    trip = protection.overcurrent_trip
    top = trip * OC_END_FRACTION
    ramp = ramp_to_trip(load, clock, protection, trip * OC_START_FRACTION, top)
    if ramp.unloaded < ctx.spec.pack.voltage_zero:
        ctx.measure(OC_RESULT, "no_output", instrument=load)
        return False
    if ramp.tripped_at is None:
        ctx.measure(OC_RESULT, "not_tripped", instrument=load)
        ctx.measure(Measurement("overcurrent_max_tested", "A"), top, instrument=load)
        return False
    ctx.measure(OC_RESULT, "tripped", instrument=load)
    oc_limit = Measurement(
        Measured.OVERCURRENT_TRIP_CURRENT,
        "A",
        low=trip - protection.overcurrent_trip_tolerance,
        high=top,
    )
    ctx.measure(oc_limit, ramp.tripped_at, instrument=load)
    level = delay_level(ramp.tripped_at, top)
    ctx.measure(Measurement(Measured.OVERCURRENT_DELAY_STEP, "A"), level, instrument=load)
    edge = time_trip(load, clock, protection, level, ramp.unloaded)
    delay = delay_limits(
        "overcurrent_delay",
        protection.overcurrent_delay,
        protection.overcurrent_delay_tolerance,
        "ms",
        DELAY_POLL,
    )
    if edge is None:
        ctx.measure(OC_DELAY_CUT, "not_cut", instrument=load)
    else:
        judge_delay(ctx, delay, edge, instrument=load)
    clock.sleep(RECOVERY_S)
    dmm = ctx.instruments.multimeter
    ctx.measure(RECOVERED, dmm.dc_voltage(), instrument=dmm)
    return True


SHORT_CURRENT_FACTOR = 1.2
"""Margin on the current that puts the short-detect voltage across the MOSFET pair."""


def short_current_needed(ctx: StepContext) -> Quantity:
    return short_current_for(ctx.spec)


def short_current_for(spec: PackSpec) -> Quantity:
    """Current whose drop across the pair reaches the short threshold (the pair's resistance as
    the spec's over-current calibration states it: detect voltage over trip current)."""
    p = spec.protection
    pair = p.overcurrent_detect_voltage / p.overcurrent_trip
    needed: Quantity = (p.short_circuit_detect_voltage / pair * SHORT_CURRENT_FACTOR).to("A")
    return needed


def short_circuit(ctx: StepContext, overcurrent_tripped: bool) -> None:
    """Short P+/P-; the output must be cut within the spec's ``short_circuit_delay_max``."""
    load = ctx.instruments.load
    if not overcurrent_tripped:
        record_not_measured(
            ctx,
            SC_RESULT.name,
            say("skip.overcurrent_not_tripped"),
            required=True,
            instrument=load,
        )
        return
    if not load.supports_short:
        record_not_measured(
            ctx,
            SC_RESULT.name,
            say("skip.load_no_short"),
            required=True,
            instrument=load,
        )
        return
    protection = ctx.spec.protection
    needed = short_current_needed(ctx)
    if load.max_current is not None and load.max_current < needed:
        # A load short limited below this makes the IC see an over-current (milliseconds),
        # not a short (microseconds): judging it would fail a good board (battery-domain 5.4).
        record_not_measured(
            ctx,
            SC_RESULT.name,
            say(
                "skip.load_too_small",
                current=f"{needed.to('A'):.0f~P}",
                threshold=f"{protection.short_circuit_detect_voltage:~P}",
                load=f"{load.max_current:.0f~P}",
            ),
            required=True,
            instrument=load,
        )
        return
    edge = time_short(load, ctx.clock, protection)
    ctx.measure(SC_RESULT, "cut" if edge is not None else "not_cut", instrument=load)
    if edge is not None:
        judge_delay(
            ctx, cut_time_limits(Measured.SHORT_CIRCUIT_CUT_TIME, protection), edge, instrument=load
        )
    ctx.clock.sleep(RECOVERY_S)
    dmm = ctx.instruments.multimeter
    recovered = Measurement("short_recovery_voltage", "V", low=ctx.spec.pack.voltage_zero)
    ctx.measure(recovered, dmm.dc_voltage(), instrument=dmm)


MEASURES = (
    Declared(Measured.OCV_RESTED, "V"),
    Declared(Measured.OCV_AFTER_REST, "V"),
    Declared(Measured.OCV_AFTER_RELEASE, "V"),
    Declared(Measured.SELF_DISCHARGE_RATE, "mV/d"),
    Declared(Measured.PACK_RESISTANCE, "mohm", limits=pack_resistance_limit),
    Declared(Measured.PACK_PATH),
    Declared(Measured.OVERCURRENT_PROTECTION),
    Declared(Measured.OVERCURRENT_MAX_TESTED, "A"),
    Declared(Measured.OVERCURRENT_TRIP_CURRENT, "A"),
    Declared(Measured.OVERCURRENT_DELAY_STEP, "A", description="load step that times the trip"),
    Declared("overcurrent_delay", "ms"),
    Declared(Measured.OVERCURRENT_DELAY_CUT),
    Declared("protection_recovery_voltage", "V"),
    Declared(Measured.SHORT_CIRCUIT_PROTECTION),
    Declared(Measured.SHORT_CIRCUIT_CUT_TIME, "us"),
    Declared("short_recovery_voltage", "V"),
    Declared(Measured.PACK_TEST_TEMPERATURE, "degC"),
)
"""The closed-pack tests branch on what the pack does (no output: no over-current level), so
none is required here; a test the bench could not perform is recorded as not measured."""
