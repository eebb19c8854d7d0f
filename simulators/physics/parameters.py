"""The numbers that define one simulated pack, kept apart from the state that evolves in time.

A spec file (``simulators.spec_file``) and the fault catalogue both produce these; the physics
only reads them. Values are SI floats (volts, amps, ohms, seconds) except capacity, which stays
in ampere-hours because every datasheet and spec states it so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Chemistry = Literal["NMC", "LCO", "LFP"]
CHEMISTRIES: tuple[Chemistry, ...] = ("NMC", "LCO", "LFP")
CellDynamics = Literal["fixed", "fitted"]


@dataclass(frozen=True)
class ProtectionParameters:
    """Per-cell thresholds of the protection IC (S-8254 class boards use the same per cell)."""

    ic: str = "DW01A"
    overcharge_detect: float = 4.30
    overcharge_detect_tolerance: float = 0.05
    overcharge_release: float = 4.10
    overcharge_release_tolerance: float = 0.05
    overcharge_delay: float = 1.15
    overcharge_delay_tolerance: float = 0.23
    overdischarge_detect: float = 2.40
    overdischarge_detect_tolerance: float = 0.05
    overdischarge_release: float = 3.0
    overdischarge_release_tolerance: float = 0.1
    overdischarge_delay: float = 0.144
    overdischarge_delay_tolerance: float = 0.029
    overcurrent_detect_voltage: float = 0.150
    overcurrent_trip: float = 3.0
    """Pack trip current at nominal cell voltage: calibrates the MOSFETs' on-resistance."""
    overcurrent_delay: float = 0.009
    overcurrent_delay_tolerance: float = 0.002
    short_circuit_detect_voltage: float = 1.2
    short_circuit_delay: float = 320e-6
    short_circuit_delay_max: float = 380e-6
    mosfet_on_resistance: float = 0.025
    main_loop_resistance_max: float = 0.065
    fuse_resistance: float = 0.010
    """Cold resistance of the board's fuse (the spec's figure; part of the main loop)."""
    trace_resistance: float = 0.005
    """Copper and joints B- to P- besides the MOSFETs and the fuse (the spec's figure)."""
    self_consumption: float = 3.5e-6
    zero_volt_charge: bool = False
    zero_volt_inhibit: float = 1.5
    """Below this cell voltage the IC keeps the charge FET off (when 0 V charge is inhibited)."""
    power_down_after_overdischarge: bool = True
    fuse_rating: float = 10.0


@dataclass(frozen=True)
class PackParameters:
    """One pack model as its spec states it; per-cell faults are applied on top by the bench."""

    model: str = "PB-1S2P-18650-5200"
    chemistry: Chemistry = "NMC"
    series: int = 1
    parallel: int = 2
    cell_capacity_ah: float = 2.6
    cell_nominal_voltage: float = 3.6
    cell_charge_voltage: float = 4.2
    cell_discharge_cutoff: float = 2.75
    cell_ac_resistance_new: float = 0.025
    """Datasheet maximum for a new cell; a typical simulated cell sits at 80 % of it."""
    self_discharge_per_month: float = 0.02
    charge_voltage: float = 4.2
    charge_current: float = 2.6
    cell_dynamics: CellDynamics = "fitted"
    """``fitted`` (the default): the cells' DC dynamics from the DFN fit (``cell_tables``,
    judged by ``make fidelity``), whose 0.1 s / 10 s resistance is about twice the 1 kHz figure;
    ``fixed``: the earlier R0 = 1 kHz figure with two fixed RC pairs, kept for comparison. What
    the faithful cells changed in the diagnosis, and why, is in docs/simulated-pack.md
    ("The fitted cells as the default")."""
    protection: ProtectionParameters = field(default_factory=ProtectionParameters)

    def __post_init__(self) -> None:
        if self.chemistry not in CHEMISTRIES:
            raise ValueError(
                f"pack {self.model}: chemistry {self.chemistry!r} is not simulated; "
                f"use one of {', '.join(CHEMISTRIES)}"
            )
        if self.series < 1 or self.parallel < 1:
            raise ValueError(
                f"pack {self.model}: series ({self.series}) and parallel ({self.parallel}) "
                "must both be at least 1"
            )
        if self.cell_capacity_ah <= 0:
            raise ValueError(f"pack {self.model}: cell capacity must be positive")

    @property
    def capacity_ah(self) -> float:
        return self.cell_capacity_ah * self.parallel


DEFAULT_PACK = PackParameters()
"""The numbers of procedures/specs/PB-1S2P-18650-5200.toml, copied (simulators may not import
procedures, and a copy keeps the simulator independent of the judging side)."""
