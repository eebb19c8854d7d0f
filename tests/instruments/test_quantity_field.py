"""The shared quantity check: what it accepts, and the one reason it gives for each refusal."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from instruments.quantity_field import (
    Problem,
    QuantityProblem,
    QuantityRule,
    Range,
    quantity_problem,
)
from instruments.units import Q_, Quantity


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        (QuantityRule("V", Range.POSITIVE), "4.30 V", Q_(4.3, "V")),
        (QuantityRule("V", Range.POSITIVE), "4300 mV", Q_(4300, "mV")),
        (QuantityRule("degC"), "60 degC", Q_(60.0, "degC")),
        (QuantityRule("degC"), "-5.5 °C", Q_(-5.5, "degC")),
        (QuantityRule("V", bare_unit=True), "3.7", Q_(3.7, "V")),
        (QuantityRule(None), "35", Q_(35, "dimensionless")),
        (QuantityRule("mm", Range.NON_NEGATIVE), "0 mm", Q_(0, "mm")),
    ],
)
def test_accepts(rule: QuantityRule, text: str, expected: object) -> None:
    assert rule.parse(text) == expected


@pytest.mark.parametrize(
    ("rule", "raw", "kind"),
    [
        (QuantityRule("V"), 4.3, Problem.NOT_TEXT),
        (QuantityRule("V"), "4.3 banana", Problem.UNREADABLE),
        (QuantityRule(None), "35 degC * 2", Problem.UNREADABLE),
        (QuantityRule("V"), "4.3", Problem.NO_UNIT),
        (QuantityRule("V"), "4.3 A", Problem.WRONG_DIMENSION),
        (QuantityRule("V", Range.POSITIVE), "0 V", Problem.OUT_OF_RANGE),
        (QuantityRule("mm", Range.NON_NEGATIVE), "-1 mm", Problem.OUT_OF_RANGE),
        (QuantityRule("V", finite=True), "inf V", Problem.OUT_OF_RANGE),
    ],
)
def test_refuses_with_one_reason(rule: QuantityRule, raw: object, kind: Problem) -> None:
    with pytest.raises(QuantityProblem) as caught:
        rule.parse(raw)
    assert caught.value.kind is kind
    assert caught.value.raw == raw


class _Station(BaseModel):
    max_voltage: Annotated[Quantity, QuantityRule("V", Range.POSITIVE)]


def test_pydantic_field_parses_and_dumps_as_text() -> None:
    station = _Station.model_validate({"max_voltage": "4.2 V"})
    assert station.max_voltage == Q_(4.2, "V")
    assert station.model_dump() == {"max_voltage": "4.2 V"}


def test_pydantic_refusal_names_the_field_and_keeps_the_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        _Station.model_validate({"max_voltage": "4.2 A"})
    found = quantity_problem(caught.value)
    assert found is not None
    field, problem = found
    assert field == "max_voltage"
    assert problem.kind is Problem.WRONG_DIMENSION


def test_json_schema_says_text() -> None:
    schema = _Station.model_json_schema()["properties"]["max_voltage"]
    assert schema["type"] == "string"


def test_pydantic_message_is_ours_and_names_the_fix() -> None:
    with pytest.raises(ValidationError) as caught:
        _Station.model_validate({"max_voltage": "4.2 banana"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("max_voltage",)
    assert error["msg"] == "'4.2 banana' is not a quantity; write it like '25 V'"


@pytest.mark.parametrize("text", ["2 * 3 V", "10**10**10 V", "1" * 60 + " V"])
def test_plain_text_only_keeps_expressions_away_from_pint(text: str) -> None:
    assert QuantityRule("V").parse("2 * 3 V") == Q_(6, "V")  # pint would evaluate it
    with pytest.raises(QuantityProblem) as caught:
        QuantityRule("V", plain_text_only=True).parse(text)
    assert caught.value.kind is Problem.UNREADABLE


def test_unreadable_keeps_pints_complaint() -> None:
    with pytest.raises(QuantityProblem) as caught:
        QuantityRule("V").parse("4.2 banana")
    assert "banana" in caught.value.detail
