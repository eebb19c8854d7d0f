"""The over-temperature rule on synthetic records (kept apart from test_rules, which issue 13
reworks): a failed temperature watch decides the root cause and is cited as evidence."""

from __future__ import annotations

import pytest
from test_rules import Run

from procedures.context import RunView
from procedures.diagnosis.rules import diagnose
from procedures.specs import SPEC_DIR, PackSpec, load_spec


@pytest.fixture(scope="module")
def spec() -> PackSpec:
    return load_spec(SPEC_DIR / "PB-1S2P-18650-5200.toml")


def hot(run: Run, name: str = "charge_temperature", step: str = "wake_recharge") -> Run:
    return run.number(step, name, 47.3, "degC", high=45.0)  # type: ignore[no-any-return]


def test_a_pack_that_arrived_charged_and_heats_is_scrapped_citing_the_temperature(
    spec: PackSpec,
) -> None:
    run = hot(Run(spec).healthy())
    result = run.conclusions()
    assert result["root_cause"] == ["cell_heats_under_charge"]
    assert result["disposition"] == ["scrap"]
    assert result["symptom"] == ["short-circuit/fire"]
    root = diagnose(RunView(run.state))[0]
    assert "wake_recharge/charge_temperature" in root.evidence


def test_a_flat_pack_that_heats_under_charge_is_an_internal_short(spec: PackSpec) -> None:
    run = hot(Run(spec).healthy())
    run.text("voltage_check", "voltage_category", "zero")
    assert run.root() == "cell_internal_short"
    assert "wake_recharge/charge_temperature" in diagnose(RunView(run.state))[0].evidence


@pytest.mark.parametrize(
    ("name", "step"),
    [("pack_test_temperature", "pack_tests"), ("board_test_temperature", "board_tests")],
)
def test_every_watch_counts(spec: PackSpec, name: str, step: str) -> None:
    run = hot(Run(spec).healthy(), name, step)
    assert run.root() == "cell_heats_under_charge"
    assert f"{step}/{name}" in diagnose(RunView(run.state))[0].evidence


def test_a_temperature_within_its_limit_changes_nothing(spec: PackSpec) -> None:
    run = Run(spec).healthy().number("wake_recharge", "charge_temperature", 26.0, "degC", high=45)
    assert run.root() == "customer_misjudgement"
