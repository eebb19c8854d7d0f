"""Declared measurements: a name, a unit and limits, checked into a ``MeasurementRecord``.

A measurement is declared once and validated many times, so everything that involves pint (unit
parsing, dimension checks, limit conversion) happens at declaration. Validating a reading then
costs a cached factor lookup, a multiplication and a few float comparisons: the engine can afford
to record every reading with its limits and verdict instead of only the failures.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

import pint

from instruments.units import Quantity, ureg
from procedures.errors import MeasurementDeclarationError, MeasurementValueError
from procedures.number_text import number_text as _fmt
from procedures.records import LimitsRecord, MeasurementRecord, Verdict

_PASS = Verdict.PASS
_MARGINAL = Verdict.MARGINAL
_FAIL = Verdict.FAIL


_RECORD_FIELDS = (
    "name",
    "value",
    "unit",
    "limits",
    "verdict",
    "comparison",
    "timestamp",
    "instrument",
    "description",
    "text_value",
)


def _same(value: object) -> object:
    return value


def _record_factory() -> Callable[..., MeasurementRecord]:
    """A constructor for ``MeasurementRecord`` that skips the frozen dataclass ``__init__``.

    A frozen dataclass sets each field through ``object.__setattr__``: 3 us of the 10 us budget
    per measurement. Writing the slots directly costs a third of that. The fast path is used only
    while the record class is shaped as expected (slots, these fields first); any field added
    later gets its default, and any other change falls back to the ordinary constructor.
    """
    cls = MeasurementRecord
    fields = dataclasses.fields(cls)
    slots = getattr(cls, "__slots__", ())
    if tuple(f.name for f in fields[: len(_RECORD_FIELDS)]) != _RECORD_FIELDS or not slots:
        return cls
    extra: list[tuple[Callable[[object, object], None], Callable[[], object]]] = []
    for f in fields[len(_RECORD_FIELDS) :]:
        if f.default is not dataclasses.MISSING:
            extra.append((cls.__dict__[f.name].__set__, functools.partial(_same, f.default)))
        elif f.default_factory is not dataclasses.MISSING:
            extra.append((cls.__dict__[f.name].__set__, f.default_factory))
        else:
            return cls
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 = (cls.__dict__[n].__set__ for n in _RECORD_FIELDS)
    new = object.__new__

    def make(
        name: str,
        value: float | None,
        unit: str,
        limits: LimitsRecord,
        verdict: Verdict,
        comparison: str,
        timestamp: datetime,
        instrument: str | None,
        description: str,
        text_value: str | None,
    ) -> MeasurementRecord:
        record: MeasurementRecord = new(cls)
        s0(record, name)
        s1(record, value)
        s2(record, unit)
        s3(record, limits)
        s4(record, verdict)
        s5(record, comparison)
        s6(record, timestamp)
        s7(record, instrument)
        s8(record, description)
        s9(record, text_value)
        for setter, default in extra:
            setter(record, default())
        return record

    return make


_new_record = _record_factory()


class Measurement:
    """A numeric measurement with optional two- or one-sided limits and a marginal band.

    ``low``/``high`` decide pass/fail; ``marginal_low``/``marginal_high`` lie inside them and turn
    a pass into a *marginal* (worth a look, not a reject). Limits are quantities only: a bare
    ``4.2`` could mean volts or millivolts, and a limit in the wrong dimension is a bug that must
    show at import time, not when the first pack is on the bench.
    """

    __slots__ = (
        "_factors",
        "_high",
        "_high_incl",
        "_low",
        "_low_incl",
        "_mhigh",
        "_mlow",
        "_offset_unit",
        "_unit",
        "description",
        "limits",
        "name",
        "unit",
    )

    def __init__(
        self,
        name: str,
        unit: str,
        low: Quantity | None = None,
        high: Quantity | None = None,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
        nominal: Quantity | None = None,
        marginal_low: Quantity | None = None,
        marginal_high: Quantity | None = None,
        description: str = "",
    ) -> None:
        if not name or "/" in name:
            raise MeasurementDeclarationError(
                f"measurement name {name!r} is empty or contains '/'; "
                "evidence references use '<step>/<measurement>', so pick a plain name"
            )
        try:
            parsed = ureg.Unit(unit)
        except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError) as exc:
            raise MeasurementDeclarationError(
                f"measurement {name!r}: unknown unit {unit!r} ({exc}); use a pint unit such as "
                "'V', 'mohm', 'A', 'ms'"
            ) from None
        self.name = str(name)  # a ``StrEnum`` member is recorded as its plain string
        self.description = description
        self._unit: pint.Unit = parsed
        # pint's compact abbreviated form ('mV/d', 'mΩ', 'µs'), not the default short form
        # ('mV / d', 'h * mA'): the text lands in every table and parses back with ``ureg``.
        self.unit: str = format(parsed, "~C")
        self._offset_unit = not ureg.Quantity(1.0, parsed)._ok_for_muldiv()
        self._factors: dict[Any, float] = {}
        self._low = self._limit("low", low)
        self._high = self._limit("high", high)
        self._mlow = self._limit("marginal_low", marginal_low)
        self._mhigh = self._limit("marginal_high", marginal_high)
        nom = self._limit("nominal", nominal)
        self._low_incl = low_inclusive
        self._high_incl = high_inclusive
        self._check_order()
        self.limits = LimitsRecord(
            low=self._low,
            high=self._high,
            low_inclusive=low_inclusive,
            high_inclusive=high_inclusive,
            nominal=nom,
            marginal_low=self._mlow,
            marginal_high=self._mhigh,
        )

    def _limit(self, which: str, value: Quantity | None) -> float | None:
        if value is None:
            return None
        if not isinstance(value, pint.Quantity):
            raise MeasurementDeclarationError(
                f"measurement {self.name!r}: limit {which}={value!r} is a bare number; "
                f"write it as Q_({value!r}, '{self.unit}')"
            )
        if not value.is_compatible_with(self._unit):
            raise MeasurementDeclarationError(
                f"measurement {self.name!r}: limit {which}={value:~P} has dimension "
                f"{value.dimensionality}, but the measurement is in {self.unit} "
                f"({self._unit.dimensionality}); fix the limit's unit"
            )
        # 12 significant digits: 4350 mV is stored as 4.35 V, not 4.3500000000000005 V
        magnitude = float(f"{float(value.to(self._unit).magnitude):.12g}")
        if math.isnan(magnitude):
            raise MeasurementDeclarationError(f"measurement {self.name!r}: limit {which} is NaN")
        return magnitude

    def _check_order(self) -> None:
        pairs = (
            ("low", self._low, "high", self._high),
            ("low", self._low, "marginal_low", self._mlow),
            ("marginal_low", self._mlow, "marginal_high", self._mhigh),
            ("marginal_high", self._mhigh, "high", self._high),
            ("low", self._low, "marginal_high", self._mhigh),
            ("marginal_low", self._mlow, "high", self._high),
        )
        for a_name, a, b_name, b in pairs:
            if a is not None and b is not None and a > b:
                raise MeasurementDeclarationError(
                    f"measurement {self.name!r}: {a_name} ({_fmt(a)} {self.unit}) is above "
                    f"{b_name} ({_fmt(b)} {self.unit}); the order must be "
                    "low <= marginal_low <= marginal_high <= high"
                )

    def magnitude(self, value: Quantity) -> float:
        """``value`` in this measurement's unit; the conversion factor is cached per source unit."""
        try:
            units = value._units
            magnitude = value._magnitude
        except AttributeError:
            raise MeasurementValueError(
                f"measurement {self.name!r}: expected a quantity in {self.unit}, got "
                f"{value!r}; pass Q_({value!r}, '{self.unit}') or the instrument's reading"
            ) from None
        factor = self._factors.get(units)
        if factor is None:
            if not value.is_compatible_with(self._unit):
                raise MeasurementValueError(
                    f"measurement {self.name!r}: {value:~P} has dimension "
                    f"{value.dimensionality}, expected {self.unit} ({self._unit.dimensionality})"
                )
            if self._offset_unit or not value._ok_for_muldiv():
                return float(value.to(self._unit).magnitude)
            factor = float(ureg.Quantity(1.0, value.units).to(self._unit).magnitude)
            self._factors[units] = factor
        return float(magnitude) * factor

    def judge(self, x: float) -> tuple[Verdict, str]:
        """Verdict and the comparison that decided it, for a magnitude already in ``unit``."""
        if x != x:  # NaN compares false with everything and would pass every limit
            raise MeasurementValueError(
                f"measurement {self.name!r}: the value is NaN; treat it as an instrument fault"
            )
        low, high, unit = self._low, self._high, self.unit
        if low is not None and (x < low or (x == low and not self._low_incl)):
            op = "<" if self._low_incl else "<="
            return _FAIL, f"{_fmt(x)} {op} {_fmt(low)} {unit} (below low limit)"
        if high is not None and (x > high or (x == high and not self._high_incl)):
            op = ">" if self._high_incl else ">="
            return _FAIL, f"{_fmt(x)} {op} {_fmt(high)} {unit} (above high limit)"
        if self._mlow is not None and x < self._mlow:
            return _MARGINAL, f"{_fmt(x)} < {_fmt(self._mlow)} {unit} (marginal low)"
        if self._mhigh is not None and x > self._mhigh:
            return _MARGINAL, f"{_fmt(x)} > {_fmt(self._mhigh)} {unit} (marginal high)"
        if low is None and high is None:
            return _PASS, f"{_fmt(x)} {unit} (no limits)"
        text = _fmt(x)
        if low is not None:
            text = f"{_fmt(low)} {'<=' if self._low_incl else '<'} {text}"
        if high is not None:
            text = f"{text} {'<=' if self._high_incl else '<'} {_fmt(high)}"
        return _PASS, f"{text} {unit}"

    def validate(
        self,
        value: Quantity,
        *,
        instrument: str | None = None,
        timestamp: datetime | None = None,
    ) -> MeasurementRecord:
        """Check ``value`` against the limits; raise if it cannot be judged (wrong dimension)."""
        x = self.magnitude(value)
        verdict, comparison = self.judge(x)
        return _new_record(
            self.name,
            x,
            self.unit,
            self.limits,
            verdict,
            comparison,
            timestamp if timestamp is not None else datetime.now(UTC),
            instrument,
            self.description,
            None,
        )

    def __repr__(self) -> str:
        return f"Measurement({self.name!r}, {self.unit!r}, {self.limits})"


