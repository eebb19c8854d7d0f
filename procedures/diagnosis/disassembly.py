"""Step 5a: open the pack and measure every cell (1 kHz resistance and voltage together).

Every cell is read on its own, parallel ones too: the fixture contacts one cell with its
parallel strip lifted (``cell<n>``, series position by position; on a 1S2P pack cell1 and cell2
are the two parallel cells), so one aged or shorted cell of a group shows against its own new
resistance instead of hiding behind its healthy neighbour.

Cell limits follow battery-domain §6: marginal above 1.5x the new resistance, fail above 2x; a
cell below the spec's 0 V-charge minimum must not be charged again (fail), one below the
discharge cutoff is marginal. With several cells in series their spread is judged too, since an
imbalanced pack trips on its highest cell while charging and its lowest while discharging.

Once the pack is open the operator looks at the cells, with the appearance checklist's swelling
question (``procedures.appearance``): a bulge hidden by the wrap shows now. A bulge fails
``cell_swelling``, and then each cell is looked at as the fixture reaches it
(``cell<n>_swelling``), so the rules can tie the bulge to that cell's electrical readings.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.errors import MeasurementFault, OverloadError
from instruments.units import Q_
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.vocabulary import CellReading, Measured, Swelling
from procedures.measurements import CategoricalMeasurement, Measurement

CONFIRM_ID = "disassembly_confirm"
CELL_REST = Q_(10.0, "min")
"""Rest before the cells are read: a cell's voltage is judged at rest, and the pack tests'
loads leave a DC polarisation behind (the charge transfer's within milliseconds, the first RC
pair's within minutes: tau1 15-75 s in the DFN fit, ``simulators/physics/cell_tables``). Read at
once after a 20 A ramp, a worn cell showed volts of overpotential as a collapsed cell. Opening a
pack takes a person longer than this anyway."""

SWELLING_ID = Measured.CELL_SWELLING.value
"""Question id (and record name) of the look at the opened cells."""
SWELLING_OPTIONS = (Swelling.NONE.value, Swelling.PRESENT.value)
SWELLING_QUESTION = (
    "Look at the opened cells: is any cell swollen (bulged can or pouch, wrap split by it)?"
)


def swelling(name: str, description: str) -> CategoricalMeasurement:
    """A bulge fails: a swollen cell is a safety finding whatever it reads electrically."""
    return CategoricalMeasurement(
        name, SWELLING_OPTIONS, passing=(Swelling.NONE.value,), description=description
    )


def make_disassembly(
    fixtures: FixtureChanger, options: DiagnosisOptions
) -> Callable[[StepContext], None]:
    def disassembly(ctx: StepContext) -> None:
        """Open the pack (operator confirms), then each cell's voltage and 1 kHz resistance."""
        spec = ctx.spec
        cell = spec.cell
        ctx.prompt.confirm(
            CONFIRM_ID,
            "The fault is not explained by the closed-pack tests: open the pack "
            "(remove the wrap, keep the board connected to the cells) and confirm.",
        )
        ctx.clock.sleep(CELL_REST.m_as("s"))
        bulge = ctx.prompt.choice(SWELLING_ID, SWELLING_QUESTION, SWELLING_OPTIONS)
        ctx.measure(swelling(SWELLING_ID, "operator's look at the opened cells"), bulge)
        meter = ctx.instruments.resistance_meter
        # the fixture touches one cell at a time, parallel ones too
        new = cell.ac_resistance_new
        meter.configure(new * cell.ac_resistance_reject_factor * 4, cell.charge_voltage * 1.5)
        voltages: list[float] = []
        for index in range(spec.product.series * spec.product.parallel):
            fixtures.move_to("cell", index)
            name = f"cell{index + 1}"
            if bulge == Swelling.PRESENT:
                look = CellReading.SWELLING.of(index + 1)
                answer = ctx.prompt.choice(
                    look, f"Is cell {index + 1} (the one on the fixture) swollen?", SWELLING_OPTIONS
                )
                ctx.measure(swelling(look, f"operator's look at cell {index + 1}"), answer)
            voltage = Measurement(
                f"{name}_voltage",
                "V",
                low=spec.charge.zero_volt_min,
                high=cell.charge_voltage + Q_(0.05, "V"),
                marginal_low=cell.discharge_cutoff,
            )
            resistance = Measurement(
                f"{name}_resistance",
                "mohm",
                high=new * cell.ac_resistance_reject_factor,
                marginal_high=new * cell.ac_resistance_warn_factor,
                nominal=new,
            )
            try:
                reading = meter.read()
            except (OverloadError, MeasurementFault):
                ctx.measure(
                    CategoricalMeasurement(
                        CellReading.CONTACT.of(index + 1), ("open",), passing=()
                    ),
                    "open",
                    instrument=meter,
                )
                continue
            ctx.measure(voltage, reading.voltage, instrument=meter)
            ctx.measure(resistance, reading.resistance, instrument=meter)
            voltages.append(reading.voltage.m_as("V"))
        if len(voltages) > 1:
            spread = Measurement("cell_voltage_spread", "V", high=options.cell_spread_max)
            ctx.measure(spread, Q_(max(voltages) - min(voltages), "V"), instrument=meter)

    return disassembly


__all__ = ["CONFIRM_ID", "SWELLING_ID", "make_disassembly"]


MEASURES = (
    Declared(CellReading.VOLTAGE.template, "V", description="each cell, opened pack"),
    Declared(CellReading.RESISTANCE.template, "mohm", description="1 kHz, each cell"),
    Declared(CellReading.CONTACT.template, description="a cell the fixture could not contact"),
    Declared(Measured.CELL_VOLTAGE_SPREAD, "V"),
    Declared(
        Measured.CELL_SWELLING,
        required=True,
        limits=lambda spec: swelling(SWELLING_ID, "operator's look at the opened cells"),
    ),
    Declared(CellReading.SWELLING.template, description="operator's look at one cell"),
)
"""A cell without contact is recorded as ``cell<n>_contact`` instead, a 1S pack has no
spread, and each cell is looked at only when a bulge was seen, so only the look at the opened
cells is required."""
