"""Step 5b: the opened cells' 1 kHz resistance again, cold, to tell lithium plating from ageing.

At the bench's 25 degC a plated cell looks like a mildly aged one: its resistance is up a
little, its capacity down. What sets it apart is the cold: the plated lithium film and the
pores it blocks add resistance that grows as the cell cools, far beyond the ordinary growth of
any cell's resistance (roughly double from 25 to 0 degC, battery-domain §6.2). So on a station
whose cell fixture sits in a temperature chamber, the opened pack is soaked at
``cold_test_temperature`` (0 degC: the edge of the charge window, where plating happens) until
the pack's own probe says the cells are there, and each cell is read again.

Each cold reading is judged against that cell's own warm reading (``disassembly``) times the
healthy growth for the two probe temperatures, ``2 ** ((T_warm - T_cold) / doubling)``: above
``cold_growth_warn`` times that marginal, above ``cold_growth_max`` fail. A healthy or merely
aged cell grows as expected (ageing raises the resistance at every temperature alike).

The soak takes about an hour of the chamber's time, so it is done only when a cell has earned
it: a cell reading above the datasheet's maximum for a new cell (new cells read below it), or a
capacity judged low. Otherwise, and on a station without a chamber or a probe, the check is
recorded as not measured with the reason. The chamber goes back to standby whatever happens
(its safe state, which the engine also reaches at the end of the run).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from instruments.errors import MeasurementFault, OverloadError
from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.capacity import CHARGE_CAPACITY, DISCHARGE_CAPACITY
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.skipped import record_not_measured
from procedures.diagnosis.vocabulary import CellReading, Measured
from procedures.measurements import Measurement
from procedures.phrases import say
from procedures.records import Verdict

SOAK_INTERVAL_S = 60.0
"""How often the probe is read while the cells cool."""


def healthy_growth(warm: Quantity, cold: Quantity, options: DiagnosisOptions) -> float:
    """How much a healthy cell's 1 kHz resistance grows from ``warm`` to ``cold``."""
    kelvin = (warm.to("degC") - cold.to("degC")).m_as("delta_degC")
    return float(2.0 ** (kelvin / options.resistance_doubling.m_as("delta_degC")))


def cells_worth_cooling(ctx: StepContext) -> list[int]:
    """Numbers (1-based) of the cells read warm; all of them when one has earned the soak.

    Earned: a cell above the datasheet's maximum for a new cell, or a capacity judged low.
    Every read cell is then read cold (the healthy ones show what normal growth is).
    """
    spec = ctx.spec
    count = spec.product.series * spec.product.parallel
    new = spec.cell.ac_resistance_new.m_as("mohm")
    read = [n for n in range(1, count + 1) if ctx.has(CellReading.RESISTANCE.of(n))]
    values = {n: ctx.measurement(CellReading.RESISTANCE.of(n)).value for n in read}
    above_new = [n for n, value in values.items() if value is not None and value > new]
    faded = [
        name
        for name in (CHARGE_CAPACITY, DISCHARGE_CAPACITY)
        if ctx.has(name) and ctx.measurement(name).verdict in (Verdict.MARGINAL, Verdict.FAIL)
    ]
    return read if above_new or faded else []


