"""Step 5b: the bare protection board, with the source standing in for the cells on B+/B-.

The source sweeps the cell voltage slowly past each threshold (holding each level for the IC's
detection delay plus twice its tolerance) while the multimeter watches P+/P-: the board passes
the output straight through, through a body diode (~0.7 V lower: one FET off), or not at all.
Detect and release levels are judged per cell against the spec's table. The board's output is
checked first; the sweeps only mean something on a board that passes its output at all. Then
the delays (``board_delays``: stepped across each threshold and timed on the clock) and the
current items (``board_currents``: self-consumption, over-current trip and delay, short
cut-off) complete the board vendors' pass/fail table (battery-domain §5.5); the main-loop
resistance comes from the 1 kHz meter across P+/P- with the board conducting and the cells
emulated at their charge voltage, the condition under which the tables state its limit.
resistance comes from the 1 kHz meter across P+/P- with the board conducting.

The over-temperature abort (``temperature_watch``, discharge window) is armed before the source
goes on and read between the test groups: the probe stays on the unit on the board fixture.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.errors import MeasurementFault, OverloadError
from instruments.roles import DCSource, Multimeter
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.board_currents import overcurrent, self_consumption, short_circuit
from procedures.diagnosis.board_delays import (
    DIODE_MIN_DROP,
    STEP_ACROSS,
    output_passes,
    overcharge_delay,
    overdischarge_delay,
)
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.skipped import record_not_measured
from procedures.diagnosis.temperature_watch import TemperatureWatch
from procedures.diagnosis.vocabulary import BoardOutput, Conduction, Cut, Measured
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.phrases import say
from procedures.specs import PackSpec

STEP_V = 0.01
"""Sweep step per cell (V): a fifth of the IC's detection tolerance."""
OUTPUT_CURRENT_LIMIT = Q_(0.1, "A")
OUTPUT_OCP = Q_(0.2, "A")
MARGIN_V = 0.1
"""Sweep this far past the threshold's tolerance before calling the protection absent."""

OUTPUT = CategoricalMeasurement(
    Measured.BOARD_OUTPUT, tuple(BoardOutput), passing=(BoardOutput.THROUGH,)
)
CUT = tuple(Cut)
"""A sweep that was not performed is recorded as skipped (required), never as an answer here."""
OVERCHARGE_CUT = CategoricalMeasurement("board_overcharge_cut", CUT, passing=("cut",))
OVERDISCHARGE_CUT = CategoricalMeasurement("board_overdischarge_cut", CUT, passing=("cut",))
LOOP_PATH = CategoricalMeasurement(
    Measured.BOARD_LOOP, tuple(Conduction), passing=(Conduction.CLOSED,)
)


#: Per cell above the over-charge detect tolerance: the most the board fixture may apply.
CELL_CEILING = Q_(0.25, "V")


