"""One way to read a quantity written as text, usable as a pydantic field type.

A field is declared ``Annotated[Quantity, QuantityRule("V", Range.POSITIVE)]``.

Station files, pack specs, operator answers, complaint forms and API bodies all take quantities
as text ("4.30 V", "60 degC"). Each used to carry its own parser with its own ``except Exception``
around pint; they now share this one, so "is it readable, has it a unit, is it the right
dimension, is it in range" is decided in one place. The wording stays with each caller: a
``QuantityProblem`` says *what* is wrong (its ``kind``) and each caller turns that into a message
naming its field and the fix, which is what its users (and its tests) already read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pint
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from instruments.units import Q_, Quantity


class Problem(Enum):
    """What is wrong with a quantity text, in the order the checks run."""

    NOT_TEXT = "not_text"
    UNREADABLE = "unreadable"
    NO_UNIT = "no_unit"
    WRONG_DIMENSION = "wrong_dimension"
    OUT_OF_RANGE = "out_of_range"


class Range(Enum):
    """Which magnitudes are allowed (in the unit as written; offset units are checked as is)."""

    ANY = "any"
    NON_NEGATIVE = "non_negative"
    POSITIVE = "positive"


class QuantityProblem(ValueError):
    """A quantity text that cannot be used: ``kind`` says why, ``parsed`` is pint's reading."""

    def __init__(self, kind: Problem, raw: object, parsed: Any = None) -> None:
        super().__init__(f"{raw!r}: {kind.value}")
        self.kind = kind
        self.raw = raw
        self.parsed = parsed


_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*)$")


def _read(text: str) -> Any:
    """pint's reading of ``text``; "60 degC" is split into number and unit when pint refuses it.

    pint parses "60 degC" as the product ``60 * degC``, which it refuses for offset units
    (temperatures), so on failure the leading number and the unit are read apart.
    """
    try:
        return Q_(text)
    except Exception:  # pint's parser raises anything, even AssertionError
        match = _NUMBER_UNIT.match(text)
        if match is None:
            raise QuantityProblem(Problem.UNREADABLE, text) from None
    try:
        return Q_(float(match.group(1)), match.group(2).strip())
    except Exception:  # same parser, same anything
        raise QuantityProblem(Problem.UNREADABLE, text) from None


@dataclass(frozen=True, slots=True)
class QuantityRule:
    """What a quantity field accepts.

    ``unit`` names the dimension (None: any, a bare number then becomes dimensionless);
    ``bare_unit`` takes a bare number in ``unit`` (an operator typing "3.7" for volts) instead of
    refusing it; ``finite`` refuses inf and nan.
    """

    unit: str | None
    range: Range = Range.ANY
    bare_unit: bool = False
    finite: bool = False

    def parse(self, raw: object) -> Quantity:
        """The quantity ``raw`` states, or ``QuantityProblem`` saying what is wrong with it."""
        if not isinstance(raw, str):
            raise QuantityProblem(Problem.NOT_TEXT, raw)
        value = _read(raw.strip())
        wants_unit = self.unit is not None and not Q_(1, self.unit).dimensionless
        if not isinstance(value, pint.Quantity) or (wants_unit and value.dimensionless):
            magnitude = value.magnitude if isinstance(value, pint.Quantity) else value
            if self.bare_unit and self.unit is not None:
                value = Q_(float(magnitude), self.unit)
            elif wants_unit:
                raise QuantityProblem(Problem.NO_UNIT, raw, value)
            else:
                value = Q_(magnitude, "dimensionless")
        if self.unit is not None and not value.is_compatible_with(self.unit):
            raise QuantityProblem(Problem.WRONG_DIMENSION, raw, value)
        magnitude = float(value.magnitude)
        if self.finite and not math.isfinite(magnitude):
            raise QuantityProblem(Problem.OUT_OF_RANGE, raw, value)
        if self.range is Range.POSITIVE and not magnitude > 0:
            raise QuantityProblem(Problem.OUT_OF_RANGE, raw, value)
        if self.range is Range.NON_NEGATIVE and not magnitude >= 0:
            raise QuantityProblem(Problem.OUT_OF_RANGE, raw, value)
        result: Quantity = value
        return result

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """``Annotated[Quantity, QuantityRule(...)]`` is a pydantic field: text in, checked out."""
        return core_schema.no_info_plain_validator_function(
            self.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: f"{value:~P}", return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A quantity travels as text with its unit, e.g. "4.2 V"."""
        example = f"1 {self.unit}" if self.unit else "25 degC"
        return {"type": "string", "examples": [example]}


def quantity_problem(error: ValidationError) -> tuple[str, QuantityProblem] | None:
    """The first field a quantity type refused and why, to word the message the caller's way."""
    for item in error.errors():
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, QuantityProblem):
            return ".".join(str(part) for part in item["loc"]), cause
    return None
