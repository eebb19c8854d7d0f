"""The engine's comparison under a verdict is written in the report's language from the row's
fields, for every branch of both ``judge`` methods; the stored text stays as it is, and a row
whose fields do not give back its stored text shows the stored text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from instruments.units import Q_
from procedures.diagnosis.skipped import NotMeasured
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.number_text import number_text
from procedures.records import MeasurementRecord, Verdict
from results.reports.comparison import localise_quoted, row_comparison, shown
from results.reports.compose import comparison_text, verdict_reason
from results.reports.labels import catalogue
from results.reports.model import MeasurementRow
from results.reports.names import value_label

AT = datetime(2026, 3, 2, tzinfo=UTC)
BAND = Measurement(
    "voltage_rested",
    "V",
    low=Q_(3.0, "V"),
    high=Q_(4.25, "V"),
    marginal_low=Q_(3.2, "V"),
    marginal_high=Q_(4.2, "V"),
)
OPEN_BAND = Measurement(
    "pack_resistance",
    "mohm",
    low=Q_(10, "mohm"),
    high=Q_(120, "mohm"),
    low_inclusive=False,
    high_inclusive=False,
)
HIGH_ONLY = Measurement("charge_time", "min", high=Q_(240, "min"))
LOW_ONLY = Measurement("charge_input", "mAh", low=Q_(100, "mAh"))
FREE = Measurement("charge_peak_voltage", "V")
END = CategoricalMeasurement("charge_end", ("taper", "cut_off", "no_current"), passing=("taper",))
DENTS = CategoricalMeasurement(
    "dents", ("none", "minor", "severe"), passing=("none",), marginal=("minor",)
)
CHARGER = CategoricalMeasurement("usage_charger", ("original", "third_party", "unknown"))

NUMERIC_CASES = [
    (BAND, 0.35, "below_low"),
    (BAND, 3.0, "marginal_low"),
    (BAND, 3.1, "marginal_low"),
    (BAND, 3.71, "within"),
    (BAND, 4.22, "marginal_high"),
    (BAND, 4.3, "above_high"),
    (OPEN_BAND, 10.0, "below_low"),
    (OPEN_BAND, 120.0, "above_high"),
    (OPEN_BAND, 55.5, "within"),
    (HIGH_ONLY, 12.25, "within"),
    (HIGH_ONLY, 300.0, "above_high"),
    (LOW_ONLY, 2500.0, "within"),
    (LOW_ONLY, 0.0, "below_low"),
    (FREE, 4.19876, "no_limits"),
    (FREE, -1.5e-7, "no_limits"),
]
TEXT_CASES = [
    (END, "taper", "accepted"),
    (END, "cut_off", "not_passing"),
    (END, "no_current", "not_passing"),
    (DENTS, "minor", "marginal"),
    (CHARGER, "third_party", "accepted"),
]


def row_of(record: MeasurementRecord, step: str = "wake_recharge") -> MeasurementRow:
    """The stored record as the report holds it."""
    return MeasurementRow(
        run_id="7",
        step=step,
        name=record.name,
        value=record.value,
        unit=record.unit,
        low=record.limits.low,
        high=record.limits.high,
        low_inclusive=record.limits.low_inclusive,
        high_inclusive=record.limits.high_inclusive,
        verdict=record.verdict,
        instrument=None,
        timestamp=AT,
        text_value=record.text_value,
        comparison=record.comparison,
        nominal=record.limits.nominal,
        marginal_low=record.limits.marginal_low,
        marginal_high=record.limits.marginal_high,
    )


def every_record() -> list[tuple[MeasurementRecord, str]]:
    out = [(m.validate(Q_(x, m.unit), timestamp=AT), kind) for m, x, kind in NUMERIC_CASES]
    out += [(m.validate(v, timestamp=AT), kind) for m, v, kind in TEXT_CASES]
    return out


def test_the_cases_cover_every_branch_of_both_judges() -> None:
    assert {kind for _, kind in every_record()} == {
        "below_low",
        "above_high",
        "marginal_low",
        "marginal_high",
        "no_limits",
        "within",
        "accepted",
        "marginal",
        "not_passing",
    }
    verdicts = {r.verdict for r, _ in every_record()}
    assert verdicts == {Verdict.PASS, Verdict.MARGINAL, Verdict.FAIL}


@pytest.mark.parametrize(("record", "kind"), every_record(), ids=lambda v: str(v)[:40])
def test_the_fields_give_back_the_engines_stored_text(record: MeasurementRecord, kind: str) -> None:
    found = row_comparison(row_of(record))
    assert found is not None and found.kind == kind
    assert found.engine_text() == record.comparison


@pytest.mark.parametrize(("record", "kind"), every_record(), ids=lambda v: str(v)[:40])
def test_chinese_reads_the_comparison_in_chinese(record: MeasurementRecord, kind: str) -> None:
    zh = catalogue("zh_CN")
    row = row_of(record)
    text = comparison_text(row, zh)
    assert text != record.comparison or kind == "within"
    words = set(re.findall(r"[A-Za-z_]{2,}", text)) - {row.unit, "mAh", "min", "mohm"}
    assert words == set(), text  # numbers and units only, no English word, no code
    if record.text_value is not None:
        assert value_label(zh, row.name, record.text_value) in text
    if record.value is not None:
        assert number_text(record.value) in text
    # the same statement, quoted in a recorded sentence, reads the same
    quoted = localise_quoted(
        f"x ({record.comparison}); y", zh, lambda v: value_label(zh, row.name, v)
    )
    assert quoted == f"x ({text}); y"


def test_english_states_the_engines_numbers_and_the_categorys_words() -> None:
    en = catalogue("en")
    failed = row_of(BAND.validate(Q_(0.35, "V"), timestamp=AT))
    assert comparison_text(failed, en) == failed.comparison == "0.35 < 3 V (below low limit)"
    cut = row_of(END.validate("cut_off", timestamp=AT))
    assert comparison_text(cut, en) == (
        f"{en['category.cut_off']}: not a passing result (passing: {en['category.taper']})"
    )
    assert verdict_reason(cut, "zh_CN") == comparison_text(cut, catalogue("zh_CN"))


def test_a_row_whose_fields_do_not_give_back_its_text_shows_the_stored_text() -> None:
    zh = catalogue("zh_CN")
    row = row_of(BAND.validate(Q_(0.35, "V"), timestamp=AT))
    moved = replace(row, value=0.5)  # not the value the stored text judged
    assert row_comparison(moved) is None
    assert comparison_text(moved, zh) == row.comparison
    older = replace(row, comparison="0.35 V is below 3 V")
    assert comparison_text(older, zh) == "0.35 V is below 3 V"


def test_a_skipped_tests_reason_stays_a_translated_catalogue_sentence() -> None:
    record = NotMeasured("board_short_circuit_protection", "condition not met").validate(
        "not_measured", timestamp=AT
    )
    row = row_of(record, step="board_tests")
    assert row_comparison(row) is None
    shown_zh = comparison_text(row, catalogue("zh_CN"))
    assert shown_zh != record.comparison and not re.search(r"[A-Za-z]{3,}", shown_zh)


def test_shown_writes_the_band_without_words() -> None:
    row = row_of(BAND.validate(Q_(3.71, "V"), timestamp=AT))
    found = row_comparison(row)
    assert found is not None
    for locale in ("en", "zh_CN"):
        assert shown(found, catalogue(locale), str) == "3 <= 3.71 <= 4.25 V"
