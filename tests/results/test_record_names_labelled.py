"""Every step and measurement name the shipped procedures declare has a label in both languages
(``step_name.*`` / ``measurement_name.*`` in the report catalogue; a drawing dimension of any
shipped spec in the prompt catalogue), and the report's measurement table shows the label first
with the recorded name under it, an operator's answer by its option's words."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from report_sample import sample_report

from procedures.appearance import appearance_procedure
from procedures.declared import CELL, DIMENSION
from procedures.diagnosis.fixtures import DiagnosisOptions, OperatorFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import Procedure, run_order
from procedures.outgoing import outgoing_procedure
from procedures.prompts import ScriptedPrompts
from procedures.questions import option_label, prompt_messages
from procedures.specs import load_builtin_specs
from results.reports.compose import measurement_cells, measurement_codes
from results.reports.labels import Catalogue, catalogue
from results.reports.model import MeasurementRow
from results.reports.names import measurement_label, step_label, value_label

LOCALES = ("en", "zh_CN")


def shipped_procedures() -> list[Procedure]:
    """Every shipped procedure with every optional step switched on."""
    fixtures = OperatorFixtures(ScriptedPrompts({}))
    options = DiagnosisOptions(discharge_capacity_check=True)
    return [build_diagnosis(fixtures, options), appearance_procedure(), outgoing_procedure()]


def declared_names() -> tuple[set[str], set[str]]:
    steps: set[str] = set()
    names: set[str] = set()
    for procedure in shipped_procedures():
        for step in run_order(procedure):
            steps.add(step.name)
            names |= {d.name for d in step.measures}
    dimensions = {d.name for spec in load_builtin_specs().values() for d in spec.dimensions}
    names = {n.replace(CELL, "3") for n in names if n != DIMENSION} | dimensions
    return steps, names


def test_the_walk_sees_every_procedure() -> None:
    steps, names = declared_names()
    assert {"intake", "board_tests", "capacity_check", "visual_check", "outgoing_ocv"} <= steps
    assert {"usage_charger", "cell3_voltage", "discharge_capacity", "scratches"} <= names
    assert len(names) > 90


def _has_label(t: Catalogue, name: str, locale: str) -> bool:
    """A catalogue entry exists for ``name`` (a one-word English label reads as the name)."""
    per_cell = re.sub(r"^cell\d+_", f"cell{CELL}_", name)
    return f"measurement_name.{per_cell}" in t.messages or f"dimension.{name}" in prompt_messages(
        locale
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_declared_step_and_measurement_has_a_label(locale: str) -> None:
    t = catalogue(locale)
    steps, names = declared_names()
    assert sorted(s for s in steps if f"step_name.{s}" not in t.messages) == []
    unlabelled = sorted(n for n in names if not _has_label(t, n, locale))
    assert unlabelled == [], f"{locale}: no label for these measurements"
    if locale != "en":  # a label left in English is no label
        en = catalogue("en")
        assert sorted(s for s in steps if step_label(t, s) == step_label(en, s)) == []
        same = sorted(n for n in names if measurement_label(t, n) == measurement_label(en, n))
        assert same == []


def test_a_per_cell_name_carries_its_cell_number() -> None:
    assert measurement_label(catalogue("zh_CN"), "cell12_voltage") == "电芯 12 电压"
    assert measurement_label(catalogue("en"), "cell2_resistance") == "cell 2 internal resistance"
    assert measurement_label(catalogue("en"), "not_a_known_name") == "not_a_known_name"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_measurement_table_shows_labels_then_codes(locale: str) -> None:
    t = catalogue(locale)
    data = sample_report(1, points=10, locale=locale)
    row: MeasurementRow = data.units[0].runs[0].steps[0].measurements[0]
    answer = replace(row, step="intake", name="usage_time_in_use", value=None, unit="")
    answer = replace(answer, text_value="1_to_12_months")
    cells = measurement_cells(answer, t)
    assert cells[:3] == [
        t["step_name.intake"],
        t["measurement_name.usage_time_in_use"],
        option_label("1_to_12_months", locale),
    ]
    assert "_" not in "".join(cells[:3])
    assert measurement_codes(answer, t) == ("intake", "usage_time_in_use", "1_to_12_months")
    assert value_label(t, "voltage_category", "zero") == t["category.zero"]  # a reading's word
    assert value_label(t, "usage_device", "drill X2") == "drill X2"  # free text as typed
    assert value_label(t, "charge_capacity", "not_measured") == t["reading.not_measured"]
