"""Step 3: the wake recharge at 0.5C, and what the pack's first answer to it says.

The manual's three outcomes (DESIGN §1, battery-domain §5): a board in under-voltage protection
lets the charge through the discharge FET's body diode, so the terminal shows the (low) cell
voltage plus a diode and rises from there; a latched board releases on the charger and the
terminal jumps straight to a normal cell voltage; otherwise nothing flows. Protection is
programmed before the output goes on, the output goes off on every path out of the step, and
every wait goes through the clock, so under simulation three hours cost a few hundred requests.

How the charge ends (``charge_end``), and which endings are findings rather than aborts:

* ``taper``: the current fell to the end-of-charge level after the terminal reached CV.
* ``no_current`` (the manual's "no response", a finding): the output is on, the terminals show
  the charge voltage with the source in CV, and no current has flowed for
  ``no_current_timeout``. The pack refuses charge: open fuse, FET, 0 V inhibit. The step ends
  normally and the later steps locate the open path.
* ``cut_off`` (a finding): current flowed, then stopped before CV while the terminals show the
  charge voltage in CV: the pack's board opened its charge path (a cell's over-charge
  protection, e.g. imbalance).
* abort ("no current after a timeout", the issue's abort limit): the current never flowed or
  collapsed before CV, and the terminals do NOT show the source's setpoint in CV. Something
  outside the pack stopped the charge (source output, leads, fixture contact); continuing
  would record evidence about the cabling, so the run stops with energy off and the reason.
* ``time_limit``: the spec's maximum charge time passed (a leak takes the charge).

Before the output goes on, a source with a hardware output timer (the DP832's delayer) is
programmed to end it by itself after the spec's maximum charge time plus a margin.

Other abort limits: terminal above the charge voltage + margin, current far above its
setpoint, a tripped source protection. Over-temperature (``temperature_watch``): the pack's probe
is read before the output goes on and at every sample; above the cells' charge window (or the
station's lower ``max_temperature``) the output goes off, ``charge_temperature`` is recorded as a
fail with the reading, and the run ends as *fail* (the pack heats; no instrument misbehaved).
The probe's readings join the recharge trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from instruments.roles import RegulationMode
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.capacity import judge_charge_capacity
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.diagnosis.temperature_watch import TemperatureWatch
from procedures.diagnosis.vocabulary import ChargeEnd, Measured, WakeResponse
from procedures.errors import AbortRun
from procedures.measurements import CategoricalMeasurement, Measurement

WAKE_RESPONSES = tuple(WakeResponse)
END_REASONS = tuple(ChargeEnd)
"""``cut_off``: the current stopped before the terminal reached the charge voltage."""
FALL_SAMPLES = 3
CV_REACHED = Q_(0.1, "V")
"""Per cell: a current that stops within this of the charge voltage is a taper."""
FALL_LIMIT = Q_(0.05, "V")
"""Per cell: a terminal that falls by more while charge flows feeds an internal leak."""
MODE_CODE = {
    RegulationMode.OFF: 0.0,
    RegulationMode.CC: 1.0,
    RegulationMode.CV: 2.0,
    RegulationMode.UNREGULATED: 3.0,
    RegulationMode.PROTECTION_TRIPPED: 4.0,
}
DIODE_PROBE_EXTRA = Q_(1.0, "V")
"""Above the charge voltage: enough to push current through a body diode (~0.7 V) into cells."""
DIODE_PROBE_TIME_S = 2.0
OUTPUT_TIMER_MARGIN = Q_(10.0, "min")
"""Beyond the step's longest on-time: where the source has a hardware output timer
(``DCSource.arm_output_timer``), it ends the output by itself this long after the step should
have, even if the host died with the watchdog (docs/safety.md)."""

TEMPERATURE = "charge_temperature"
WAKE = CategoricalMeasurement("wake_response", WAKE_RESPONSES)
END = CategoricalMeasurement("charge_end", END_REASONS)
WAKE_VOLTAGE = Measurement("wake_voltage", "V", description="P+/P- just after charge on")
CHARGE_TIME = Measurement("charge_time", "min")
CHARGE_INPUT = Measurement("charge_input", "mAh", description="charge pushed into the pack")
FINAL_CURRENT = Measurement("charge_final_current", "A")
DIODE_PROBE = Measurement(
    "diode_probe_current", "A", description="current at charge voltage + 1 V, pre-charge limit"
)


def wake_threshold(ctx: StepContext) -> Quantity:
    """Terminal voltage dividing "rises from a low cell" from "a normal cell at once"."""
    spec = ctx.spec
    per_cell = (spec.protection.overdischarge_release + spec.cell.nominal_voltage) / 2
    threshold: Quantity = per_cell * spec.product.series
    return threshold


@dataclass
class _Charge:
    """The recharge as it runs: its limits, the samples so far and what they showed."""

    abort_voltage: Quantity
    peak: Measurement
    precharge: bool
    setpoint: Quantity
    elapsed: float = 0.0
    end: str = "time_limit"
    times: list[float] = field(default_factory=list)
    volts: list[float] = field(default_factory=list)
    amps: list[float] = field(default_factory=list)
    modes: list[float] = field(default_factory=list)
    flowed: bool = False
    flowing_peak: float = 0.0
    fall: float = 0.0
    run_top: float = 0.0
    fall_run: int = 0


def make_wake_recharge(options: DiagnosisOptions) -> Callable[[StepContext], None]:
    def wake_recharge(ctx: StepContext) -> None:
        """CC-CV recharge at 0.5C with abort limits; classify how the pack woke up."""
        spec = ctx.spec
        charge = spec.charge
        ch = options.source_channel
        source = ctx.instruments.source
        abort_voltage = charge.voltage + options.abort_voltage_margin
        precharge = (
            Q_(ctx.value("voltage_rested"), "V") < charge.precharge_below * spec.product.series
        )
        run = _Charge(
            abort_voltage=abort_voltage,
            peak=Measurement("charge_peak_voltage", "V", high=abort_voltage),
            precharge=precharge,
            setpoint=charge.precharge_current if precharge else charge.current,
        )
        interval = options.sample_interval.m_as("s")
        watch = TemperatureWatch(
            ctx, options, TEMPERATURE, spec.max_charge_temperature, "the wake recharge"
        )
        try:
            _switch_on(ctx, options, watch, run.setpoint)
            run.elapsed = options.wake_settle.m_as("s")
            while not _sample(ctx, options, watch, run):
                ctx.clock.sleep(interval)
                run.elapsed += interval
            source.output_off(ch)
            watch.finish()
            _record_results(ctx, options, run)
        finally:
            try:
                source.output_off(ch)
            finally:
                _record_trace(ctx, watch, run)

    return wake_recharge


def _switch_on(
    ctx: StepContext, options: DiagnosisOptions, watch: TemperatureWatch, setpoint: Quantity
) -> None:
    """Protection first, then the setpoints and the hardware output timer, then output on;
    the probe's first reading is taken before any charge flows."""
    charge = ctx.spec.charge
    ch = options.source_channel
    source = ctx.instruments.source
    ceiling = charge.current * (1 + options.current_tolerance) + Q_(0.05, "A")
    source.output_off(ch)
    watch.arm()
    source.set_over_voltage_protection(ch, charge.voltage + options.over_voltage_margin)
    source.set_over_current_protection(ch, ceiling)
    source.set_voltage(ch, charge.voltage)
    source.set_current_limit(ch, setpoint)
    timer = charge.max_time + options.wake_settle + OUTPUT_TIMER_MARGIN
    if source.arm_output_timer(ch, timer):
        ctx.log.info("source output timer armed: off by itself after %s", timer)
    source.output_on(ch)
    ctx.clock.sleep(options.wake_settle.m_as("s"))


