"""Declared measurements: the engine reports a required one the step never set."""

from __future__ import annotations

import pytest
from procedure_fakes import Bench, info, run

from instruments.units import Q_
from procedures.clock import RealClock
from procedures.context import StepContext
from procedures.declared import DIMENSION, NEVER_SET, Declared, never_set
from procedures.engine import Procedure, Step, run_procedure
from procedures.errors import MeasurementDeclarationError
from procedures.measurements import Measurement
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import MISSING_HEAD, Verdict
from procedures.specs import PackSpec, builtin_spec

VOLTAGE = Measurement("pack_voltage", "V", low=Q_(3.0, "V"), high=Q_(4.25, "V"))
DECLARES_VOLTAGE = (Declared("pack_voltage", "V", required=True),)


def forgets(ctx: StepContext) -> None:
    """Takes nothing although it declares a required measurement."""


def measures(ctx: StepContext) -> None:
    ctx.measure(VOLTAGE, Q_(3.8, "V"))


def test_required_measurement_never_set_makes_the_step_incomplete():
    procedure = Procedure("p", "1.0", [Step("forgets", forgets, measures=DECLARES_VOLTAGE)])
    result, _ = run(procedure, Bench())
    step = result.step("forgets")
    assert step.verdict is Verdict.INCOMPLETE
    assert step.message == f"{MISSING_HEAD}: pack_voltage ({NEVER_SET})"
    assert result.verdict is Verdict.INCOMPLETE


def test_required_measurement_set_passes_and_optional_one_owes_nothing():
    declared = (*DECLARES_VOLTAGE, Declared("ocv_rested", "V"))
    procedure = Procedure("p", "1.0", [Step("measures", measures, measures=declared)])
    result, _ = run(procedure, Bench())
    assert result.step("measures").verdict is Verdict.PASS
    assert result.step("measures").message == ""


def test_a_failure_still_wins_over_a_never_set_measurement():
    def fails(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(5.0, "V"))

    declared = (*DECLARES_VOLTAGE, Declared("ocv_rested", "V", required=True))
    result, _ = run(Procedure("p", "1.0", [Step("fails", fails, measures=declared)]), Bench())
    step = result.step("fails")
    assert step.verdict is Verdict.FAIL
    assert step.message == f"{MISSING_HEAD}: ocv_rested ({NEVER_SET})"


def test_a_skipped_step_owes_nothing():
    def skips(ctx: StepContext) -> None:
        ctx.skip("no fixture")

    result, _ = run(
        Procedure("p", "1.0", [Step("skips", skips, measures=DECLARES_VOLTAGE)]), Bench()
    )
    assert result.step("skips").verdict is Verdict.SKIPPED
    assert result.step("skips").message == "no fixture"


def test_per_cell_declaration_needs_every_series_cell():
    cell = Measurement("cell2_voltage", "V")

    def second_cell_only(ctx: StepContext) -> None:
        ctx.measure(cell, Q_(3.7, "V"))

    spec = builtin_spec("PB-4S1P-26650-LFP")
    procedure = Procedure(
        "p",
        "1.0",
        [
            Step(
                "cells",
                second_cell_only,
                measures=(Declared("cell{cell}_voltage", "V", required=True),),
            )
        ],
    )
    result = run_procedure(
        procedure,
        instruments=Bench().instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts({}),
        clock=RealClock(),
        spec=spec,
        run_info=info(procedure),
    )
    assert result.step("cells").message == (
        f"{MISSING_HEAD}: cell1_voltage ({NEVER_SET}); cell3_voltage ({NEVER_SET}); "
        f"cell4_voltage ({NEVER_SET})"
    )


def test_a_name_with_a_slash_or_a_stray_brace_is_refused_at_declaration():
    with pytest.raises(MeasurementDeclarationError, match="plain text"):
        Declared("step/name")
    with pytest.raises(MeasurementDeclarationError, match="plain text"):
        Declared("cell{n}_voltage")


def test_per_cell_declaration_matches_only_numbered_cells():
    declared = Declared("cell{cell}_voltage", "V")
    assert declared.matches("cell12_voltage")
    assert not declared.matches("cellx_voltage")
    assert not declared.matches("cell_voltage")
    assert list(declared.names(2)) == ["cell1_voltage", "cell2_voltage"]


def test_a_limit_factory_gives_the_limits_for_a_spec_before_the_run():
    spec = builtin_spec("PB-1S2P-18650-5200")

    def rested(spec: PackSpec) -> Measurement:
        return Measurement("pack_voltage", "V", high=spec.pack.voltage_high)

    declared = Declared("pack_voltage", "V", limits=rested)
    checked = declared.checked(spec)
    assert checked is not None
    assert checked.limits.high == pytest.approx(spec.pack.voltage_high.m_as("V"))
    assert Declared("pack_voltage", "V").checked(spec) is None


def test_a_limit_factory_that_builds_another_measurement_is_refused():
    declared = Declared("pack_voltage", "V", limits=lambda spec: Measurement("ocv", "V"))
    with pytest.raises(MeasurementDeclarationError, match="built 'ocv'"):
        declared.checked(builtin_spec("PB-1S2P-18650-5200"))


def test_an_unknown_unit_is_refused_at_declaration():
    with pytest.raises(MeasurementDeclarationError, match="unknown unit 'volts please'"):
        Declared("pack_voltage", "volts please")


def test_a_measurement_the_step_did_not_declare_is_reported_with_the_step_not_judged():
    misspelt = Measurement("pack_votlage", "V", low=Q_(3.0, "V"), high=Q_(4.25, "V"))

    def measures_misspelt(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(3.8, "V"))
        ctx.measure(misspelt, Q_(3.8, "V"))

    declared = (Declared("pack_voltage", "V"),)
    procedure = Procedure("p", "1.0", [Step("typo", measures_misspelt, measures=declared)])
    result, _ = run(procedure, Bench())
    step = result.step("typo")
    assert step.undeclared == ("pack_votlage",)
    assert step.verdict is Verdict.PASS and step.message == ""  # a warning, not a verdict


def test_a_step_that_declares_nothing_is_not_checked():
    result, _ = run(Procedure("p", "1.0", [Step("plain", measures)]), Bench())
    assert result.step("plain").undeclared == ()


def test_a_per_cell_record_beyond_the_spec_series_is_undeclared():
    def fifth_cell(ctx: StepContext) -> None:
        ctx.measure(Measurement("cell5_voltage", "V"), Q_(3.7, "V"))

    spec = builtin_spec("PB-4S1P-26650-LFP")
    declared = (Declared("cell{cell}_voltage", "V"),)
    procedure = Procedure("p", "1.0", [Step("cells", fifth_cell, measures=declared)])
    result = run_procedure(
        procedure,
        instruments=Bench().instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts({}),
        clock=RealClock(),
        spec=spec,
        run_info=info(procedure),
    )
    assert result.step("cells").undeclared == ("cell5_voltage",)


def test_a_dimension_family_stands_for_the_spec_drawing():
    spec = builtin_spec("PB-1S2P-18650-5200")
    declared = Declared(DIMENSION, "mm", required=True)
    drawing = tuple(d.name for d in spec.dimensions)
    assert drawing and declared.names_for(spec) == drawing
    assert declared.matches(drawing[0], spec)
    assert not declared.matches("not_on_the_drawing", spec)
    assert never_set((declared,), set(drawing[1:]), spec) == [drawing[0]]


def test_two_placeholders_in_one_name_are_refused():
    with pytest.raises(MeasurementDeclarationError, match="plain text"):
        Declared("cell{cell}_{dimension}")