def make_board_tests(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    def board_tests(ctx: StepContext) -> None:
        """Output, self-consumption, loop resistance, protections' levels, delays and currents."""
        spec = ctx.spec
        ch = options.source_channel
        series = spec.product.series
        source = ctx.instruments.source
        dmm = ctx.instruments.multimeter
        fixtures.move_to("board")
        p = spec.protection
        per_cell = max(p.overcharge_detect_tolerance + Q_(MARGIN_V, "V"), STEP_ACROSS)
        top = (p.overcharge_detect + per_cell) * series
        # The hardware OVP is the last line of defence for the board: never above what a cell
        # could see in use (detect + tolerance + 0.25 V each), even when the margin would be.
        cells_ceiling = (
            p.overcharge_detect + p.overcharge_detect_tolerance + CELL_CEILING
        ) * series
        watch = TemperatureWatch(
            ctx, options, "board_test_temperature", spec.max_discharge_temperature, "board tests"
        )
        start = ctx.clock.monotonic()

        def checkpoint() -> None:
            watch.check(ctx.clock.monotonic() - start, on_trip=lambda: source.output_off(ch))

        try:
            source.output_off(ch)
            watch.arm()
            source.set_over_voltage_protection(
                ch, min(top + options.over_voltage_margin, cells_ceiling)
            )
            source.set_over_current_protection(ch, OUTPUT_OCP)
            source.set_current_limit(ch, OUTPUT_CURRENT_LIMIT)
            nominal = spec.cell.nominal_voltage * series
            state = board_output(ctx, source, dmm, ch, nominal)
            self_consumption(ctx, source, ch, options)
            # The board tables state the main loop with the cells at their charge voltage
            # (battery-domain 5.5: "<= 65 mOhm at VC = 4.2 V"): the gates' drive decides R_on.
            source.set_voltage(ch, spec.cell.charge_voltage * series)
            ctx.clock.sleep(0.1)
            loop_resistance(ctx)
            checkpoint()
            if state != "through":
                reason = say("skip.no_board_output", state=state)

                for cut in (OVERCHARGE_CUT, OVERDISCHARGE_CUT):
                    record_not_measured(ctx, cut.name, reason, required=True, instrument=dmm)
                watch.finish()
                return
            protection_sweeps(ctx, source, dmm, ch, nominal)
            checkpoint()
            overcurrent(ctx, source, ch)
            short_circuit(ctx, source, ch)
            checkpoint()
            watch.finish()
        finally:
            try:
                ctx.instruments.load.input_off()
            finally:
                source.output_off(ch)

    return board_tests


def board_output(
    ctx: StepContext, source: DCSource, dmm: Multimeter, ch: int, nominal: Quantity
) -> str:
    """Power the board at the cells' nominal voltage; what it passes to its output (recorded)."""
    source.set_voltage(ch, nominal)
    source.output_on(ch)
    ctx.clock.sleep(0.1)
    output = dmm.dc_voltage()
    ctx.measure(Measurement("board_output_voltage", "V"), output, instrument=dmm)
    drop = nominal - output
    ctx.measure(Measurement("board_output_drop", "V"), drop, instrument=dmm)
    if drop < Q_(DIODE_MIN_DROP, "V"):
        state = "through"
    elif output > nominal * 0.5:
        state = "diode_drop"
    else:
        state = "none"
    ctx.measure(OUTPUT, state, instrument=dmm)
    return state


def protection_sweeps(
    ctx: StepContext, source: DCSource, dmm: Multimeter, ch: int, nominal: Quantity
) -> None:
    """Over-charge, then over-discharge: levels, and the delay where the board cut and released;
    the cells go back to nominal after each."""
    if overcharge_sweep(ctx, source, dmm, ch):
        overcharge_delay(ctx, source, dmm, ch)
    source.set_voltage(ch, nominal)
    ctx.clock.sleep(0.1)
    if overdischarge_sweep(ctx, source, dmm, ch):
        overdischarge_delay(ctx, source, dmm, ch)
    source.set_voltage(ch, nominal)
    ctx.clock.sleep(0.1)


def loop_resistance(ctx: StepContext) -> None:
    spec = ctx.spec
    meter = ctx.instruments.resistance_meter
    meter.configure(spec.protection.main_loop_resistance_max * 4, spec.charge.voltage * 1.2)
    try:
        reading = meter.read()
    except (OverloadError, MeasurementFault):
        ctx.measure(LOOP_PATH, "open", instrument=meter)
        return
    ctx.measure(LOOP_PATH, "closed", instrument=meter)
    ctx.measure(loop_resistance_limit(spec), reading.resistance, instrument=meter)


def loop_resistance_limit(spec: PackSpec) -> Measurement:
    """The bare board's main loop against the spec's maximum (declared factory)."""
    return Measurement(
        Measured.BOARD_LOOP_RESISTANCE, "mohm", high=spec.protection.main_loop_resistance_max
    )


def _sweep(
    ctx: StepContext,
    source: DCSource,
    dmm: Multimeter,
    ch: int,
    start: float,
    stop: float,
    hold: float,
    until_passing: bool,
) -> float | None:
    """Step the per-cell voltage from ``start`` to ``stop``; the level where the output turns
    ``until_passing`` (back on) or not (cut), or ``None`` if it never does."""
    series = ctx.spec.product.series
    steps = round(abs(stop - start) / STEP_V)
    direction = 1.0 if stop > start else -1.0
    for k in range(steps + 1):
        cell = start + direction * k * STEP_V
        setpoint = cell * series
        source.set_voltage(ch, Q_(setpoint, "V"))
        ctx.clock.sleep(hold)
        if output_passes(dmm, setpoint) is until_passing:
            return cell
    return None


def _level(name: str, nominal: Quantity, tolerance: Quantity) -> Measurement:
    return Measurement(
        name, "V", low=nominal - tolerance, high=nominal + tolerance, nominal=nominal
    )


def overcharge_sweep(ctx: StepContext, source: DCSource, dmm: Multimeter, ch: int) -> bool:
    """Detect and release levels; True when the board cut and released again (delay next)."""
    p = ctx.spec.protection
    hold = (p.overcharge_delay + 2 * p.overcharge_delay_tolerance).m_as("s")
    start = ctx.spec.cell.charge_voltage.m_as("V")
    top = (p.overcharge_detect + p.overcharge_detect_tolerance).m_as("V") + MARGIN_V
    detect = _sweep(ctx, source, dmm, ch, start, top, hold, until_passing=False)
    if detect is None:
        ctx.measure(OVERCHARGE_CUT, "not_cut", instrument=dmm)
        ctx.measure(Measurement("board_overcharge_max_tested", "V"), Q_(top, "V"))
        return False
    ctx.measure(OVERCHARGE_CUT, "cut", instrument=dmm)
    detect_limits = _level(
        "board_overcharge_detect", p.overcharge_detect, p.overcharge_detect_tolerance
    )
    ctx.measure(detect_limits, Q_(detect, "V"), instrument=dmm)
    bottom = (p.overcharge_release - p.overcharge_release_tolerance).m_as("V") - MARGIN_V
    release = _sweep(ctx, source, dmm, ch, detect, bottom, hold, until_passing=True)
    release_limits = _level(
        "board_overcharge_release", p.overcharge_release, p.overcharge_release_tolerance
    )
    return _release(ctx, dmm, release_limits, release, bottom)


def overdischarge_sweep(ctx: StepContext, source: DCSource, dmm: Multimeter, ch: int) -> bool:
    """Detect and release levels; True when the board cut and released again (delay next)."""
    p = ctx.spec.protection
    hold = (p.overdischarge_delay + 2 * p.overdischarge_delay_tolerance).m_as("s")
    # start just above the detect band: the board was at nominal, nothing lies in between
    start = (p.overdischarge_detect + p.overdischarge_detect_tolerance).m_as("V") + MARGIN_V
    bottom = (p.overdischarge_detect - p.overdischarge_detect_tolerance).m_as("V") - MARGIN_V
    detect = _sweep(ctx, source, dmm, ch, start, bottom, hold, until_passing=False)
    if detect is None:
        ctx.measure(OVERDISCHARGE_CUT, "not_cut", instrument=dmm)
        ctx.measure(Measurement("board_overdischarge_min_tested", "V"), Q_(bottom, "V"))
        return False
    ctx.measure(OVERDISCHARGE_CUT, "cut", instrument=dmm)
    detect_limits = _level(
        "board_overdischarge_detect", p.overdischarge_detect, p.overdischarge_detect_tolerance
    )
    ctx.measure(detect_limits, Q_(detect, "V"), instrument=dmm)
    top = (p.overdischarge_release + p.overdischarge_release_tolerance).m_as("V") + MARGIN_V
    release = _sweep(ctx, source, dmm, ch, detect, top, hold, until_passing=True)
    release_limits = _level(
        "board_overdischarge_release", p.overdischarge_release, p.overdischarge_release_tolerance
    )
    return _release(ctx, dmm, release_limits, release, top)


def _release(
    ctx: StepContext, dmm: Multimeter, limits: Measurement, level: float | None, swept_to: float
) -> bool:
    """Record the release level, or that the board never released (True: it did).

    A board that stays cut has no release level: that is recorded as ``<name>_seen =
    not_released`` (fail) with the last level swept, never as a made-up 0 V reading.
    """
    if level is not None:
        ctx.measure(limits, Q_(level, "V"), instrument=dmm)
        return True
    seen = CategoricalMeasurement(
        f"{limits.name}_seen", ("released", "not_released"), passing=("released",)
    )
    ctx.measure(seen, "not_released", instrument=dmm)
    ctx.measure(Measurement(f"{limits.name}_swept_to", "V"), Q_(swept_to, "V"), instrument=dmm)
    return False


def sweep_declarations(prefix: str, *, delay_unit: str) -> tuple[Declared, ...]:
    """What one protection sweep records: detect and release levels (or that the board never
    released, and how far it was swept), then the delay (or that the step did not cut).

    The delay's unit follows the poll period that times it (``board_delays``)."""
    return (
        Declared(f"{prefix}_detect", "V"),
        Declared(f"{prefix}_release", "V"),
        Declared(f"{prefix}_release_seen"),
        Declared(f"{prefix}_release_swept_to", "V"),
        Declared(f"{prefix}_delay", delay_unit),
        Declared(f"{prefix}_delay_cut"),
    )


MEASURES = (
    Declared(Measured.BOARD_OUTPUT),
    Declared("board_output_voltage", "V"),
    Declared(Measured.BOARD_OUTPUT_DROP, "V"),
    Declared(Measured.BOARD_LOOP),
    Declared(Measured.BOARD_LOOP_RESISTANCE, "mohm", limits=loop_resistance_limit),
    Declared(Measured.BOARD_OVERCHARGE_CUT),
    Declared(Measured.BOARD_OVERCHARGE_MAX_TESTED, "V"),
    *sweep_declarations("board_overcharge", delay_unit="s"),
    Declared(Measured.BOARD_OVERDISCHARGE_CUT),
    Declared("board_overdischarge_min_tested", "V"),
    *sweep_declarations("board_overdischarge", delay_unit="ms"),
    Declared("board_supply_current", "uA", description="source current readback, load off"),
    Declared("board_self_consumption", "uA"),
    Declared(Measured.BOARD_OVERCURRENT_PROTECTION),
    Declared("board_overcurrent_max_tested", "A"),
    Declared("board_overcurrent_trip_current", "A"),
    Declared("board_overcurrent_delay", "ms"),
    Declared("board_overcurrent_delay_cut"),
    Declared(Measured.BOARD_SHORT_CIRCUIT_PROTECTION),
    Declared("board_short_circuit_cut_time", "us"),
    Declared(Measured.BOARD_TEST_TEMPERATURE, "degC"),
)
"""The bare-board tests depend on what the board passes (no output: no sweeps), so none is
required; a sweep that was not performed is recorded as not measured with its reason."""
