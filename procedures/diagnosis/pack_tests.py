"""Step 4: the closed pack's tests: rest and self-discharge, 1 kHz resistance, over-current, short.

Over-charge and over-discharge are tested on the board fixture (``board_tests``): driving the
closed pack's cells past their limits to see the board act would damage good cells. The short
test runs only after the over-current test saw the board trip: a board that did not trip would
leave the fuse to stop the short (battery-domain §5), destroying the evidence.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.errors import MeasurementFault, OverloadError
from instruments.roles import LoadMode, SampleRate
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.measurements import CategoricalMeasurement, Measurement

OC_STEP = Q_(0.1, "A")
OC_START_FRACTION = 0.5
OC_END_FRACTION = 1.6
"""Ramp to 1.6x the spec trip current: a full pack's stronger gate drive raises the trip."""
SHORT_HOLD_FACTOR = 3.0
RECOVERY_S = 0.5

PACK_PATH = CategoricalMeasurement("pack_path", ("closed", "open"), passing=("closed",))
OC_RESULT = CategoricalMeasurement(
    "overcurrent_protection", ("tripped", "not_tripped", "no_output"), passing=("tripped",)
)
SC_RESULT = CategoricalMeasurement(
    "short_circuit_protection", ("cut", "not_cut", "not_tested"), passing=("cut", "not_tested")
)
RECOVERED = Measurement("protection_recovery_voltage", "V")


def make_pack_tests(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    def pack_tests(ctx: StepContext) -> None:
        """Rest and self-discharge, pack resistance, discharge over-current and short circuit."""
        fixtures.move_to("pack")
        rest_and_self_discharge(ctx, options)
        pack_resistance(ctx)
        tripped = overcurrent(ctx)
        short_circuit(ctx, tripped)

    return pack_tests


def rest_and_self_discharge(ctx: StepContext, options: DiagnosisOptions) -> None:
    spec = ctx.spec
    dmm = ctx.instruments.multimeter
    ctx.clock.sleep(options.relax_rest.m_as("s"))
    first = dmm.dc_voltage()
    ctx.measure(Measurement("ocv_rested", "V"), first, instrument=dmm)
    ctx.clock.sleep(options.self_discharge_rest.m_as("s"))
    second = dmm.dc_voltage()
    ctx.measure(Measurement("ocv_after_rest", "V"), second, instrument=dmm)
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
    limit = Measurement("pack_resistance", "mohm", high=spec.pack.ac_resistance_max)
    ctx.measure(limit, reading.resistance, instrument=meter)


def overcurrent(ctx: StepContext) -> bool:
    """Ramp the load's CC level until the output collapses; the trip level is recorded."""
    protection = ctx.spec.protection
    load = ctx.instruments.load
    clock = ctx.clock
    hold = (protection.overcurrent_delay + 3 * protection.overcurrent_delay_tolerance).m_as("s")
    trip = protection.overcurrent_trip
    level = trip * OC_START_FRACTION
    top = trip * OC_END_FRACTION
    try:
        load.input_off()
        load.set_mode(LoadMode.CC)
        load.set_level(Q_(0.0, "A"))
        load.input_on()
        clock.sleep(hold)
        before = load.measure().voltage
        if before < ctx.spec.pack.voltage_zero:
            ctx.measure(OC_RESULT, "no_output", instrument=load)
            return False
        tripped_at: Quantity | None = None
        while level <= top:
            load.set_level(level)
            clock.sleep(hold)
            if load.measure().voltage < before * 0.5:
                tripped_at = level
                break
            level = level + OC_STEP
    finally:
        load.input_off()
    if tripped_at is None:
        ctx.measure(OC_RESULT, "not_tripped", instrument=load)
        ctx.measure(Measurement("overcurrent_max_tested", "A"), top, instrument=load)
        return False
    ctx.measure(OC_RESULT, "tripped", instrument=load)
    oc_limit = Measurement(
        "overcurrent_trip_current",
        "A",
        low=trip - protection.overcurrent_trip_tolerance,
        high=top,
    )
    ctx.measure(oc_limit, tripped_at, instrument=load)
    clock.sleep(RECOVERY_S)
    dmm = ctx.instruments.multimeter
    ctx.measure(RECOVERED, dmm.dc_voltage(), instrument=dmm)
    return True


def short_circuit(ctx: StepContext, overcurrent_tripped: bool) -> None:
    load = ctx.instruments.load
    if not overcurrent_tripped or not load.supports_short:
        ctx.measure(SC_RESULT, "not_tested")
        return
    protection = ctx.spec.protection
    hold = (protection.short_circuit_delay_max * SHORT_HOLD_FACTOR).m_as("s")
    try:
        load.set_short(True)
        load.input_on()
        ctx.clock.sleep(hold)
        reading = load.measure()
    finally:
        try:
            load.set_short(False)
        finally:
            load.input_off()
    cut = reading.current < Q_(0.1, "A")
    ctx.measure(SC_RESULT, "cut" if cut else "not_cut", instrument=load)
    ctx.clock.sleep(RECOVERY_S)
    dmm = ctx.instruments.multimeter
    recovered = Measurement("short_recovery_voltage", "V", low=ctx.spec.pack.voltage_zero)
    ctx.measure(recovered, dmm.dc_voltage(), instrument=dmm)
