"""Step 2: the open-circuit voltage at P+/P-, as received and after a short unloaded rest.

Two readings, because a board held in over-current protection by the customer's device releases
as soon as nothing loads the terminals: "zero as received, normal after the rest" is evidence of
the device, not of the pack. The category is recorded but not judged: a low pack is a finding
for the rules, not a reject by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.units import Q_, Quantity
from procedures.context import StepContext
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.specs import PackSpec

CATEGORIES = ("zero", "low", "normal", "high")


def categorise(voltage: Quantity, spec: PackSpec) -> str:
    """zero / low / normal / high against the spec's window (pack values, battery-domain §6)."""
    limits = spec.pack
    if voltage < limits.voltage_zero:
        return "zero"
    if voltage < limits.voltage_low * spec.product.series:
        return "low"
    if voltage > limits.voltage_high * spec.product.series:
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

    return voltage_check