def _sample(
    ctx: StepContext, options: DiagnosisOptions, watch: TemperatureWatch, run: _Charge
) -> bool:
    """Take one sample, abort on a limit, and say whether the charge has ended (``run.end``)."""
    charge = ctx.spec.charge
    series = ctx.spec.product.series
    ch = options.source_channel
    source = ctx.instruments.source
    dmm = ctx.instruments.multimeter
    limit_s: float = charge.max_time.m_as("s")
    voltage = dmm.dc_voltage()
    current = source.measure_current(ch)
    mode = source.regulation_mode(ch)
    run.times.append(run.elapsed)
    run.volts.append(voltage.m_as("V"))
    run.amps.append(current.m_as("A"))
    run.modes.append(MODE_CODE[mode])
    watch.check(run.elapsed, on_trip=lambda: source.output_off(ch))
    ctx.progress(
        min(run.elapsed / limit_s, 1.0),
        elapsed_s=run.elapsed,
        limit_s=limit_s,
        voltage=voltage,
        current=current,
        mode=mode.value,
        **({} if watch.latest is None else {"temperature": watch.latest}),
    )
    if len(run.times) == 1:
        ctx.measure(WAKE_VOLTAGE, voltage, instrument=dmm)
    if voltage > run.abort_voltage:
        ctx.measure(run.peak, voltage, instrument=dmm, abort_on_fail=True)
    _check_source(voltage, current, mode, run.setpoint, options)
    flowing = current >= options.no_current_level
    if flowing:
        run.flowed = True
        run.flowing_peak = max(run.flowing_peak, run.volts[-1])
    run.fall_run, run.run_top, run.fall = _falling(
        run.fall_run, run.run_top, run.fall, run.volts, flowing
    )
    stop_level = options.no_current_level if run.precharge else charge.taper_current
    if flowing and run.precharge and voltage >= charge.precharge_below * series:
        run.precharge, run.setpoint = False, charge.current
        source.set_current_limit(ch, run.setpoint)
    elif run.flowed and current < stop_level:
        near_cv = run.flowing_peak >= (charge.voltage - CV_REACHED * series).m_as("V")
        if not near_cv:
            _require_held(voltage, current, mode, ctx, options, "collapsed")
        run.end = "taper" if near_cv else "cut_off"
        return True
    if not run.flowed and run.elapsed >= options.no_current_timeout.m_as("s"):
        _require_held(voltage, current, mode, ctx, options, "never flowed")
        run.end = "no_current"
        return True
    return run.elapsed >= limit_s


