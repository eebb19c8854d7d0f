from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from instruments.units import Q_, ureg
from procedures.errors import MeasurementDeclarationError, MeasurementValueError
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.records import MeasurementRecord, Verdict

V = Measurement(
    "pack_voltage",
    "V",
    low=Q_(3.0, "V"),
    high=Q_(4.25, "V"),
    marginal_low=Q_(3.3, "V"),
    marginal_high=Q_(4.2, "V"),
    nominal=Q_(3.7, "V"),
    description="P+ to P-",
)


@pytest.mark.parametrize(
    ("value", "verdict", "comparison"),
    [
        (Q_(3.7, "V"), Verdict.PASS, "3 <= 3.7 <= 4.25 V"),
        (Q_(3.0, "V"), Verdict.MARGINAL, "3 < 3.3 V (marginal low)"),
        (Q_(2.999, "V"), Verdict.FAIL, "2.999 < 3 V (below low limit)"),
        (Q_(4.25, "V"), Verdict.MARGINAL, "4.25 > 4.2 V (marginal high)"),
        (Q_(4.2501, "V"), Verdict.FAIL, "4.2501 > 4.25 V (above high limit)"),
        (Q_(3.3, "V"), Verdict.PASS, "3 <= 3.3 <= 4.25 V"),
        (Q_(4.2, "V"), Verdict.PASS, "3 <= 4.2 <= 4.25 V"),
    ],
)
def test_two_sided_limits_with_marginal_band(value, verdict, comparison):
    record = V.validate(value, instrument="DMM s/n 1")
    assert record.verdict is verdict
    assert record.comparison == comparison
    assert record.unit == "V"
    assert record.instrument == "DMM s/n 1"
    assert record.description == "P+ to P-"
    assert record.limits.nominal == 3.7
    assert record.text_value is None


def test_exclusive_edges_fail_exactly_at_the_bound():
    m = Measurement(
        "r", "mohm", low=Q_(10, "mohm"), high=Q_(50, "mohm"),
        low_inclusive=False, high_inclusive=False,
    )  # fmt: skip
    assert m.validate(Q_(10, "mohm")).verdict is Verdict.FAIL
    assert m.validate(Q_(10, "mohm")).comparison == "10 <= 10 mΩ (below low limit)"
    assert m.validate(Q_(50, "mohm")).verdict is Verdict.FAIL
    assert m.validate(Q_(50, "mohm")).comparison == "50 >= 50 mΩ (above high limit)"
    passed = m.validate(Q_(30, "mohm"))
    assert passed.verdict is Verdict.PASS
    assert passed.comparison == "10 < 30 < 50 mΩ"
    assert passed.limits.low_inclusive is False


def test_inclusive_edges_pass_at_the_bound():
    m = Measurement("r", "mohm", low=Q_(10, "mohm"), high=Q_(50, "mohm"))
    assert m.validate(Q_(10, "mohm")).verdict is Verdict.PASS
    assert m.validate(Q_(50, "mohm")).verdict is Verdict.PASS


def test_one_sided_limits():
    high_only = Measurement("r", "mohm", high=Q_(120, "mohm"))
    assert high_only.validate(Q_(-5, "mohm")).verdict is Verdict.PASS
    assert high_only.validate(Q_(80, "mohm")).comparison == "80 <= 120 mΩ"
    assert high_only.validate(Q_(121, "mohm")).verdict is Verdict.FAIL
    low_only = Measurement("v", "V", low=Q_(0.5, "V"))
    assert low_only.validate(Q_(1e6, "V")).verdict is Verdict.PASS
    assert low_only.validate(Q_(0.4, "V")).verdict is Verdict.FAIL
    assert low_only.limits.high is None


def test_no_limits_records_and_passes():
    m = Measurement("t", "s")
    record = m.validate(Q_(2, "min"))
    assert record.value == pytest.approx(120.0)
    assert record.verdict is Verdict.PASS
    assert record.comparison == "120 s (no limits)"


def test_value_in_millivolts_is_judged_against_volt_limits():
    record = V.validate(Q_(3712.5, "mV"))
    assert record.value == pytest.approx(3.7125)
    assert record.unit == "V"
    assert record.verdict is Verdict.PASS
    # the cached factor for mV must not leak into a later V reading
    assert V.validate(Q_(3.7125, "V")).value == pytest.approx(3.7125)
    assert V.validate(Q_(2000, "mV")).verdict is Verdict.FAIL


def test_limits_in_another_unit_are_converted_at_declaration():
    m = Measurement("r", "ohm", high=Q_(120, "mohm"))
    assert m.limits.high == 0.12
    assert Measurement("v", "V", high=Q_(4350, "mV")).limits.high == 4.35


