"""The engine's comparison text under a verdict, written in the report's language.

The engine records, with every measurement, how it judged the value (``0.35 < 3 V (below low
limit)``, ``'cut_off' not in passing ['taper']``); that text is part of the row's hash, so it
stays as stored. A reader gets the same statement from the row's own fields instead: value,
limits and their inclusiveness, marginal band, unit and verdict decide which comparison the engine
made (``procedures.measurements``: ``Measurement.judge``, ``CategoricalMeasurement.judge``), and
the report catalogue's ``comparison.<kind>`` writes it with the numbers in the engine's form and a
category by its words. Nothing is guessed: the statement is shown only when the same fields,
written in the engine's English, give back exactly the stored text (which ``packbench verify``
checks against the row hash); a row they do not explain (an older wording, a redacted text, a
skipped test's reason) shows its stored text as before, translated where it is a catalogue
sentence. ``tests/results/test_comparison_text.py`` runs every branch of both ``judge`` methods
through this module.

Comparisons quoted inside a recorded sentence (``finding.unexplained`` names each failed record
with its comparison) have no fields beside them; ``localise_quoted`` reads them back from the
text by the same engine forms and writes them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from procedures.number_text import number_text
from procedures.records import Verdict
from results.reports.labels import Catalogue
from results.reports.model import MeasurementRow

GROUP = "comparison"
NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|-?inf"
"""A number as ``procedures.number_text`` writes it (``%g``)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison the engine made: ``kind`` names it (``comparison.<kind>`` in the report
    catalogue), ``numbers`` are in the engine's text form, ``text`` a recorded category and
    ``passing`` the categories that would have passed."""

    kind: str
    value: str = ""
    op: str = ""
    limit: str = ""
    high_op: str = ""
    high: str = ""
    unit: str = ""
    passing: tuple[str, ...] = ()

    def engine_text(self) -> str:
        """The comparison exactly as ``Measurement.judge`` / ``CategoricalMeasurement.judge``
        write it (their English is the stored text)."""
        k, v, unit = self.kind, self.value, self.unit
        if k == "below_low":
            return f"{v} {self.op} {self.limit} {unit} (below low limit)"
        if k == "above_high":
            return f"{v} {self.op} {self.limit} {unit} (above high limit)"
        if k == "marginal_low":
            return f"{v} < {self.limit} {unit} (marginal low)"
        if k == "marginal_high":
            return f"{v} > {self.limit} {unit} (marginal high)"
        if k == "no_limits":
            return f"{v} {unit} (no limits)"
        if k == "within":
            text = v if not self.limit else f"{self.limit} {self.op} {v}"
            if self.high:
                text = f"{text} {self.high_op} {self.high}"
            return f"{text} {unit}"
        if k == "accepted":
            return f"{v!r} accepted"
        if k == "marginal":
            return f"{v!r} is marginal"
        return f"{v!r} not in passing {sorted(self.passing)}"


def _with_unit(number: str, unit: str) -> str:
    return f"{number} {unit}" if unit else number


def shown(c: Comparison, t: Catalogue, label: Callable[[str], str]) -> str:
    """``c`` in ``t``'s language; ``label`` gives a recorded category its words."""
    if c.kind == "within":  # numbers and signs only: the same in every language
        text = c.value if not c.limit else f"{c.limit} {c.op} {c.value}"
        return _with_unit(f"{text} {c.high_op} {c.high}" if c.high else text, c.unit)
    if c.kind in ("accepted", "marginal", "not_passing"):
        passing = t["summary.separator"].join(label(p) for p in c.passing)
        return t.format(f"{GROUP}.{c.kind}", value=label(c.value), passing=passing)
    limit = _with_unit(c.limit, c.unit)
    value = _with_unit(c.value, c.unit) if c.kind == "no_limits" else c.value
    return t.format(f"{GROUP}.{c.kind}", value=value, op=c.op, limit=limit)


