"""Every value a shipped procedure can record for a categorical measurement has a label in both
languages (the reading's words in the report catalogue, or an operator's option in the prompt
catalogue), and the report's value column shows it in place of the recorded code.

The values are found where they are declared: every ``CategoricalMeasurement(...)`` call (and
every ``super().__init__`` of a subclass) in ``procedures/``, its vocabulary evaluated in its
module (``tests/declared_categories.py``): a vocabulary the walk cannot evaluate fails it, so a
new categorical measurement cannot slip past without its words.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from declared_categories import declared_values
from report_sample import sample_report

from procedures.diagnosis.skipped import NOT_MEASURED
from procedures.questions import option_label
from results.reports.compose import measurement_cells, measurement_codes
from results.reports.labels import catalogue
from results.reports.names import has_value_label, value_label

LOCALES = ("en", "zh_CN")


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
    assert measurement_codes(row, t)[2] == "cut_off"  # the recorded code, as hover text only
