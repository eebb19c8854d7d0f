"""Moving the unit between the pack, board and cell fixtures, and the options of the sequence.

On a real bench a person moves the pack; under simulation the control endpoint does. The steps
only call ``FixtureChanger.move_to``, so neither the steps nor this package import ``simulators``:
``ControlFixtures`` speaks the endpoint's line protocol through anything with ``request`` (the
``SimulatedClock`` already holds that connection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from instruments.units import Q_, Quantity
from procedures.prompts import Prompts

FixtureName = Literal["pack", "board", "cell"]
FIXTURE_TEXT = {
    "pack": "the pack fixture (P+/P- of the closed pack)",
    "board": "the board fixture (bare protection board, source on B+/B-)",
    "cell": "the cell fixture",
}


class FixtureChanger(Protocol):
    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        """Put the unit (or cell ``cell_index``, series-major) on fixture ``name``; wait for it."""
        ...


class ControlEndpoint(Protocol):
    def request(self, line: str) -> dict[str, Any]: ...


class ControlFixtures:
    """Simulated bench: the control endpoint's ``FIXTURE`` command moves the unit."""

    def __init__(self, endpoint: ControlEndpoint) -> None:
        self.endpoint = endpoint

    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        self.endpoint.request(f"FIXTURE {name} {cell_index}")


class OperatorFixtures:
    """Real bench: the operator moves the unit and confirms (question id ``fixture_<name>``)."""

    def __init__(self, prompts: Prompts) -> None:
        self.prompts = prompts

    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        where = FIXTURE_TEXT[name]
        if name == "cell":
            where = f"{where}, cell {cell_index + 1} (parallel strip lifted)"
        self.prompts.confirm(f"fixture_{name}_{cell_index}", f"Place the unit on {where}.")


@dataclass(frozen=True)
class DiagnosisOptions:
    """Knobs of the sequence; defaults follow battery-domain §6 and the manual's practice.

    ``abort_voltage_margin`` puts the recharge's software abort limit above the pack's charge
    voltage; ``over_voltage_margin`` puts the source's hardware OVP above it, as the backstop
    should the software not get to look in time. A test may lower the abort limit to provoke it.
    """

    source_channel: int = 1
    """The DC-source channel wired to the fixture (station file: ``fixture.source_channel``)."""
    max_temperature: Quantity | None = None
    """The station's ``[limits] max_temperature``; the over-temperature abort uses the lower of
    it and the cells' window (``temperature_watch``); ``None``: not set in the station file."""
    sample_interval: Quantity = field(default_factory=lambda: Q_(60.0, "s"))
    over_voltage_margin: Quantity = field(default_factory=lambda: Q_(0.15, "V"))
    abort_voltage_margin: Quantity = field(default_factory=lambda: Q_(0.1, "V"))
    no_current_timeout: Quantity = field(default_factory=lambda: Q_(300.0, "s"))
    no_current_level: Quantity = field(default_factory=lambda: Q_(0.01, "A"))
    current_tolerance: float = 0.25
    """Abort when the charge current exceeds its setpoint by this fraction (+ 50 mA)."""
    wake_settle: Quantity = field(default_factory=lambda: Q_(1.0, "s"))
    receive_rest: Quantity = field(default_factory=lambda: Q_(2.0, "s"))
    """Rest with the terminals unloaded before the second voltage reading."""
    relax_rest: Quantity = field(default_factory=lambda: Q_(1.0, "h"))
    self_discharge_rest: Quantity = field(default_factory=lambda: Q_(24.0, "h"))
    self_discharge_factor: float = 5.0
    """Allowed self-discharge: this many times the cell datasheet's monthly figure."""
    cell_spread_max: Quantity = field(default_factory=lambda: Q_(0.1, "V"))
    source_current_resolution: Quantity | None = None
    """The station's DC source current readback resolution (the role does not tell it).

    ``None``: not declared, so the board's self-consumption (µA) is recorded as not measured.
    """
    recharge_stall_tolerance: Quantity = field(default_factory=lambda: Q_(0.02, "V"))
    """Per cell: the terminal counts as held at the source's setpoint within this."""
    discharge_capacity_check: bool = False
    """Add the discharge capacity check after the wake recharge (``capacity.py``): 0.5C to the
    cut-off with the station's load, then a full recharge. Hours on a real bench, so asked for."""
    cold_test_temperature: Quantity = field(default_factory=lambda: Q_(0.0, "degC"))
    """Set point of the cold resistance check (``cold_resistance``): where plating shows."""
    cold_soak_tolerance: Quantity = field(default_factory=lambda: Q_(1.0, "delta_degC"))
    """The cells count as soaked once the pack's probe is this close to the set point."""
    cold_soak_timeout: Quantity = field(default_factory=lambda: Q_(4.0, "h"))
    resistance_doubling: Quantity = field(default_factory=lambda: Q_(25.0, "delta_degC"))
    """A healthy cell's 1 kHz resistance doubles for every this many kelvin colder
    (battery-domain §6.2: roughly doubles from 25 to 0 degC [E])."""
    cold_growth_warn: float = 1.3
    cold_growth_max: float = 1.6
    """A cell's cold reading above its warm one times the healthy growth, times these factors:
    marginal, then fail (a plated cell reads about three times the healthy growth at 0 degC)."""
    allow_charge_without_temperature: bool = False
    """The station file's explicit consent to energise the pack with no temperature channel."""