def make_cold_resistance(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    def cold_resistance(ctx: StepContext) -> None:
        """Soak the opened pack cold in the chamber, then each cell's 1 kHz resistance again."""
        cells = cells_worth_cooling(ctx)
        why = None
        if not cells:
            why = say("skip.cold_not_needed")
        elif not ctx.instruments.has("chamber"):
            why = say("skip.no_chamber")
        elif not ctx.instruments.has("thermometer"):
            why = say("skip.cold_no_probe")
        if why is not None:
            record_not_measured(ctx, Measured.COLD_SOAK_TEMPERATURE, why)
            return
        chamber = ctx.instruments.chamber
        probe = ctx.instruments.thermometer
        probe.configure_temperature()
        warm = probe.temperature()
        ctx.measure(Measurement(Measured.COLD_START_TEMPERATURE, "degC"), warm, instrument=probe)
        target = options.cold_test_temperature
        try:
            chamber.set_temperature(target)
            chamber.run()
            cold = soak(ctx, options)
            band = options.cold_soak_tolerance.m_as("delta_degC")
            if abs(cold.to("degC").magnitude - target.to("degC").magnitude) > band:
                # the station's chamber could not get the cells there: no verdict on the pack,
                # and a reading now would say nothing about plating (the soak trace shows it)
                why = say(
                    "skip.cold_not_reached",
                    reached=f"{cold.to('degC').magnitude:.1f} °C",
                    target=f"{target.to('degC').magnitude:.1f} °C",
                    duration=_duration(options.cold_soak_timeout),
                )
                record_not_measured(ctx, Measured.COLD_SOAK_TEMPERATURE, why, instrument=probe)
                return
            ctx.measure(soak_limits(options), cold, instrument=probe)
            read_cold(ctx, fixtures, options, cells, warm, cold)
        finally:
            chamber.standby()

    return cold_resistance


def _duration(span: Quantity) -> str:
    """``4 h``, or ``10 min`` below an hour: how an operator reads a soak time."""
    hours = span.m_as("h")
    return f"{hours:g} h" if hours >= 1.0 else f"{span.m_as('min'):.0f} min"


def soak_limits(options: DiagnosisOptions) -> Measurement:
    target = options.cold_test_temperature.to("degC").magnitude
    band = options.cold_soak_tolerance.m_as("delta_degC")
    return Measurement(
        Measured.COLD_SOAK_TEMPERATURE,
        "degC",
        low=Q_(target - band, "degC"),
        high=Q_(target + band, "degC"),
        nominal=Q_(target, "degC"),
        description="pack probe after the cold soak",
    )


def soak(ctx: StepContext, options: DiagnosisOptions) -> Quantity:
    """Wait until the pack's probe is within the tolerance of the set point (or time runs out)."""
    probe = ctx.instruments.thermometer
    target = options.cold_test_temperature.to("degC").magnitude
    band = options.cold_soak_tolerance.m_as("delta_degC")
    limit = options.cold_soak_timeout.m_as("s")
    elapsed = 0.0
    times: list[float] = []
    readings: list[float] = []
    reading = probe.temperature()
    while abs(reading.to("degC").magnitude - target) > band and elapsed < limit:
        ctx.clock.sleep(SOAK_INTERVAL_S)
        elapsed += SOAK_INTERVAL_S
        reading = probe.temperature()
        times.append(elapsed)
        readings.append(reading.to("degC").magnitude)
        ctx.progress(min(elapsed / limit, 1.0), elapsed_s=elapsed, temperature=reading)
    if times:
        ctx.record_trace("cold_soak", times, {"temperature": (readings, "°C")})
    return reading


def read_cold(
    ctx: StepContext,
    fixtures: FixtureChanger,
    options: DiagnosisOptions,
    cells: list[int],
    warm: Quantity,
    cold: Quantity,
) -> None:
    """Each cell cold, judged against its own warm reading times the healthy growth."""
    meter = ctx.instruments.resistance_meter
    growth = healthy_growth(warm, cold, options)
    for number in cells:
        fixtures.move_to("cell", number - 1)
        before = ctx.measurement(CellReading.RESISTANCE.of(number)).value
        if before is None or not math.isfinite(before):
            continue
        expected = Q_(before * growth, "mohm")
        limits = Measurement(
            CellReading.COLD_RESISTANCE.of(number),
            "mohm",
            high=expected * options.cold_growth_max,
            marginal_high=expected * options.cold_growth_warn,
            nominal=expected,
            description=f"1 kHz at the soak temperature; healthy growth x{growth:.2f}",
        )
        try:
            reading = meter.read()
        except (OverloadError, MeasurementFault):
            record_not_measured(
                ctx, CellReading.COLD_RESISTANCE.of(number), say("skip.cold_no_contact")
            )
            continue
        ctx.measure(limits, reading.resistance, instrument=meter)


MEASURES = (
    Declared(Measured.COLD_SOAK_TEMPERATURE, "degC", required=True),
    Declared(Measured.COLD_START_TEMPERATURE, "degC", description="pack probe before cooling"),
    Declared(CellReading.COLD_RESISTANCE.template, "mohm", description="1 kHz, each cell, cold"),
)
"""The soak is always accounted for (measured, or not measured with the reason); the cells
are read only after a soak that reached the set point."""
