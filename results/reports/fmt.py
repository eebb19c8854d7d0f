"""Fixed text forms of numbers and times, shared by every renderer.

One formatter for HTML and PDF means the two outputs never disagree on a value, and a fixed format
(not ``str(float)`` or the host's locale) keeps rendered bytes identical from run to run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from procedures.number_text import number_text


def number(value: float | None) -> str:
    """``procedures.number_text``'s form (the engine's comparison text uses it too)."""
    return "" if value is None else number_text(value)


def timestamp(value: datetime | None) -> str:
    """UTC, to the second: naive datetimes are taken as UTC, as the store writes them."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timestamp(value)[:10]
    return value.isoformat()


def integer(value: int | None) -> str:
    return "" if value is None else str(value)


def with_unit(value: float | None, unit: str) -> str:
    """``3.7 V``; empty without a value."""
    if value is None:
        return ""
    return f"{number(value)} {unit}" if unit else number(value)


def limits(
    low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool, unit: str
) -> str:
    """The pass band as one readable inequality: ``2.4 ≤ x ≤ 4.35 V``, ``x < 120 mΩ``.

    Empty when there is no bound: a row without limits is recorded, not judged, and an interval
    bracket on it (``[,]``) would suggest a band that does not exist. Each side shows only when it
    has a bound, with ``≤`` or ``<`` as that bound includes its value or not.
    """
    unit_text = f" {unit}" if unit else ""
    if low is None and high is None:
        return ""
    if low is None:
        return f"x {'≤' if high_inclusive else '<'} {number(high)}{unit_text}"
    if high is None:
        return f"x {'≥' if low_inclusive else '>'} {number(low)}{unit_text}"
    low_op = "≤" if low_inclusive else "<"
    high_op = "≤" if high_inclusive else "<"
    return f"{number(low)} {low_op} x {high_op} {number(high)}{unit_text}"
