"""One way to read a quantity written as text, usable as a pydantic field type.

A field is declared ``Annotated[Quantity, QuantityRule("V", Range.POSITIVE)]``.

Station files, pack specs, operator answers, complaint forms and API bodies all take quantities
as text ("4.30 V", "60 degC"). Each used to carry its own parser with its own ``except Exception``
around pint; they now share this one, so "is it readable, has it a unit, is it the right
dimension, is it in range" is decided in one place. The wording can stay with each caller: a
``QuantityProblem`` says *what* is wrong (its ``kind``) and a caller with its own established
messages turns that into a message naming its field and the fix. A caller without one (an API
body) gets the default message, which names the value and the fix too.
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
from pydantic_core import PydanticCustomError, core_schema

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
    """A quantity text that cannot be used.

    ``kind`` says why, ``parsed`` is pint's reading (for the dimension a caller names),
    ``detail`` pint's own complaint when it could not read the text at all.
    """

    def __init__(
        self, kind: Problem, raw: object, example: str, parsed: Any = None, detail: str = ""
    ) -> None:
        super().__init__(_default_message(kind, raw, example, parsed))
        self.kind = kind
        self.raw = raw
        self.parsed = parsed
        self.detail = detail


def _default_message(kind: Problem, raw: object, example: str, parsed: Any) -> str:
    if kind is Problem.NOT_TEXT:
        return f"{raw!r} has no unit; write it as text with its unit, e.g. {example!r}"
    if kind is Problem.UNREADABLE:
        return f"{raw!r} is not a quantity; write it like {example!r}"
    if kind is Problem.NO_UNIT:
        return f"{raw!r} has no unit; write it like {example!r}"
    if kind is Problem.WRONG_DIMENSION:
        return f"{raw!r} is in {parsed.units:~P}, a different dimension; write it like {example!r}"
    return f"{raw!r} is out of range; write it like {example!r}"


# A number, then unit words only: no arithmetic, no exponents of exponents reach pint's parser.
_PLAIN_TEXT = re.compile(r"^\s*[-+]?\d+(\.\d+)?([eE][-+]?\d{1,3})?\s*[A-Za-z°_ ]*$")
_PLAIN_TEXT_MAX = 50
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*)$")


@dataclass(frozen=True, slots=True)
class QuantityRule:
    """What a quantity field accepts.

    ``unit`` names the dimension (None: any, a bare number then becomes dimensionless);
    ``bare_unit`` takes a bare number in ``unit`` (an operator typing "3.7" for volts) instead of
    refusing it; ``finite`` refuses inf and nan; ``plain_text_only`` refuses anything but
    "number unit" of at most 50 characters (for text from the network, where pint's expression
    parser is not to be exposed).
    """

    unit: str | None
    range: Range = Range.ANY
    bare_unit: bool = False
    finite: bool = False
    plain_text_only: bool = False

    @property
    def example(self) -> str:
        return f"25 {self.unit or 'degC'}"

    def problem(self, kind: Problem, raw: object, parsed: Any = None) -> QuantityProblem:
        return QuantityProblem(kind, raw, self.example, parsed)

    def parse(self, raw: object) -> Quantity:
        """The quantity ``raw`` states, or ``QuantityProblem`` saying what is wrong with it."""
        if not isinstance(raw, str):
            raise self.problem(Problem.NOT_TEXT, raw)
        if self.plain_text_only and (len(raw) > _PLAIN_TEXT_MAX or not _PLAIN_TEXT.match(raw)):
            raise self.problem(Problem.UNREADABLE, raw)
        value = self._read(raw)
        wants_unit = self.unit is not None and not Q_(1, self.unit).dimensionless
        if not isinstance(value, pint.Quantity) or (wants_unit and value.dimensionless):
            magnitude = value.magnitude if isinstance(value, pint.Quantity) else value
            if self.bare_unit and self.unit is not None:
                value = Q_(float(magnitude), self.unit)
            elif wants_unit:
                raise self.problem(Problem.NO_UNIT, raw, value)
            else:
                value = Q_(magnitude, "dimensionless")
        if self.unit is not None and not value.is_compatible_with(self.unit):
            raise self.problem(Problem.WRONG_DIMENSION, raw, value)
        magnitude = float(value.magnitude)
        if self.finite and not math.isfinite(magnitude):
            raise self.problem(Problem.OUT_OF_RANGE, raw, value)
        if self.range is Range.POSITIVE and not magnitude > 0:
            raise self.problem(Problem.OUT_OF_RANGE, raw, value)
        if self.range is Range.NON_NEGATIVE and not magnitude >= 0:
            raise self.problem(Problem.OUT_OF_RANGE, raw, value)
        result: Quantity = value
        return result

    def _read(self, raw: str) -> Any:
        """pint's reading of ``raw``; "60 degC" is split into number and unit if pint refuses it.

        pint parses "60 degC" as the product ``60 * degC``, which it refuses for offset units
        (temperatures), so on failure the leading number and the unit are read apart.
        """
        text = raw.strip()
        try:
            return Q_(text)
        except Exception as exc:  # pint's parser raises anything, even AssertionError
            detail = str(exc)
        match = _NUMBER_UNIT.match(text)
        if match is not None:
            try:
                return Q_(float(match.group(1)), match.group(2).strip())
            except Exception as exc:  # the same parser, the same anything
                detail = str(exc)
        problem = self.problem(Problem.UNREADABLE, raw)
        problem.detail = detail
        raise problem

    def _validate(self, raw: object) -> Quantity:
        """``parse`` for pydantic: our message as the error's, the problem kept in its context."""
        try:
            return self.parse(raw)
        except QuantityProblem as problem:
            raise PydanticCustomError("quantity", str(problem), {"problem": problem}) from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """``Annotated[Quantity, QuantityRule(...)]`` is a pydantic field: text in, checked out."""
        return core_schema.no_info_plain_validator_function(
            self._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: f"{value:~P}", return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A quantity travels as text with its unit, e.g. "4.2 V"."""
        json: JsonSchemaValue = {"type": "string", "examples": [self.example]}
        if self.plain_text_only:
            json |= {"maxLength": _PLAIN_TEXT_MAX, "pattern": _PLAIN_TEXT.pattern}
        return json


def quantity_problem(error: ValidationError) -> tuple[str, QuantityProblem] | None:
    """The first field a quantity type refused and why, to word the message the caller's way."""
    for item in error.errors():
        cause = item.get("ctx", {}).get("problem")
        if isinstance(cause, QuantityProblem):
            return ".".join(str(part) for part in item["loc"]), cause
    return None