def of_row(row: MeasurementRow) -> Comparison | None:
    """The comparison the engine made for ``row``, from its fields (``None``: they do not say,
    e.g. a skipped test, or a category whose passing answers only the stored text names)."""
    if row.value is None:
        return _categorical(row)
    x, low, high, unit = row.value, row.low, row.high, row.unit
    n = number_text
    if row.verdict is Verdict.FAIL:
        if low is not None and (x < low or (x == low and not row.low_inclusive)):
            op = "<" if row.low_inclusive else "<="
            return Comparison("below_low", n(x), op, n(low), unit=unit)
        if high is not None and (x > high or (x == high and not row.high_inclusive)):
            op = ">" if row.high_inclusive else ">="
            return Comparison("above_high", n(x), op, n(high), unit=unit)
        return None
    if row.verdict is Verdict.MARGINAL:
        if row.marginal_low is not None and x < row.marginal_low:
            return Comparison("marginal_low", n(x), "<", n(row.marginal_low), unit=unit)
        if row.marginal_high is not None and x > row.marginal_high:
            return Comparison("marginal_high", n(x), ">", n(row.marginal_high), unit=unit)
        return None
    if row.verdict is not Verdict.PASS:
        return None
    if low is None and high is None:
        return Comparison("no_limits", n(x), unit=unit)
    return Comparison(
        "within",
        n(x),
        op="" if low is None else ("<=" if row.low_inclusive else "<"),
        limit="" if low is None else n(low),
        high_op="" if high is None else ("<=" if row.high_inclusive else "<"),
        high="" if high is None else n(high),
        unit=unit,
    )


_PASSING = re.compile(r" not in passing \[((?:'[^']*'(?:, )?)*)\]$")


def _categorical(row: MeasurementRow) -> Comparison | None:
    text = row.text_value
    if text is None:
        return None
    if row.verdict is Verdict.PASS:
        return Comparison("accepted", text)
    if row.verdict is Verdict.MARGINAL:
        return Comparison("marginal", text)
    if row.verdict is not Verdict.FAIL:
        return None
    # The passing answers are not among the row's fields: the stored text names them (and is
    # then checked to read exactly as the engine writes it, ``row_comparison``).
    found = _PASSING.search(row.comparison)
    if found is None:
        return None
    return Comparison("not_passing", text, passing=tuple(re.findall(r"'([^']*)'", found[1])))


def row_comparison(row: MeasurementRow) -> Comparison | None:
    """``of_row`` when its engine text is the stored text, else ``None`` (shown as stored)."""
    found = of_row(row)
    return found if found is not None and found.engine_text() == row.comparison else None


_QUOTED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "below_low",
            rf"(?P<value>{NUMBER}) (?P<op><=?) (?P<limit>{NUMBER}) (?P<unit>\S*) ?"
            r"\(below low limit\)",
        ),
        (
            "above_high",
            rf"(?P<value>{NUMBER}) (?P<op>>=?) (?P<limit>{NUMBER}) (?P<unit>\S*) ?"
            r"\(above high limit\)",
        ),
        (
            "marginal_low",
            rf"(?P<value>{NUMBER}) < (?P<limit>{NUMBER}) (?P<unit>\S*) ?"
            r"\(marginal low\)",
        ),
        (
            "marginal_high",
            rf"(?P<value>{NUMBER}) > (?P<limit>{NUMBER}) (?P<unit>\S*) ?"
            r"\(marginal high\)",
        ),
        ("no_limits", rf"(?P<value>{NUMBER}) (?P<unit>\S*) ?\(no limits\)"),
        ("accepted", r"'(?P<value>[^']*)' accepted"),
        ("marginal", r"'(?P<value>[^']*)' is marginal"),
        ("not_passing", r"'(?P<value>[^']*)' not in passing \[(?P<passing>(?:'[^']*'(?:, )?)*)\]"),
    )
)


def localise_quoted(text: str, t: Catalogue, label: Callable[[str], str]) -> str:
    """``text`` with each comparison the engine wrote (quoted in a recorded sentence) in
    ``t``'s language; a pass's bare inequality has no words and stays as it is."""
    for kind, pattern in _QUOTED:

        def write(m: re.Match[str], kind: str = kind) -> str:
            groups = m.groupdict()
            passing = tuple(re.findall(r"'([^']*)'", groups.get("passing") or ""))
            found = Comparison(
                kind,
                groups["value"],
                groups.get("op") or "",
                groups.get("limit") or "",
                unit=groups.get("unit") or "",
                passing=passing,
            )
            return shown(found, t, label)

        text = pattern.sub(write, text)
    return text
