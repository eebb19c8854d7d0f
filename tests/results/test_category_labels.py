"""Every value a shipped procedure can record for a categorical measurement has a label in both
languages (the reading's words in the report catalogue, or an operator's option in the prompt
catalogue), and the report's value column shows it in place of the recorded code.

The values are found where they are declared: every ``CategoricalMeasurement(...)`` call (and
every ``super().__init__`` of a subclass) in ``procedures/``, its vocabulary evaluated in its
module. A vocabulary this walk cannot evaluate fails the test unless it is resolved below, so a
new categorical measurement cannot slip past without its words.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import replace
from pathlib import Path

import pytest
from report_sample import sample_report

import procedures
from procedures.appearance import CALIPER_ID, CHECKLIST, UNIDENTIFIED
from procedures.diagnosis.skipped import NOT_MEASURED
from procedures.questions import option_label
from results.reports.compose import measurement_cells
from results.reports.labels import catalogue
from results.reports.names import has_value_label, value_label

LOCALES = ("en", "zh_CN")
ROOT = Path(procedures.__file__).parent
CATEGORICAL = "CategoricalMeasurement"

UNEVALUATED: dict[tuple[str, str], list[tuple[str, str]]] = {
    # the appearance checklist builds each item's measurement from the item's own options
    ("procedures.appearance", "self.options"): [
        (item.name, option) for item in CHECKLIST for option in item.options
    ],
}
"""Vocabularies that are not module-level expressions: (module, source) -> (name, value)s."""
FIXED_FREE_TEXT = {(CALIPER_ID, UNIDENTIFIED)}
"""Words a procedure itself records into a free-text measurement (no caliper typed)."""


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT.parent).with_suffix("")
    return ".".join(relative.parts)


def _categorical_subclasses(tree: ast.Module) -> set[str]:
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == CATEGORICAL for b in node.bases)
    }


def _declaring_calls(tree: ast.Module) -> list[ast.Call]:
    """``CategoricalMeasurement(...)`` calls and subclasses' ``super().__init__(...)``."""
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == CATEGORICAL
    ]
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and cls.name in _categorical_subclasses(tree):
            calls += [
                node
                for node in ast.walk(cls)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "__init__"
                and isinstance(node.func.value, ast.Call)
                and isinstance(node.func.value.func, ast.Name)
                and node.func.value.func.id == "super"
            ]
    return calls


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def declared_values() -> set[tuple[str, str]]:
    """(measurement name or ``""`` where the name is built at run time, value) of every
    vocabulary a shipped procedure declares; free-text measurements (no vocabulary) have none."""
    found: set[tuple[str, str]] = set()
    unresolved: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_name = _module_name(path)
        namespace = vars(importlib.import_module(module_name))
        for call in _declaring_calls(tree):
            name_node, allowed = _argument(call, 0, "name"), _argument(call, 1, "allowed")
            assert name_node is not None, f"{path.name}:{call.lineno}: a measurement has a name"
            if allowed is None or (isinstance(allowed, ast.Constant) and allowed.value is None):
                continue  # free text: recorded as typed
            source = ast.unparse(allowed)
            if (module_name, source) in UNEVALUATED:
                found |= set(UNEVALUATED[module_name, source])
                continue
            try:
                values = eval(source, dict(namespace))  # our own source, in a test
            except NameError:
                unresolved.append(f"{path.name}:{call.lineno} {source}")
                continue
            try:
                name = str(eval(ast.unparse(name_node), dict(namespace)))
            except (NameError, AttributeError, TypeError):
                name = ""  # built at run time (f-string, a loop's variable)
            found |= {(name, str(v)) for v in values}
    assert unresolved == [], "vocabularies the walk cannot evaluate: resolve them in UNEVALUATED"
    return found | FIXED_FREE_TEXT


def test_the_walk_sees_every_kind_of_vocabulary() -> None:
    values = declared_values()
    seen = {v for _, v in values}
    assert {"taper", "cut_off", "no_current", "normal", "zero", "under_voltage"} <= seen
    assert {"cut", "not_cut", "released", "not_released", "through", "diode_drop"} <= seen
    assert {"linked", "not_found", "attached", "yes", "third_party", "severe"} <= seen
    assert {"open", "closed", NOT_MEASURED} <= seen
    assert ("charge_end", "taper") in values and ("board_output", "none") in values
    assert ("", "not_released") in values  # a name the walk cannot know


@pytest.mark.parametrize("locale", LOCALES)
def test_every_declared_categorical_value_has_a_label(locale: str) -> None:
    t = catalogue(locale)
    unlabelled = sorted(v for v in declared_values() if not has_value_label(t, *v))
    assert unlabelled == [], f"{locale}: no label for these recorded values"
    if locale != "en":  # a label left in English (or as the code) is no label
        en = catalogue("en")
        same = sorted(
            (n, v)
            for n, v in declared_values()
            if value_label(t, n, v) in (v, value_label(en, n, v))
        )
        assert same == []


def test_a_value_reads_by_its_measurement_where_the_word_depends_on_it() -> None:
    zh = catalogue("zh_CN")
    assert value_label(zh, "board_output", "none") != value_label(zh, "cell_swelling", "none")
    assert value_label(zh, "usage_temperature", "normal") == option_label("normal", "zh_CN")
    assert value_label(zh, "charge_end", "taper") == zh["category.taper"]
    assert value_label(zh, "some_new_reading", "beyond_the_catalogue") == "beyond_the_catalogue"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_value_column_shows_a_reading_s_words(locale: str) -> None:
    t = catalogue(locale)
    row = sample_report(1, points=10, locale=locale).units[0].runs[0].steps[0].measurements[0]
    row = replace(row, step="wake_recharge", name="charge_end", value=None, unit="")
    row = replace(row, text_value="cut_off")
    assert measurement_cells(row, t)[2] == t["category.cut_off"]
