"""The diagnosis rules on synthetic records: each root cause from the evidence that proves it.

No bench: a run is faked as the latest record of each measurement, built with the same
``Measurement``/``CategoricalMeasurement`` declarations the steps use, so verdicts are real.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from instruments.units import Q_
from procedures.clock import RealClock
from procedures.context import BenchInstruments, RunState, RunView
from procedures.diagnosis.rules import OUTCOMES, diagnose
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.prompts import ScriptedPrompts
from procedures.specs import SPEC_DIR, PackSpec, load_spec

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def spec() -> PackSpec:
    return load_spec(SPEC_DIR / "PB-1S2P-18650-5200.toml")


class Run:
    def __init__(self, spec: PackSpec) -> None:
        self.state = RunState(
            "diagnosis",
            BenchInstruments(),
            ScriptedPrompts({}),
            RealClock(),
            spec,
            logging.getLogger("test"),
        )

    def text(self, step: str, name: str, value: str, passing: tuple[str, ...] | None = None):  # type: ignore[no-untyped-def]
        record = CategoricalMeasurement(name, passing=passing).validate(value, timestamp=NOW)
        self.state.latest[name] = (step, record)
        return self

    def number(self, step: str, name: str, value: float, unit: str, **limits: float):  # type: ignore[no-untyped-def]
        declared = Measurement(name, unit, **{k: Q_(v, unit) for k, v in limits.items()})
        self.state.latest[name] = (step, declared.validate(Q_(value, unit), timestamp=NOW))
        return self

    def healthy(self) -> Run:
        self.text("voltage_check", "voltage_category_as_received", "normal")
        self.text("voltage_check", "voltage_category", "normal")
        self.number("voltage_check", "voltage_rested", 3.74, "V")
        self.text("wake_recharge", "wake_response", "normal")
        self.text("wake_recharge", "charge_end", "taper")
        self.number("wake_recharge", "voltage_fall_under_charge", 0.0, "V", high=0.05)
        self.number("pack_tests", "self_discharge_rate", 1.5, "mV/d", high=4.8)
        self.number("pack_tests", "pack_resistance", 76, "mohm", high=120)
        self.text("pack_tests", "overcurrent_protection", "tripped", ("tripped",))
        self.number("disassembly", "cell1_resistance", 10, "mohm", marginal_high=18.75, high=25)
        self.number("disassembly", "cell1_voltage", 4.17, "V", low=1.5)
        self.text("disassembly", "cell_swelling", "none", ("none",))
        self.text("intake", "pack_swelling", "none", ("none",))
        self.text("board_tests", "board_output", "through", ("through",))
        self.text("board_tests", "board_loop", "closed")
        self.text("board_tests", "board_overcharge_cut", "cut", ("cut",))
        self.text("board_tests", "board_overdischarge_cut", "cut", ("cut",))
        return self

    def conclusions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in diagnose(RunView(self.state)):
            out.setdefault(c.kind, []).append(c.value)
        return out

    def root(self) -> str:
        return self.conclusions()["root_cause"][0]


def test_all_passing_is_no_fault_found(spec: PackSpec) -> None:
    result = Run(spec).healthy().conclusions()
    assert result["root_cause"] == ["customer_misjudgement"]
    assert result["disposition"] == ["no_fault_found"]
    assert result["symptom"] == ["cannot power on"]
    assert result["cause_category"] == ["customer misjudgement"]
    assert result["advice"]


def test_every_conclusion_cites_records_of_the_run(spec: PackSpec) -> None:
    run = Run(spec).healthy().text("wake_recharge", "wake_response", "latched")
    run.text("voltage_check", "voltage_category", "zero")
    for item in diagnose(RunView(run.state)):
        assert item.evidence
        assert all("/" in ref for ref in item.evidence)
        assert "wake_recharge/wake_response" in diagnose(RunView(run.state))[0].evidence


@pytest.mark.parametrize(
    ("wake", "root"),
    [("under_voltage", "over_discharge_in_storage"), ("latched", "protection_latched")],
)
def test_wake_outcomes(spec: PackSpec, wake: str, root: str) -> None:
    run = Run(spec).healthy()
    run.text("voltage_check", "voltage_category", "zero")
    run.text("wake_recharge", "wake_response", wake)
    result = run.conclusions()
    assert result["root_cause"] == [root]
    assert result["disposition"] == ["recharge_and_return"]


def test_no_charge_with_a_cell_below_zero_volt_minimum_is_scrap(spec: PackSpec) -> None:
    run = Run(spec).healthy().text("wake_recharge", "wake_response", "no_response")
    run.number("disassembly", "cell1_voltage", 1.0, "V", low=1.5)
    assert run.root() == "cell_deeply_discharged"
    assert run.conclusions()["disposition"] == ["scrap"]


def test_no_charge_separates_fuse_and_fets(spec: PackSpec) -> None:
    base = Run(spec).healthy().text("wake_recharge", "wake_response", "no_response")
    base.text("board_tests", "board_output", "none").text("board_tests", "board_loop", "open")
    base.number("wake_recharge", "diode_probe_current", 0.0, "A")
    assert base.root() == "fuse_open"
    base.number("wake_recharge", "diode_probe_current", 0.26, "A")
    assert base.root() == "discharge_mosfet_open"
    base.text("board_tests", "board_output", "diode_drop")
    assert base.root() == "charge_mosfet_open"


def test_no_charge_without_a_located_open_path_is_left_to_qa(spec: PackSpec) -> None:
    run = Run(spec).healthy().text("wake_recharge", "wake_response", "no_response")
    assert run.root() == "undetermined"


def test_internal_short_from_falling_voltage_or_endless_charge(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    run.number("wake_recharge", "voltage_fall_under_charge", 0.5, "V", high=0.05)
    assert run.root() == "cell_internal_short"
    run = Run(spec).healthy().text("wake_recharge", "charge_end", "time_limit")
    assert run.conclusions()["disposition"] == ["scrap"]


def test_board_protection_failures(spec: PackSpec) -> None:
    run = Run(spec).healthy().text("board_tests", "board_overcharge_cut", "not_cut")
    # a shorted charge FET also lowers VM, so the over-current trip is out of range too
    run.text("pack_tests", "overcurrent_protection", "not_tripped")
    assert run.root() == "charge_mosfet_shorted"
    run = Run(spec).healthy().text("pack_tests", "overcurrent_protection", "not_tripped")
    assert run.root() == "overcurrent_protection_failed"
    run.text("board_tests", "board_overdischarge_cut", "not_cut")
    assert run.root() == "discharge_mosfet_shorted"
    assert run.conclusions()["symptom"] == ["short-circuit/fire"]


def test_cell_findings(spec: PackSpec) -> None:
    run = (
        Run(spec)
        .healthy()
        .number("disassembly", "cell1_resistance", 22, "mohm", marginal_high=18.75, high=25)
    )
    assert run.root() == "cell_aged_high_resistance"
    run = Run(spec).healthy().number("pack_tests", "self_discharge_rate", 60, "mV/d", high=4.8)
    assert run.root() == "cell_high_self_discharge"
    run = Run(spec).healthy().number("disassembly", "cell_voltage_spread", 0.4, "V", high=0.1)
    assert run.root() == "cell_imbalance"
    assert run.conclusions()["disposition"] == ["replace_cells"]


def test_released_on_unloading_points_at_the_device(spec: PackSpec) -> None:
    run = Run(spec).healthy().text("voltage_check", "voltage_category_as_received", "zero")
    result = run.conclusions()
    assert result["root_cause"] == ["device_overcurrent"]
    assert result["symptom"] == ["shuts off after power-on"]


def test_advice_follows_the_intake(spec: PackSpec) -> None:
    run = Run(spec).healthy().text("intake", "usage_charger", "third_party")
    run.text("intake", "usage_location", "vehicle")
    advice = run.conclusions()["advice"]
    assert any("original charger" in a for a in advice)
    assert any("hot places" in a for a in advice)


def test_every_outcome_uses_the_manuals_vocabulary() -> None:
    from simulators.faults import SYMPTOMS

    dispositions = {
        "recharge_and_return",
        "repair_board",
        "replace_board",
        "replace_cells",
        "scrap",
        "no_fault_found",
    }
    causes = {
        "design",
        "manufacturing",
        "failure after use",
        "storage/transport",
        "customer storage or handling",
        "expiry",
        "customer misjudgement",
    }
    for outcome in OUTCOMES.values():
        assert outcome.symptom in SYMPTOMS
        assert outcome.disposition in dispositions
        assert outcome.cause_category in causes


def _findings(run: Run) -> dict[str, tuple[str, ...]]:
    """Root cause and contributing findings with the records each cites."""
    return {
        c.value: c.evidence
        for c in diagnose(RunView(run.state))
        if c.kind in ("root_cause", "contributing")
    }


def test_a_ramp_ended_by_a_slower_protection_is_no_over_current_trip(spec: PackSpec) -> None:
    """The ramp collapsed (the cells sagged to their over-discharge detection), but the step
    above that level was not cut within the over-current window: the detection failed."""
    run = Run(spec).healthy()
    run.number("pack_tests", "overcurrent_trip_current", 4.5, "A", low=2.4, high=4.8)
    run.number("pack_tests", "overcurrent_delay_step", 4.8, "A")  # above 3.0 + 0.6 A
    run.text("pack_tests", "overcurrent_delay_cut", "not_cut", ("cut",))
    found = _findings(run)
    assert list(found) == ["overcurrent_protection_failed"]
    assert "pack_tests/overcurrent_delay_cut" in found["overcurrent_protection_failed"]
    # with the bare board not cutting its over-discharge either, the FET itself conducts
    run.text("board_tests", "board_overdischarge_cut", "not_cut", ("cut",))
    found = _findings(run)
    assert list(found) == ["discharge_mosfet_shorted"]
    assert "pack_tests/overcurrent_delay_cut" in found["discharge_mosfet_shorted"]
    # a step within the spec's trip range may be under this unit's own trip (a worn cell ended
    # the ramp early): its not cutting proves no failure, and is left to QA
    run = Run(spec).healthy()
    run.number("pack_tests", "overcurrent_trip_current", 2.5, "A", low=2.4, high=4.8)
    run.number("pack_tests", "overcurrent_delay_step", 3.0, "A")
    run.text("pack_tests", "overcurrent_delay_cut", "not_cut", ("cut",))
    assert run.root() == "undetermined"
    # a step that was cut is an over-current trip: nothing is found
    run = Run(spec).healthy()
    run.text("pack_tests", "overcurrent_delay_cut", "cut", ("cut",))
    assert run.root() == "customer_misjudgement"


def test_a_fall_under_charge_from_the_top_cells_protection_is_no_leak(spec: PackSpec) -> None:
    """A series pack whose top cell chatters on its over-charge protection: the terminal fell
    between samples, yet the charge tapered and the cells stand apart. The imbalance explains
    the fall; without the spread, or without the taper, the fall is still a leak."""
    run = Run(spec).healthy()
    run.number("wake_recharge", "voltage_fall_under_charge", 0.23, "V", high=0.15)
    run.number("disassembly", "cell_voltage_spread", 0.27, "V", high=0.1)
    found = _findings(run)
    assert list(found) == ["cell_imbalance"]
    assert "wake_recharge/voltage_fall_under_charge" in found["cell_imbalance"]
    run.text("wake_recharge", "charge_end", "time_limit")
    assert run.root() == "cell_internal_short"
    run = Run(spec).healthy()
    run.number("wake_recharge", "voltage_fall_under_charge", 0.23, "V", high=0.15)
    assert run.root() == "cell_internal_short"
