"""The diagnosis's names and words, as enums the steps and rules share.

The rules used to read measurements by string (``f.text("wake_respone")`` would silently read
``None`` and switch a rule off). Now a rule names a ``Measured`` member, which mypy checks, and
``tests/procedures/test_declared_diagnosis.py`` checks that every member is declared by a step
of the diagnosis. The values are ``StrEnum``s: they compare equal to, format as and are stored as
exactly the strings they replace, so records and the database do not change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NewType


class Measured(StrEnum):
    """Every measurement the rules and the sequence read (the per-cell ones: ``CellReading``)."""

    # intake
    USAGE_CHARGER = "usage_charger"
    USAGE_TEMPERATURE = "usage_temperature"
    USAGE_LOCATION = "usage_location"
    USAGE_TIME_IN_USE = "usage_time_in_use"
    PACK_SWELLING = "pack_swelling"
    # voltage_check
    VOLTAGE_AS_RECEIVED = "voltage_as_received"
    VOLTAGE_RESTED = "voltage_rested"
    VOLTAGE_CATEGORY = "voltage_category"
    VOLTAGE_CATEGORY_AS_RECEIVED = "voltage_category_as_received"
    PACK_VOLTAGE_PLAUSIBILITY = "pack_voltage_plausibility"
    # wake_recharge
    WAKE_RESPONSE = "wake_response"
    WAKE_VOLTAGE = "wake_voltage"
    CHARGE_END = "charge_end"
    CHARGE_FINAL_CURRENT = "charge_final_current"
    VOLTAGE_FALL_UNDER_CHARGE = "voltage_fall_under_charge"
    DIODE_PROBE_CURRENT = "diode_probe_current"
    CHARGE_TEMPERATURE = "charge_temperature"
    CHARGE_CAPACITY = "charge_capacity"
    # capacity_check
    DISCHARGE_CAPACITY = "discharge_capacity"
    # pack_tests
    PACK_PATH = "pack_path"
    PACK_RESISTANCE = "pack_resistance"
    OCV_RESTED = "ocv_rested"
    OCV_AFTER_REST = "ocv_after_rest"
    OCV_AFTER_RELEASE = "ocv_after_release"
    SELF_DISCHARGE_RATE = "self_discharge_rate"
    OVERCURRENT_PROTECTION = "overcurrent_protection"
    OVERCURRENT_TRIP_CURRENT = "overcurrent_trip_current"
    OVERCURRENT_MAX_TESTED = "overcurrent_max_tested"
    OVERCURRENT_DELAY_STEP = "overcurrent_delay_step"
    OVERCURRENT_DELAY_CUT = "overcurrent_delay_cut"
    SHORT_CIRCUIT_PROTECTION = "short_circuit_protection"
    SHORT_CIRCUIT_CUT_TIME = "short_circuit_cut_time"
    PACK_TEST_TEMPERATURE = "pack_test_temperature"
    # disassembly
    CELL_VOLTAGE_SPREAD = "cell_voltage_spread"
    CELL_SWELLING = "cell_swelling"
    # cold_resistance
    COLD_START_TEMPERATURE = "cold_start_temperature"
    COLD_SOAK_TEMPERATURE = "cold_soak_temperature"
    # board_tests
    BOARD_OUTPUT = "board_output"
    BOARD_OUTPUT_DROP = "board_output_drop"
    BOARD_LOOP = "board_loop"
    BOARD_LOOP_RESISTANCE = "board_loop_resistance"
    BOARD_OVERCHARGE_CUT = "board_overcharge_cut"
    BOARD_OVERCHARGE_MAX_TESTED = "board_overcharge_max_tested"
    BOARD_OVERDISCHARGE_CUT = "board_overdischarge_cut"
    BOARD_OVERCURRENT_PROTECTION = "board_overcurrent_protection"
    BOARD_SHORT_CIRCUIT_PROTECTION = "board_short_circuit_protection"
    BOARD_TEST_TEMPERATURE = "board_test_temperature"


class CellReading(StrEnum):
    """Per-cell measurements of the opened pack: ``cell<n>_<reading>`` (``disassembly``)."""

    VOLTAGE = "voltage"
    RESISTANCE = "resistance"
    CONTACT = "contact"
    """Recorded instead of the two above when the fixture found no contact (``open``)."""
    SWELLING = "swelling"
    """The operator's look at this cell, asked only when ``cell_swelling`` found a bulge."""
    COLD_RESISTANCE = "cold_resistance"
    """1 kHz again after the cold soak (``cold_resistance``), where the station can."""

    @property
    def template(self) -> str:
        """The declared name, with ``{cell}`` for the cell's number (``procedures.declared``)."""
        return f"cell{{cell}}_{self.value}"

    def of(self, cell: int) -> CellName:
        """The record name of this reading for cell ``cell`` (1-based, series-major)."""
        return CellName(f"cell{cell}_{self.value}")


CellName = NewType("CellName", str)
"""A per-cell record name, made only by ``CellReading.of``."""


