"""The *shape* of an instrument's text reply, so an emulator's can be judged against a real one's.

Values differ between a pack on a bench and the simulated one; what must not differ is the class
and format of each reply, because that is what a driver parses: how many comma-separated fields,
each field a number, an enumeration keyword, a quoted string or free text; for numbers the
notation (NR1 integer, NR2 decimal, NR3 exponent), the digits after the point, the exponent's
digits and sign, an explicit ``+``, a unit suffix and a fixed width (the Hioki pads with spaces).
A number where the manual gives ``POS``, eight decimals where the instrument prints five, two
fields where it prints one: each is a difference a driver may trip on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(
    r"^(?P<pad> *)(?P<sign>[+-]?)(?P<pad2> *)(?P<int>\d*)(?:\.(?P<frac>\d*))?"
    r"(?:(?P<e>[Ee])(?P<esign>[+-]?)(?P<exp>\d+))?\s*(?P<unit>[A-Za-z%\u00b5\u03a9]+)?$"
)
_KEYWORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class FieldShape:
    """One field of a reply, by class and format (``describe`` words it for a person)."""

    kind: str
    """``number``, ``enumeration``, ``string`` (quoted), ``text`` or ``empty``."""
    notation: str = ""
    """``NR1`` (integer), ``NR2`` (decimal point) or ``NR3`` (exponent), for numbers."""
    plus: bool | None = None
    """An explicit ``+`` on a non-negative number; ``None`` when negative (no evidence)."""
    decimals: int | None = None
    exponent_digits: int | None = None
    """Digits printed in the exponent (``E+00``: 2; ``E+10``: 2; ``E+0``: 1)."""
    exponent_padding: int | None = None
    """The exponent's zero-padded width where the reply shows it (``E+00``: 2, ``E+0``: 1);
    ``None`` when it cannot be told (``E+10`` fits a 1- and a 2-digit style alike)."""
    exponent_plus: bool | None = None
    """An explicit ``+`` on a non-negative exponent (``E+00``); ``None`` for negative ones."""
    unit: str = ""
    width: int | None = None
    """Total width of a field padded with leading spaces (fixed-width formats)."""

    def describe(self) -> str:
        if self.kind != "number":
            return self.kind
        details = [self.notation]
        if self.decimals is not None and self.notation != "NR1":
            details.append(f"{self.decimals} decimals")
        if self.exponent_digits is not None:
            details.append(f"{self.exponent_digits}-digit exponent")
        if self.plus:
            details.append("explicit +")
        if self.unit:
            details.append(f"unit {self.unit}")
        if self.width is not None:
            details.append(f"width {self.width}")
        return "number " + ", ".join(details)


def split_fields(reply: str) -> list[str]:
    """Comma-separated fields, commas inside double quotes kept (``+0,"No error"``)."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for char in reply:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def field_shape(text: str) -> FieldShape:
    stripped = text.strip()
    if not stripped:
        return FieldShape("empty")
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        return FieldShape("string")
    match = _NUMBER.match(text.rstrip())
    if match is not None and (match["int"] or match["frac"]):
        negative = match["sign"] == "-"
        exponent = match["exp"]
        return FieldShape(
            "number",
            notation="NR3" if match["e"] else ("NR2" if match["frac"] is not None else "NR1"),
            plus=None if negative else match["sign"] == "+",
            decimals=len(match["frac"]) if match["frac"] is not None else None,
            exponent_digits=len(exponent) if exponent else None,
            exponent_padding=_padding(exponent),
            exponent_plus=(
                None if not exponent or match["esign"] == "-" else match["esign"] == "+"
            ),
            unit=match["unit"] or "",
            width=len(text.rstrip()) if match["pad"] or match["pad2"] else None,
        )
    if _KEYWORD.match(stripped):
        return FieldShape("enumeration")
    return FieldShape("text")


def _padding(exponent: str | None) -> int | None:
    if not exponent:
        return None
    if len(exponent) == 1 or exponent.startswith("0"):
        return len(exponent)
    return None


def _exponent_style_differs(a: FieldShape, b: FieldShape) -> bool:
    """Two exponent styles that cannot be the same instrument's (value-independent)."""
    if a.exponent_digits is None or b.exponent_digits is None:
        return a.exponent_digits != b.exponent_digits
    if a.exponent_padding is not None and b.exponent_padding is not None:
        return a.exponent_padding != b.exponent_padding
    if a.exponent_padding is not None:
        return a.exponent_padding > b.exponent_digits
    if b.exponent_padding is not None:
        return b.exponent_padding > a.exponent_digits
    return False


def reply_shape(reply: str) -> list[FieldShape]:
    return [field_shape(f) for f in split_fields(reply)]


def shape_differences(recorded: str, emulated: str) -> list[str]:
    """How ``emulated`` differs in class or format from ``recorded`` (empty: it conforms)."""
    mine, theirs = reply_shape(recorded), reply_shape(emulated)
    if len(mine) != len(theirs):
        return [f"{len(mine)} field(s) recorded, {len(theirs)} from the emulator"]
    found: list[str] = []
    for number, (a, b) in enumerate(zip(mine, theirs, strict=True), start=1):
        where = f"field {number}: " if len(mine) > 1 else ""
        if a.kind != b.kind or (a.kind == "number" and a.notation != b.notation):
            found.append(f"{where}recorded {a.describe()}, emulator {b.describe()}")
            continue
        if a.kind != "number":
            continue
        if _exponent_style_differs(a, b):
            found.append(
                f"{where}exponent digits: recorded {a.exponent_digits}, emulator "
                f"{b.exponent_digits}"
            )
        # a fixed-width field grows with its exponent (the Hioki's 1E+10 fault code): the width
        # is compared between fields of equal exponent length only
        same_exponent = a.exponent_digits == b.exponent_digits
        for what, x, y in (
            ("decimals", a.decimals, b.decimals),
            ("unit", a.unit or "none", b.unit or "none"),
            ("width", a.width, b.width if a.width is not None and same_exponent else a.width),
        ):
            if x != y:
                found.append(f"{where}{what}: recorded {x}, emulator {y}")
        if a.plus is not None and b.plus is not None and a.plus != b.plus:
            found.append(f"{where}explicit +: recorded {a.plus}, emulator {b.plus}")
        if (
            a.exponent_plus is not None
            and b.exponent_plus is not None
            and a.exponent_plus != b.exponent_plus
        ):
            found.append(
                f"{where}exponent +: recorded {a.exponent_plus}, emulator {b.exponent_plus}"
            )
    return found


_ERROR_QUERY = re.compile(r"^:?SYST(EM)?:ERR(OR)?(:NEXT)?\?$|^\*ESR\?$", re.IGNORECASE)


def error_report_difference(command: str, recorded: str, emulated: str) -> str | None:
    """An error query (``SYST:ERR?``, ``*ESR?``) the real instrument answered with no error and
    the emulator with one: the emulator refused something the instrument accepted."""
    if not _ERROR_QUERY.match(command.strip()):
        return None
    try:
        real = float(split_fields(recorded)[0])
        ours = float(split_fields(emulated)[0])
    except ValueError:
        return None
    if real == 0.0 and ours != 0.0:
        return (
            f"the instrument reported no error ({recorded!r}), the emulator {emulated!r}: it "
            "refused a command the instrument accepted"
        )
    return None
