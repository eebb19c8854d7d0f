"""Step 2: the open-circuit voltage at P+/P-, as received and after a short unloaded rest.

Then plausibility before energy (``plausibility``): a reading no pack of the declared spec can
show stops the diagnosis here, before any output goes on.

Two readings, because a board held in over-current protection by the customer's device releases
as soon as nothing loads the terminals: "zero as received, normal after the rest" is evidence of
the device, not of the pack. The category is recorded but not judged: a low pack is a finding
for the rules, not a reject by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis import plausibility
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.vocabulary import Measured, VoltageCategory
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.specs import PackSpec

CATEGORIES = tuple(VoltageCategory)


def categorise(voltage: Quantity, spec: PackSpec) -> str:
    """zero / low / normal / high against the spec's window (pack values, battery-domain §6).

    ``[pack]`` voltages are stated for the whole pack (the 4S spec's 10 V is 2.5 V per cell),
    so they are compared as they stand, never multiplied by the series count again.
    """
    limits = spec.pack
    if voltage < limits.voltage_zero:
        return "zero"
    if voltage < limits.voltage_low:
        return "low"
    if voltage > limits.voltage_high:
        return "high"
    return "normal"


def make_voltage_check(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    as_received = Measurement("voltage_as_received", "V", description="P+/P- on arrival")
    rested = Measurement("voltage_rested", "V", description="P+/P- after an unloaded rest")
    category_received = CategoricalMeasurement("voltage_category_as_received", CATEGORIES)
    category = CategoricalMeasurement("voltage_category", CATEGORIES)

    def voltage_check(ctx: StepContext) -> None:
        """Multimeter at P+/P-: categorise the pack voltage against the spec window."""
        fixtures.move_to("pack")
        dmm = ctx.instruments.multimeter
        dmm.configure_dc_voltage(Q_(10.0 * ctx.spec.product.series, "V"), nplc=1)
        first = dmm.dc_voltage()
        ctx.measure(as_received, first, instrument=dmm)
        ctx.measure(category_received, categorise(first, ctx.spec))
        ctx.clock.sleep(options.receive_rest.m_as("s"))
        second = dmm.dc_voltage()
        ctx.measure(rested, second, instrument=dmm)
        ctx.measure(category, categorise(second, ctx.spec))
        plausibility.judge(ctx, max(first, second))

    return voltage_check


MEASURES = (
    Declared(Measured.VOLTAGE_AS_RECEIVED, "V", required=True, description="P+/P- on arrival"),
    Declared(Measured.VOLTAGE_CATEGORY_AS_RECEIVED, required=True),
    Declared(Measured.VOLTAGE_RESTED, "V", required=True, description="P+/P- after a rest"),
    Declared(Measured.VOLTAGE_CATEGORY, required=True),
    Declared(
        Measured.PACK_VOLTAGE_PLAUSIBILITY,
        "V",
        required=True,
        limits=plausibility.plausibility_limit,
        description="highest P+/P- reading against what a pack of the spec can show",
    ),
)
"""Both readings, their categories and the plausibility are taken on every path."""
