"""Every measurement the diagnosis rules read is declared by a step of the diagnosis.

A rule names ``Measured`` members (mypy refuses a bare string), and this test refuses a member
that no step declares: a misspelled or renamed measurement fails here instead of reading as
``None`` and silently switching its rule off.
"""

from __future__ import annotations

import ast
import inspect

import pytest

from procedures.declared import Declared
from procedures.diagnosis import pack_tests, plausibility, rules, sequence
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureName
from procedures.diagnosis.vocabulary import CellReading, Disposition, Measured, RootCause
from procedures.engine import Step, run_order
from procedures.specs import builtin_spec, load_builtin_specs


class NoFixtures:
    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        raise AssertionError("the procedure is only built here, never run")


def diagnosis_steps() -> tuple[Step, ...]:
    options = DiagnosisOptions(discharge_capacity_check=True)
    return run_order(sequence.build_diagnosis(NoFixtures(), options))


def declared() -> list[Declared]:
    return [item for step in diagnosis_steps() for item in step.measures]


@pytest.mark.parametrize("name", list(Measured), ids=str)
def test_every_measurement_the_rules_read_is_declared_by_a_step(name: Measured) -> None:
    owners = [s.name for s in diagnosis_steps() if any(d.matches(name) for d in s.measures)]
    assert len(owners) == 1, f"{name!r} is declared by {owners}; exactly one step must own it"


@pytest.mark.parametrize("reading", list(CellReading), ids=str)
def test_every_per_cell_reading_is_declared(reading: CellReading) -> None:
    series = builtin_spec("PB-4S1P-26650-LFP").product.series
    for cell in range(1, series + 1):
        assert any(d.matches(reading.of(cell)) for d in declared()), reading.of(cell)


def test_no_step_declares_a_name_twice() -> None:
    names = [d.name for d in declared()]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_rules_read_no_measurement_by_a_bare_string() -> None:
    """Belt and braces for mypy: no string literal is passed to a ``Facts`` reader."""
    tree = ast.parse(inspect.getsource(rules))
    readers = {"text", "value", "failed", "worse_than_pass", "refs", "measurement", "has"}
    bare = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in readers
        and any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
    ]
    assert bare == []


def test_a_misspelled_member_would_fail_the_declaration_check() -> None:
    """The check above can fail: a name no step declares is found by no step."""
    assert not any(d.matches("wake_respone") for d in declared())


def test_every_root_cause_has_an_outcome_and_every_disposition_a_rank() -> None:
    assert set(rules.OUTCOMES) == set(RootCause)
    assert tuple(rules.SEVERITY) == tuple(Disposition)


def test_vocabulary_values_are_the_strings_stored_before() -> None:
    """The enums replaced string literals; stored values must not change by a byte."""
    assert Measured.WAKE_RESPONSE == "wake_response"
    assert f"{Disposition.NO_FAULT_FOUND}" == "no_fault_found"
    assert str(RootCause.CELL_INTERNAL_SHORT) == "cell_internal_short"
    conclusion = rules.Conclusion(rules.ConclusionKind.ROOT_CAUSE, RootCause.FUSE_OPEN, "x")
    assert type(conclusion.kind) is str and type(conclusion.value) is str
    assert (conclusion.kind, conclusion.value) == ("root_cause", "fuse_open")


@pytest.mark.parametrize("model", ["PB-1S2P-18650-5200", "PB-4S1P-26650-LFP"])
def test_the_plausibility_limit_is_known_before_the_run(model: str) -> None:
    """The declared factory gives the very limit the step judges against."""
    spec = builtin_spec(model)
    (voltage_check,) = [s for s in diagnosis_steps() if s.name == "voltage_check"]
    (plausible,) = [
        d for d in voltage_check.measures if d.name == Measured.PACK_VOLTAGE_PLAUSIBILITY
    ]
    checked = plausible.checked(spec)
    assert checked is not None
    assert checked.limits.high == pytest.approx(plausibility.plausible_ceiling(spec).m_as("V"))


def test_answers_given_as_enums_are_recorded_as_plain_strings() -> None:
    """A comparison lists the passing answers as ['closed'], never as enum members."""
    record = pack_tests.PACK_PATH.validate("open")
    assert type(record.name) is str and record.name == "pack_path"
    assert record.comparison == "'open' not in passing ['closed']"


@pytest.mark.parametrize("model", sorted(load_builtin_specs()))
def test_every_declared_limit_factory_builds_its_measurement_for_every_shipped_spec(
    model: str,
) -> None:
    spec = load_builtin_specs()[model]
    built = {d.name: d.checked(spec) for d in declared() if d.limits is not None}
    assert set(built) >= {"pack_voltage_plausibility", "pack_resistance", "board_loop_resistance"}
    assert built["pack_resistance"] is not None
    assert built["pack_resistance"].limits.high == pytest.approx(
        spec.pack.ac_resistance_max.m_as("mohm")
    )