def test_offset_units_convert_correctly():
    m = Measurement("temperature", "degC", high=Q_(60, "degC"))
    record = m.validate(Q_(300.0, "kelvin"))
    assert record.value == pytest.approx(26.85)
    assert record.verdict is Verdict.PASS
    assert m.validate(Q_(340.0, "kelvin")).verdict is Verdict.FAIL


def test_value_of_wrong_dimension_raises_naming_the_measurement():
    with pytest.raises(MeasurementValueError, match=r"pack_voltage.*1.2 A.*expected V"):
        V.validate(Q_(1.2, "A"))


def test_bare_number_value_raises():
    with pytest.raises(MeasurementValueError, match=r"pack_voltage.*expected a quantity"):
        V.validate(3.7)  # type: ignore[arg-type]


def test_nan_value_is_not_judged():
    with pytest.raises(MeasurementValueError, match="NaN"):
        V.validate(Q_(float("nan"), "V"))


def test_limit_of_wrong_dimension_raises_at_declaration_naming_limit():
    with pytest.raises(MeasurementDeclarationError, match=r"'pack_voltage'.*limit high=2 A"):
        Measurement("pack_voltage", "V", high=Q_(2, "A"))


def test_bare_number_limit_raises_at_declaration():
    with pytest.raises(MeasurementDeclarationError, match=r"limit low=3.0 is a bare number"):
        Measurement("pack_voltage", "V", low=3.0)  # type: ignore[arg-type]


def test_unknown_unit_raises_at_declaration():
    with pytest.raises(MeasurementDeclarationError, match="unknown unit 'volts_per_banana'"):
        Measurement("x", "volts_per_banana")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"low": Q_(5, "V"), "high": Q_(4, "V")},
        {"low": Q_(3, "V"), "marginal_low": Q_(2, "V")},
        {"high": Q_(4, "V"), "marginal_high": Q_(4.1, "V")},
        {"marginal_low": Q_(3.5, "V"), "marginal_high": Q_(3.4, "V")},
    ],
)
def test_limits_out_of_order_raise(kwargs):
    with pytest.raises(MeasurementDeclarationError, match="the order must be"):
        Measurement("v", "V", **kwargs)


def test_timestamp_is_given_or_now():
    t = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert V.validate(Q_(3.7, "V"), timestamp=t).timestamp == t
    before = datetime.now(UTC)
    assert V.validate(Q_(3.7, "V")).timestamp >= before


def test_categorical_measurement_judges_answers():
    look = CategoricalMeasurement(
        "appearance",
        allowed=["ok", "scratched", "swollen"],
        passing=["ok"],
        marginal=["scratched"],
    )
    assert look.validate("ok").verdict is Verdict.PASS
    assert look.validate("scratched").verdict is Verdict.MARGINAL
    record = look.validate("swollen")
    assert record.verdict is Verdict.FAIL
    assert record.text_value == "swollen"
    assert record.value is None
    assert record.unit == ""
    with pytest.raises(MeasurementValueError, match="'melted' is not one of"):
        look.validate("melted")


def test_categorical_without_passing_set_records_without_judging():
    device = CategoricalMeasurement("device", description="customer device")
    assert device.validate("scanner X2").verdict is Verdict.PASS
    with pytest.raises(MeasurementValueError, match="expected a text value"):
        device.validate(3)  # type: ignore[arg-type]


def test_categorical_judged_answers_must_be_allowed():
    with pytest.raises(MeasurementDeclarationError, match=r"\['bad'\] are judged but not allowed"):
        CategoricalMeasurement("x", allowed=["ok"], passing=["ok", "bad"])


@given(x=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_verdict_matches_a_direct_reading_of_the_limits(x):
    verdict = V.validate(Q_(x, "V")).verdict
    if x < 3.0 or x > 4.25:
        assert verdict is Verdict.FAIL
    elif x < 3.3 or x > 4.2:
        assert verdict is Verdict.MARGINAL
    else:
        assert verdict is Verdict.PASS


def test_fast_records_equal_ordinary_records_and_stay_frozen():
    record = V.validate(Q_(3.7, "V"), instrument="DMM")
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    assert record == MeasurementRecord(**fields)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.value = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("declared", "stored"),
    [
        ("mAh", "mAh"),
        ("mA*h", "h*mA"),
        ("mV/d", "mV/d"),
        ("mohm", "mΩ"),
        ("degC", "°C"),
        ("us", "µs"),
        ("uA", "µA"),
    ],
)
def test_unit_text_is_compact_and_parses_back(declared: str, stored: str) -> None:
    m = Measurement("x", declared, high=Q_(1.0, declared))
    assert m.unit == stored
    assert ureg.Unit(m.unit) == ureg.Unit(declared)
    assert m.validate(Q_(2.0, declared)).comparison.endswith(f"{stored} (above high limit)")