class CategoricalMeasurement:
    """A text outcome: an operator's observation or a classification (``"swollen"``, ``"ok"``).

    ``allowed`` is the vocabulary (a value outside it is a software or entry error, not a fail);
    ``passing`` and ``marginal`` say which answers pass or are marginal; any other allowed answer
    fails. Without ``passing`` every allowed answer passes: the answer is recorded, not judged.
    """

    __slots__ = ("allowed", "description", "limits", "marginal", "name", "passing")

    def __init__(
        self,
        name: str,
        allowed: Collection[str] | None = None,
        passing: Collection[str] | None = None,
        marginal: Collection[str] = (),
        description: str = "",
    ) -> None:
        if not name or "/" in name:
            raise MeasurementDeclarationError(
                f"measurement name {name!r} is empty or contains '/'; pick a plain name"
            )
        # Names and answers may come as ``StrEnum`` members (the diagnosis's vocabulary); the
        # records keep plain strings, so a sorted list of answers reads ['closed'], not the enum.
        self.name = str(name)
        self.description = description
        self.allowed = frozenset(map(str, allowed)) if allowed is not None else None
        self.passing = frozenset(map(str, passing)) if passing is not None else None
        self.marginal = frozenset(map(str, marginal))
        self.limits = LimitsRecord()
        if self.allowed is not None:
            stray = ((self.passing or frozenset()) | self.marginal) - self.allowed
            if stray:
                raise MeasurementDeclarationError(
                    f"measurement {name!r}: {sorted(stray)} are judged but not allowed; "
                    f"add them to allowed {sorted(self.allowed)}"
                )

    def judge(self, text: str) -> tuple[Verdict, str]:
        if not isinstance(text, str):
            raise MeasurementValueError(
                f"measurement {self.name!r}: expected a text value, got {text!r}"
            )
        if self.allowed is not None and text not in self.allowed:
            raise MeasurementValueError(
                f"measurement {self.name!r}: {text!r} is not one of {sorted(self.allowed)}"
            )
        if self.passing is None or text in self.passing:
            return _PASS, f"{text!r} accepted"
        if text in self.marginal:
            return _MARGINAL, f"{text!r} is marginal"
        return _FAIL, f"{text!r} not in passing {sorted(self.passing)}"

    def validate(
        self,
        value: str,
        *,
        instrument: str | None = None,
        timestamp: datetime | None = None,
    ) -> MeasurementRecord:
        verdict, comparison = self.judge(value)
        return MeasurementRecord(
            self.name,
            None,
            "",
            self.limits,
            verdict,
            comparison,
            timestamp if timestamp is not None else datetime.now(UTC),
            instrument,
            self.description,
            value,
        )

    def __repr__(self) -> str:
        return f"CategoricalMeasurement({self.name!r}, passing={self.passing})"