def _check_source(
    voltage: Quantity,
    current: Quantity,
    mode: RegulationMode,
    setpoint: Quantity,
    options: DiagnosisOptions,
) -> None:
    """A tripped source protection or a current far above its setpoint ends the run: the
    source, not the pack, is misbehaving."""
    if mode is RegulationMode.PROTECTION_TRIPPED:
        raise AbortRun(
            f"source protection tripped during the recharge at {voltage:.3f~P}, "
            f"{current:.3f~P}: check the pack for a short and the OVP/OCP settings"
        )
    if current > setpoint * (1 + options.current_tolerance) + Q_(0.05, "A"):
        raise AbortRun(
            f"charge current {current:.3f~P} far above its setpoint {setpoint:~P}: "
            "the source is not regulating; check the source before charging again"
        )


def _record_results(ctx: StepContext, options: DiagnosisOptions, run: _Charge) -> None:
    """The step's measurements from the finished charge, then how the pack woke up."""
    series = ctx.spec.product.series
    dmm = ctx.instruments.multimeter
    ctx.measure(run.peak, Q_(max(run.volts), "V"), instrument=dmm, abort_on_fail=True)
    ctx.measure(END, run.end)
    falling = Measurement("voltage_fall_under_charge", "V", high=FALL_LIMIT * series)
    ctx.measure(falling, Q_(run.fall, "V"), instrument=dmm)
    ctx.measure(CHARGE_TIME, Q_(run.elapsed, "s"))
    t = np.asarray(run.times)
    i = np.asarray(run.amps)
    charged = float(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t))) if len(t) > 1 else 0.0
    ctx.measure(CHARGE_INPUT, Q_(charged / 3600.0, "A*h"))
    ctx.measure(FINAL_CURRENT, Q_(run.amps[-1], "A"), instrument=ctx.instruments.source)
    if not run.flowed:
        ctx.measure(DIODE_PROBE, diode_probe(ctx, options), instrument=ctx.instruments.source)
    wake = classify(ctx, run.flowed, Q_(run.volts[0], "V"))
    ctx.measure(WAKE, wake)
    judge_charge_capacity(ctx, Q_(charged / 3600.0, "A*h"), wake, run.end)


