"""Fixed text forms of numbers and times, shared by every renderer.

One formatter for HTML and PDF means the two outputs never disagree on a value, and a fixed format
(not ``str(float)`` or the host's locale) keeps rendered bytes identical from run to run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

SIGNIFICANT_DIGITS = 6


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.{SIGNIFICANT_DIGITS}g}"


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


def limit_marks(low_inclusive: bool, high_inclusive: bool) -> str:
    """Interval notation of which bounds pass: ``[ ]`` closed, ``( )`` open."""
    return ("[" if low_inclusive else "(") + "," + ("]" if high_inclusive else ")")
