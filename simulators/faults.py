"""The fault catalogue: named, reproducible returned units with the diagnosis they should get.

Each scenario is data, not code: where the cells start, how individual series positions differ,
and how the board differs. ``expected_*`` fields are the answer key a diagnosis test compares
against; ``symptom`` is the complaint category (DESIGN.md §1) the customer would report.

Start voltages may be stated relative to the spec's protection thresholds (``Level``), so one
scenario means the same thing on an NMC 1S pack and an LFP 4S pack.

Series imbalance needs at least two cells in series (``min_series``): on a 1S spec the bench
refuses it (``simulators.combine.fit_problem``) rather than build a 2S pack under a 1S spec.
Scenarios combine as ``a+b`` (``simulators.combine``); a combination carries its components.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from simulators.physics.board import BoardCondition
from simulators.physics.pack import CellCondition
from simulators.physics.parameters import PackParameters

Disposition = Literal[
    "recharge_and_return",
    "repair_board",
    "replace_board",
    "replace_cells",
    "scrap",
    "no_fault_found",
]
SYMPTOMS = (
    "cannot power on",
    "no charge/discharge",
    "shuts off after power-on",
    "no voltage or high internal resistance",
    "appearance",
    "dimensions",
    "short-circuit/fire",
    "explosion",
    "leakage",
    "other",
)


@dataclass(frozen=True)
class Level:
    """A cell voltage: ``offset`` volts from a protection threshold (or absolute if ``None``)."""

    offset: float
    reference: str | None = None

    def volts(self, pack: PackParameters) -> float:
        if self.reference is None:
            return self.offset
        return float(getattr(pack.protection, self.reference)) + self.offset


@dataclass(frozen=True)
class CellChange:
    """One series position that differs from the rest: its whole parallel group, or with
    ``member`` one cell of it (its neighbours stay fresh, and share the group's terminal)."""

    index: int = 0
    voltage: Level | None = None
    soc: float | None = None
    resistance_factor: float = 1.0
    capacity_factor: float = 1.0
    leak_resistance: float = math.inf
    self_discharge_factor: float = 1.0
    member: int | None = None
    thermal_resistance_factor: float = 1.0
    cold_resistance_factor: float = 1.0
    swelling_mm: float = 0.0


@dataclass(frozen=True)
class FaultScenario:
    name: str
    description: str
    symptom: str
    expected_root_cause: str
    expected_disposition: Disposition
    soc: float = 0.5
    """Start SOC of every cell not otherwise stated."""
    voltage: Level | None = None
    """Start open-circuit voltage of every cell (overrides ``soc``)."""
    cells: tuple[CellChange, ...] = ()
    board: BoardCondition = field(default_factory=BoardCondition)
    min_series: int = 1
    min_parallel: int = 1
    """A fault of one cell among parallel ones needs that many cells in parallel."""
    components: tuple[str, ...] = ()
    """Catalogue names a combined scenario was built from (empty for a catalogue entry)."""
    expected_findings: tuple[str, ...] = ()
    """Every root cause a combination should be found with (empty: ``expected_root_cause``)."""

    def __post_init__(self) -> None:
        if self.symptom not in SYMPTOMS:
            raise ValueError(f"fault {self.name}: symptom {self.symptom!r} not in {SYMPTOMS}")

    def cell_conditions(self, pack: PackParameters) -> list[CellCondition]:
        """Per-position start state and parameter changes, thresholds resolved for ``pack``.

        One condition per series position (its whole group), then one per changed parallel
        cell: that cell's change laid over its group's (start state included).
        """
        groups = {c.index: c for c in self.cells if c.member is None}
        conditions = []
        for index in range(pack.series):
            change = groups.get(index, CellChange(index=index))
            conditions.append(self._condition(pack, index, change, None))
        for member_change in self.cells:
            if member_change.member is None:
                continue
            base = groups.get(member_change.index, CellChange(index=member_change.index))
            overrides = {
                f.name: getattr(member_change, f.name)
                for f in fields(CellChange)
                if getattr(member_change, f.name) != getattr(_FRESH, f.name)
            }
            laid = replace(base, **overrides)
            conditions.append(self._condition(pack, laid.index, laid, laid.member))
        return conditions

    def _condition(
        self, pack: PackParameters, index: int, change: CellChange, member: int | None
    ) -> CellCondition:
        level = change.voltage or (self.voltage if change.soc is None else None)
        return CellCondition(
            index=index,
            soc=change.soc if change.soc is not None else self.soc,
            voltage=None if level is None else level.volts(pack),
            resistance_factor=change.resistance_factor,
            capacity_factor=change.capacity_factor,
            leak_resistance=change.leak_resistance,
            self_discharge_factor=change.self_discharge_factor,
            member=member,
            thermal_resistance_factor=change.thermal_resistance_factor,
            cold_resistance_factor=change.cold_resistance_factor,
            swelling_mm=change.swelling_mm,
        )


_FRESH = CellChange()
_UV = "overdischarge_detect"

_SCENARIOS = (
    FaultScenario(
        "healthy",
        "Good pack at storage charge; the complaint does not reproduce.",
        "cannot power on",
        "customer_misjudgement",
        "no_fault_found",
        soc=0.5,
    ),
    FaultScenario(
        "deep_discharge_uv",
        "Cells stored below the over-discharge threshold; IC in power-down, P+/P- reads ~0 V; "
        "a 0.5C charge flows through the discharge FET's body diode and wakes the pack.",
        "cannot power on",
        "over_discharge_in_storage",
        "recharge_and_return",
        voltage=Level(-0.25, _UV),
        board=BoardCondition(initial_state="power_down"),
    ),
    FaultScenario(
        "mosfet_latched",
        "Healthy cells, board self-locked with the discharge FET off; a charger on P+/P- "
        "releases it.",
        "cannot power on",
        "protection_latched",
        "recharge_and_return",
        soc=0.5,
        board=BoardCondition(initial_state="latched"),
    ),
    FaultScenario(
        "zero_volt_cell",
        "A cell at ~1.0 V, below the 0 V-charge threshold; the board inhibits charging, so no "
        "current flows and the pack never wakes.",
        "cannot power on",
        "cell_deeply_discharged",
        "scrap",
        soc=0.3,
        cells=(CellChange(index=0, voltage=Level(1.0)),),
        board=BoardCondition(initial_state="power_down", zero_volt_charge=False),
    ),
    FaultScenario(
        "internal_short",
        "Internally shorted cell (~3 Ohm leak): drained into UV, accepts charge but heats, "
        "never tapers to the end-of-charge current and loses voltage fast at rest.",
        "no voltage or high internal resistance",
        "cell_internal_short",
        "scrap",
        soc=0.3,
        cells=(CellChange(index=0, voltage=Level(-0.3, _UV), leak_resistance=3.0),),
        board=BoardCondition(initial_state="power_down"),
    ),
    FaultScenario(
        "aged_cell",
        "Aged cell: 1 kHz resistance 2.2x new, capacity 70 %; reaches CV early, sags under load.",
        "shuts off after power-on",
        "cell_aged_high_resistance",
        "replace_cells",
        soc=0.3,
        cells=(CellChange(index=0, resistance_factor=2.2, capacity_factor=0.7),),
    ),
    FaultScenario(
        "series_imbalance",
        "Series cells 35 % SOC apart: charge stops early on the highest cell's over-charge "
        "protection, discharge early on the lowest (needs 2S or more).",
        "shuts off after power-on",
        "cell_imbalance",
        "replace_cells",
        soc=0.5,
        cells=(CellChange(index=0, soc=0.15),),
        min_series=2,
    ),
    FaultScenario(
        "open_fuse",
        "Fuse open on the board: P+/P- reads 0 V, no charge current, cells are fine.",
        "cannot power on",
        "fuse_open",
        "repair_board",
        soc=0.5,
        board=BoardCondition(fuse_open=True),
    ),
    FaultScenario(
        "discharge_fet_open",
        "Discharge MOSFET failed open: no output, charging only through its body diode "
        "(~0.7 V extra drop).",
        "cannot power on",
        "discharge_mosfet_open",
        "replace_board",
        soc=0.5,
        board=BoardCondition(discharge_fet="open"),
    ),
    FaultScenario(
        "charge_fet_short",
        "Charge MOSFET failed short: no over-charge protection, charging continues past the "
        "over-charge threshold.",
        "other",
        "charge_mosfet_shorted",
        "replace_board",
        soc=0.6,
        board=BoardCondition(charge_fet="short"),
    ),
    FaultScenario(
        "overcurrent_protection_failed",
        "IC never trips on discharge over-current or short; a short is cut only when the "
        "fuse melts.",
        "short-circuit/fire",
        "overcurrent_protection_failed",
        "replace_board",
        soc=0.5,
        board=BoardCondition(overcurrent_detection=False),
    ),
    FaultScenario(
        "high_self_discharge",
        "Cell with a soft short: self-discharge ~100x normal (tens of mV per day at rest).",
        "cannot power on",
        "cell_high_self_discharge",
        "replace_cells",
        soc=0.3,
        cells=(CellChange(index=0, self_discharge_factor=100.0),),
    ),
    FaultScenario(
        "charge_fet_open",
        "Charge MOSFET failed open: discharge works (through its body diode) but no charge "
        "current flows.",
        "no charge/discharge",
        "charge_mosfet_open",
        "replace_board",
        soc=0.4,
        board=BoardCondition(charge_fet="open"),
    ),
    FaultScenario(
        "discharge_fet_short",
        "Discharge MOSFET failed short: over-discharge, over-current and short protection "
        "cannot cut the output.",
        "short-circuit/fire",
        "discharge_mosfet_shorted",
        "replace_board",
        soc=0.5,
        board=BoardCondition(discharge_fet="short"),
    ),
    FaultScenario(
        "soft_short_heating",
        "Cell with a recent soft internal short (~5 Ohm) that dissipates 2-3 W: the "
        "pack still arrives at a normal voltage, but once charging starts it heats past the "
        "charge temperature limit within minutes (the customer's pack got hot on the charger).",
        "short-circuit/fire",
        "cell_heats_under_charge",
        "scrap",
        soc=0.5,
        cells=(CellChange(index=0, leak_resistance=5.0),),
    ),
    FaultScenario(
        "load_held_overcurrent",
        "Healthy pack whose IC sits in over-current protection because the device was left "
        "connected; releases as soon as nothing loads the terminals.",
        "shuts off after power-on",
        "device_overcurrent",
        "no_fault_found",
        soc=0.5,
        board=BoardCondition(initial_state="overcurrent"),
    ),
)

_NEW_SINGLE_CELL = (
    FaultScenario(
        "parallel_cell_soft_short",
        "One cell of a parallel pair with a soft internal short (~5 Ohm): its neighbour feeds "
        "the leak through the shared terminal, so the group still reads a normal voltage, but "
        "the shorted cell dissipates 2-3 W on its own thermal mass and heats past the charge "
        "temperature limit once charging starts (needs 2 or more cells in parallel).",
        "short-circuit/fire",
        "cell_heats_under_charge",
        "scrap",
        soc=0.5,
        cells=(CellChange(index=0, member=0, leak_resistance=5.0),),
        min_parallel=2,
    ),
    FaultScenario(
        "parallel_cell_aged",
        "One cell of a parallel pair aged (1 kHz resistance 2.2x new, capacity 70 %), its "
        "neighbour healthy: at the connector the pair reads only ~1.4x a new pair; the opened "
        "pack's per-cell reading finds the worn cell (needs 2 or more cells in parallel).",
        "shuts off after power-on",
        "cell_aged_high_resistance",
        "replace_cells",
        soc=0.3,
        cells=(CellChange(index=0, member=0, resistance_factor=2.2, capacity_factor=0.7),),
        min_parallel=2,
    ),
    FaultScenario(
        "lithium_plating",
        "A cell charged in the cold has plated lithium: capacity down to 60 %, resistance 1.5x "
        "new at 25 °C and 3x at 0 °C and below (the pack shuts off in the cold).",
        "shuts off after power-on",
        "cell_lithium_plating",
        "replace_cells",
        soc=0.3,
        cells=(
            CellChange(
                index=0,
                member=0,
                resistance_factor=1.5,
                capacity_factor=0.6,
                cold_resistance_factor=3.0,
            ),
        ),
    ),
    FaultScenario(
        "swollen_cell",
        "A swollen cell (gas from electrolyte decomposition): resistance 2.5x new, capacity "
        "85 %, and it sheds heat half as well (lost contact with holder and neighbours), so it "
        "runs warm under charge; the case bulges 1.5 mm (what the operator sees, on the closed "
        "pack and on the opened cells).",
        "dimensions",
        "cell_swollen",
        "scrap",
        soc=0.3,
        cells=(
            CellChange(
                index=0,
                member=0,
                resistance_factor=2.5,
                capacity_factor=0.85,
                thermal_resistance_factor=2.0,
                swelling_mm=1.5,
            ),
        ),
    ),
)

CATALOGUE: dict[str, FaultScenario] = {s.name: s for s in (*_SCENARIOS, *_NEW_SINGLE_CELL)}


def scenario(name: str) -> FaultScenario:
    """The named scenario; an unknown name raises ``KeyError`` listing the valid ones."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(
            f"unknown fault scenario {name!r}; valid names: {', '.join(CATALOGUE)}"
        ) from None