class WakeResponse(StrEnum):
    """How the pack answered the wake charge (``wake_response``)."""

    UNDER_VOLTAGE = "under_voltage"
    LATCHED = "latched"
    NORMAL = "normal"
    NO_RESPONSE = "no_response"


class ChargeEnd(StrEnum):
    """Why the recharge ended (``charge_end``); ``cut_off``: the current stopped early."""

    TAPER = "taper"
    CUT_OFF = "cut_off"
    TIME_LIMIT = "time_limit"
    NO_CURRENT = "no_current"


class VoltageCategory(StrEnum):
    """The pack voltage against the spec's window (``voltage_category``)."""

    ZERO = "zero"
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class OvercurrentResult(StrEnum):
    """The closed pack's over-current test (``overcurrent_protection``)."""

    TRIPPED = "tripped"
    NOT_TRIPPED = "not_tripped"
    NO_OUTPUT = "no_output"


class Cut(StrEnum):
    """Did a protection cut the output (short circuit, the bare board's sweeps)."""

    CUT = "cut"
    NOT_CUT = "not_cut"


class Conduction(StrEnum):
    """A conduction path (``pack_path``, ``board_loop``)."""

    CLOSED = "closed"
    OPEN = "open"


class BoardOutput(StrEnum):
    """What the bare board passes to its output (``board_output``)."""

    THROUGH = "through"
    DIODE_DROP = "diode_drop"
    NONE = "none"


class RootCause(StrEnum):
    """The root causes the rules can conclude (the manual's cause list, plus ``undetermined``)."""

    CUSTOMER_MISJUDGEMENT = "customer_misjudgement"
    DEVICE_OVERCURRENT = "device_overcurrent"
    OVER_DISCHARGE_IN_STORAGE = "over_discharge_in_storage"
    PROTECTION_LATCHED = "protection_latched"
    CELL_DEEPLY_DISCHARGED = "cell_deeply_discharged"
    CELL_INTERNAL_SHORT = "cell_internal_short"
    CELL_AGED_HIGH_RESISTANCE = "cell_aged_high_resistance"
    CELL_IMBALANCE = "cell_imbalance"
    CELL_HIGH_SELF_DISCHARGE = "cell_high_self_discharge"
    FUSE_OPEN = "fuse_open"
    DISCHARGE_MOSFET_OPEN = "discharge_mosfet_open"
    CHARGE_MOSFET_OPEN = "charge_mosfet_open"
    CHARGE_MOSFET_SHORTED = "charge_mosfet_shorted"
    DISCHARGE_MOSFET_SHORTED = "discharge_mosfet_shorted"
    OVERCURRENT_PROTECTION_FAILED = "overcurrent_protection_failed"
    CELL_HEATS_UNDER_CHARGE = "cell_heats_under_charge"
    CELL_SWOLLEN = "cell_swollen"
    CELL_LITHIUM_PLATING = "cell_lithium_plating"
    UNDETERMINED = "undetermined"


class Disposition(StrEnum):
    """What happens to the unit, from least to most severe (declaration order is severity)."""

    NO_FAULT_FOUND = "no_fault_found"
    RECHARGE_AND_RETURN = "recharge_and_return"
    REPAIR_BOARD = "repair_board"
    REPLACE_BOARD = "replace_board"
    REPLACE_CELLS = "replace_cells"
    SCRAP = "scrap"


class Symptom(StrEnum):
    """The manual's complaint categories."""

    CANNOT_POWER_ON = "cannot power on"
    SHUTS_OFF_AFTER_POWER_ON = "shuts off after power-on"
    NO_VOLTAGE_OR_HIGH_RESISTANCE = "no voltage or high internal resistance"
    NO_CHARGE_DISCHARGE = "no charge/discharge"
    DIMENSIONS = "dimensions"
    SHORT_CIRCUIT_FIRE = "short-circuit/fire"
    OTHER = "other"


class CauseCategory(StrEnum):
    """The manual's cause list (proposed to QA)."""

    CUSTOMER_MISJUDGEMENT = "customer misjudgement"
    CUSTOMER_STORAGE_OR_HANDLING = "customer storage or handling"
    FAILURE_AFTER_USE = "failure after use"
    MANUFACTURING = "manufacturing"


class ConclusionKind(StrEnum):
    """The kinds of ``Conclusion`` the diagnosis states."""

    ROOT_CAUSE = "root_cause"
    CONTRIBUTING = "contributing"
    SYMPTOM = "symptom"
    DISPOSITION = "disposition"
    CAUSE_CATEGORY = "cause_category"
    ADVICE = "advice"


class Swelling(StrEnum):
    """The operator's answer on the opened cells (the appearance checklist's words)."""

    NONE = "none"
    PRESENT = "present"


class UsageAnswer(StrEnum):
    """The intake answers the advice depends on."""

    THIRD_PARTY_CHARGER = "third_party"
    HOT = "hot"
    VEHICLE = "vehicle"
