"""What a step will measure, declared beside the step instead of discovered in its body.

OpenHTF's ``@measures`` is the model: a step states the names (and units, and the limits or a
factory that builds them from the pack spec) of its measurements before it runs. Two things follow
that a step body alone cannot give: the engine reports a *required* measurement the body never
set (a branch that forgot to record it reads as incomplete, never as a pass), and the diagnosis
rules can be checked against the declarations, so a misspelled name fails in a test instead of
silently switching a rule off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pint

from instruments.units import ureg
from procedures.errors import MeasurementDeclarationError
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.phrases import say

if TYPE_CHECKING:  # only for the factory's signature; a spec module never needs this one
    from procedures.specs import PackSpec

CELL = "{cell}"
"""Placeholder in a declared name for a cell's number (series-major, parallel cells each their
own): ``cell{cell}_voltage``."""
DIMENSION = "{dimension}"
"""Placeholder for a drawing dimension's name of the spec (``[dimensions]``): ``{dimension}``."""
_PLACEHOLDERS = (CELL, DIMENSION)

NEVER_SET = say("skip.never_set")
"""The reason the engine gives for a required measurement the step did not record."""
UNDECLARED = "measured but not declared by the step"
"""The engine's warning for a record no declaration of its step covers (a definition bug)."""

LimitFactory = Callable[["PackSpec"], Measurement | CategoricalMeasurement]


@dataclass(frozen=True)
class Declared:
    """One measurement a step promises: name, unit, limits (or how to build them), required.

    ``required``: the step must record it on every path through its body that ends normally
    (recorded as *not measured* with a reason counts; a step that ended *skipped* owes nothing).
    A measurement that a branch legitimately leaves out is not required. ``limits`` builds the
    checked ``Measurement`` from the spec, for steps whose limits depend on it.
    """

    name: str
    unit: str = ""
    required: bool = False
    limits: LimitFactory | None = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name))  # a ``Measured`` member, kept plain
        plain = self.name.replace(CELL, "1").replace(DIMENSION, "x")
        placeholders = sum(self.name.count(p) for p in _PLACEHOLDERS)
        if not plain or "/" in plain or "{" in plain or "}" in plain or placeholders > 1:
            raise MeasurementDeclarationError(
                f"declared measurement {self.name!r}: a name is plain text, optionally with one "
                f"{CELL} for the series cell's number or {DIMENSION} for a drawing dimension; "
                "records refer to '<step>/<measurement>'"
            )
        if self.unit:
            try:
                ureg.Unit(self.unit)
            except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError):
                raise MeasurementDeclarationError(
                    f"declared measurement {self.name!r}: unknown unit {self.unit!r}; use a pint "
                    "unit such as 'V', 'mohm', 'A', 'ms' (empty for a text outcome)"
                ) from None

    @property
    def per_cell(self) -> bool:
        return CELL in self.name

    @property
    def placeholder(self) -> str | None:
        """``CELL`` or ``DIMENSION`` for a name family, ``None`` for one plain name."""
        return next((p for p in _PLACEHOLDERS if p in self.name), None)

    def names(self, series: int) -> Iterator[str]:
        """The record names this declaration stands for in a pack of ``series`` cells."""
        if not self.per_cell:
            yield self.name
            return
        for cell in range(1, series + 1):
            yield self.name.replace(CELL, str(cell))

    def names_for(self, spec: PackSpec) -> tuple[str, ...]:
        """Every record name this declaration stands for with ``spec`` (its cells, dimensions)."""
        placeholder = self.placeholder
        if placeholder is None:
            return (self.name,)
        return tuple(self.name.replace(placeholder, m) for m in _members(placeholder, spec))

    def checked(self, spec: PackSpec) -> Measurement | CategoricalMeasurement | None:
        """The limits this declaration will be judged against for ``spec``, before any run.

        ``None`` when the declaration has no factory (its limits are built in the step body).
        A factory that builds a measurement of another name is a definition bug, refused here.
        """
        if self.limits is None:
            return None
        measurement = self.limits(spec)
        if not self.matches(measurement.name):
            raise MeasurementDeclarationError(
                f"declared measurement {self.name!r}: its limit factory built "
                f"{measurement.name!r}; the factory must build the declared measurement"
            )
        return measurement

    def matches(self, name: str, spec: PackSpec | None = None) -> bool:
        """True when record ``name`` is this declaration.

        A family matches one of its members: with ``spec``, exactly the spec's cells (or drawing
        dimensions); without, any cell number (or any plain dimension name).
        """
        placeholder = self.placeholder
        if placeholder is None:
            return name == self.name
        head, _, tail = self.name.partition(placeholder)
        middle = name[len(head) : len(name) - len(tail)] if len(name) > len(head + tail) else ""
        if not (name.startswith(head) and name.endswith(tail) and middle):
            return False
        if spec is not None:
            return middle in _members(placeholder, spec)
        if placeholder == CELL:
            return middle.isdigit()
        return middle.replace("_", "").isalnum()


def _members(placeholder: str, spec: PackSpec) -> tuple[str, ...]:
    """What ``placeholder`` stands for in ``spec``: its cell numbers or its dimension names."""
    if placeholder == CELL:
        cells = spec.product.series * spec.product.parallel  # each cell, parallel ones too
        return tuple(str(cell) for cell in range(1, cells + 1))
    return tuple(d.name for d in spec.dimensions)


def never_set(
    declared: tuple[Declared, ...], recorded: set[str], spec: PackSpec | None
) -> list[str]:
    """The required declared names that no record of the step carries, in declaration order.

    Without a spec, a family (per cell, per dimension) counts as set when any member's record is
    present: there is no cell count or drawing to check against.
    """
    lacking: list[str] = []
    for item in declared:
        if not item.required:
            continue
        if spec is None and item.placeholder is not None:
            if not any(item.matches(name) for name in recorded):
                lacking.append(item.name)
            continue
        names = item.names_for(spec) if spec is not None else (item.name,)
        lacking.extend(n for n in names if n not in recorded)
    return lacking


def undeclared(
    declared: tuple[Declared, ...], recorded: Iterable[str], spec: PackSpec | None
) -> list[str]:
    """The recorded names no declaration covers, in record order (a step's definition bug).

    A step that declares nothing is not checked: it predates declarations or is a test's
    stand-in, and every shipped procedure's steps declare (``tests/procedures``).
    """
    if not declared:
        return []
    return [n for n in recorded if not any(d.matches(n, spec) for d in declared)]