def _record_trace(ctx: StepContext, watch: TemperatureWatch, run: _Charge) -> None:
    """The recharge's curves (with the probe's readings taken while charging), if sampled."""
    if not run.times:
        return
    channels: dict[str, tuple[list[float], str]] = {
        "voltage": (run.volts, "V"),
        "current": (run.amps, "A"),
        "mode": (run.modes, ""),
    }
    if len(watch.readings) == len(run.times) + 1:  # the first is from before charge
        channels["temperature"] = (watch.readings[1:], "°C")
    ctx.record_trace("recharge", run.times, channels)


def _require_held(
    voltage: Quantity,
    current: Quantity,
    mode: RegulationMode,
    ctx: StepContext,
    options: DiagnosisOptions,
    what: str,
) -> None:
    """No current before CV is a finding only if the charge voltage stands at the terminals.

    Then the pack itself refuses charge (its board holds the charge path open). If the
    terminals do not show the source's setpoint with the source in CV, something between source
    and pack stopped the charge, and what follows would be evidence about the cabling.
    """
    spec = ctx.spec
    setpoint = spec.charge.voltage
    tolerance = options.recharge_stall_tolerance * spec.product.series
    if mode is RegulationMode.CV and abs(voltage - setpoint) <= tolerance:
        return
    raise AbortRun(
        f"charge current {what} ({current:.4f~P}) before CV while the terminals read "
        f"{voltage:.3f~P}, not the source's {setpoint:~P} (source mode {mode.value}): charging "
        "was stopped outside the pack; check the source output, the leads and the fixture "
        "contacts, then repeat the recharge"
    )


def _falling(
    run: int, top: float, fall: float, volts: list[float], flowing: bool
) -> tuple[int, float, float]:
    """Track runs of falling terminal voltage under charge: (run length, run start, worst fall).

    Only runs of ``FALL_SAMPLES`` or more count: a board releasing its under-voltage
    protection drops the body diode's 0.7 V once, a leaking cell falls sample after sample.
    """
    if flowing and len(volts) > 1 and volts[-1] < volts[-2] - 0.001:
        run = run + 1 if run else 1
        top = top if run > 1 else volts[-2]
        if run >= FALL_SAMPLES:
            fall = max(fall, top - volts[-1])
        return run, top, fall
    return 0, volts[-1], fall


def diode_probe(ctx: StepContext, options: DiagnosisOptions) -> Quantity:
    """A pack that takes no charge: does current pass a body diode at a higher voltage?

    Only at the pre-charge current and for two seconds, so a cell cannot be over-charged.
    """
    source = ctx.instruments.source
    ch = options.source_channel
    charge = ctx.spec.charge
    level = charge.voltage + DIODE_PROBE_EXTRA
    try:
        source.set_over_voltage_protection(ch, level + options.over_voltage_margin)
        source.set_voltage(ch, level)
        source.set_current_limit(ch, charge.precharge_current)
        source.arm_output_timer(ch, Q_(DIODE_PROBE_TIME_S, "s") + OUTPUT_TIMER_MARGIN)
        source.output_on(ch)
        ctx.clock.sleep(DIODE_PROBE_TIME_S)
        current = source.measure_current(ch)
    finally:
        source.output_off(ch)
    return current


def classify(ctx: StepContext, flowed: bool, first: Quantity) -> str:
    if not flowed:
        return "no_response"
    if ctx.measurement("voltage_category").text_value != "zero":
        return "normal"
    return "under_voltage" if first < wake_threshold(ctx) else "latched"


MEASURES = (
    Declared(Measured.WAKE_RESPONSE),
    Declared(Measured.WAKE_VOLTAGE, "V"),
    Declared(Measured.DIODE_PROBE_CURRENT, "A"),
    Declared(Measured.CHARGE_END),
    Declared("charge_time", "min"),
    Declared("charge_input", "mAh"),
    Declared(Measured.CHARGE_FINAL_CURRENT, "A"),
    Declared("charge_peak_voltage", "V"),
    Declared(Measured.VOLTAGE_FALL_UNDER_CHARGE, "V"),
    Declared(Measured.CHARGE_TEMPERATURE, "degC"),
    Declared(Measured.CHARGE_CAPACITY, "mAh"),
)
"""Which of these a recharge records depends on how the pack answers (no charge: no taper),
so none is required here; the step records the ones it could not take as not measured."""
