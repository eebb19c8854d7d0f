"""What the diagnosis asks of the DC source channel wired to the pack, worked out from the spec.

A station must be able to refuse a spec before anything is opened (bench.source_choice): a
2S pack on a 6 V channel would otherwise end mid-run in a rating error. The figures here are
the largest settings the steps program, computed with the same constants the steps use:

* wake recharge: the charge voltage and 0.5C current, OVP at charge voltage + margin, OCP at
  the current's abort ceiling;
* diode probe (a pack that takes no charge): charge voltage + ``DIODE_PROBE_EXTRA``;
* board fixture: the over-charge sweep's top and its OVP (capped by the cells' ceiling).

The bare board's over-current and short items ask for more current than a bench source may
have; those are recorded as not measured when the source refuses, so they are not needs.

The load's need (``load_current_need``): the over-current ramps' top, on the closed pack
(``OC_END_FRACTION`` x trip) and on the bare board (``OC_TOP_FACTOR`` x the upper trip).
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments.units import Q_, Quantity
from procedures.diagnosis.board_currents import OC_TOP_FACTOR
from procedures.diagnosis.board_delays import STEP_ACROSS
from procedures.diagnosis.board_tests import (
    CELL_CEILING,
    MARGIN_V,
    OUTPUT_CURRENT_LIMIT,
    OUTPUT_OCP,
)
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.diagnosis.pack_tests import OC_END_FRACTION
from procedures.diagnosis.wake_recharge import DIODE_PROBE_EXTRA
from procedures.specs import PackSpec


@dataclass(frozen=True)
class SourceNeeds:
    """Largest voltage, OVP level, current limit and OCP level the diagnosis programs."""

    voltage: Quantity
    ovp: Quantity
    current: Quantity
    ocp: Quantity

    def describe(self) -> str:
        return (
            f"{self.voltage.to('V'):.2f~P} (OVP {self.ovp.to('V'):.2f~P}) at "
            f"{self.current.to('A'):.2f~P} (OCP {self.ocp.to('A'):.2f~P})"
        )


def source_needs(spec: PackSpec, options: DiagnosisOptions | None = None) -> SourceNeeds:
    """The settings a diagnosis of ``spec`` will ask of its source channel."""
    opts = options or DiagnosisOptions()
    charge, p, series = spec.charge, spec.protection, spec.product.series
    probe = charge.voltage + DIODE_PROBE_EXTRA
    per_cell = max(p.overcharge_detect_tolerance + Q_(MARGIN_V, "V"), STEP_ACROSS)
    board_top = (p.overcharge_detect + per_cell) * series
    cells_ceiling = (p.overcharge_detect + p.overcharge_detect_tolerance + CELL_CEILING) * series
    board_ovp = min(board_top + opts.over_voltage_margin, cells_ceiling)
    ceiling = charge.current * (1 + opts.current_tolerance) + Q_(0.05, "A")
    return SourceNeeds(
        voltage=max(charge.voltage, probe, board_top),
        ovp=max(
            charge.voltage + opts.over_voltage_margin, probe + opts.over_voltage_margin, board_ovp
        ),
        current=max(charge.current, charge.precharge_current, OUTPUT_CURRENT_LIMIT),
        ocp=max(ceiling, OUTPUT_OCP),
    )


def load_current_need(spec: PackSpec) -> Quantity:
    """The highest CC level the over-current tests set on the load."""
    p = spec.protection
    pack_top = p.overcurrent_trip * OC_END_FRACTION
    board_top = (p.overcurrent_trip + p.overcurrent_trip_tolerance) * OC_TOP_FACTOR
    need: Quantity = max(pack_top, board_top).to("A")
    return need
