"""A report as a document tree: what it says, in which order, with no markup.

The report is composed once per language (``results.reports.compose``) into these nodes, and the
HTML and PDF back ends only walk them, the way a compiler keeps one tree and several back ends:
a section, a label or a value added here appears in both outputs or in neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from results.reports import plots


@dataclass(frozen=True, slots=True)
class Link:
    """A reference to a place in the same report (a measurement row, a run); ``text`` in the
    report's language, ``title`` the record's code for a medium with hover text (the target
    shows the code too)."""

    text: str
    target: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Missing:
    """A reference whose target the report does not contain: shown, and flagged as missing."""

    text: str
    title: str = ""


Span = str | Link | Missing
"""One piece of running text; plain strings are text as they stand."""


@dataclass(frozen=True, slots=True)
class Rich:
    """Text with references in it: spans shown one after another."""

    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell. ``tip`` is a hover explanation (where the medium has one); ``note`` a small
    line under the value, e.g. the engine's reason under a verdict that is not a plain pass."""

    content: str | Rich
    tip: str = ""
    note: str = ""


CellValue = str | Rich | Cell


def as_cell(value: CellValue) -> Cell:
    return value if isinstance(value, Cell) else Cell(value)


@dataclass(frozen=True, slots=True)
class Row:
    """``anchor`` makes the row a link target; ``tone`` (a verdict name) colours the row's
    verdict column, the column the table names in ``Table.tone_column``."""

    cells: tuple[CellValue, ...]
    anchor: str = ""
    tone: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """``widths`` are fractions of the page width for media with a fixed page; ``numeric``
    columns align right, ``nowrap`` columns never break (an inequality broken is hard to read)."""

    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    widths: tuple[float, ...] | None = None
    numeric: frozenset[int] = frozenset()
    nowrap: frozenset[int] = frozenset()
    tone_column: int | None = None


@dataclass(frozen=True, slots=True)
class KeyValues:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """``kind``: ``""`` plain text, ``note`` a remark in a quieter voice, ``summary`` the run's
    summary sentence, ``draft`` the warning that no approval exists yet."""

    lines: tuple[str, ...]
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Items:
    """Points listed one under another (a reply letter's units, its advice): each a sentence of
    its own, marked as a list item by the back end rather than by a dash in the wording."""

    items: tuple[str, ...]


ITEM_MARK = "- "
"""What marks an item where the medium has no list of its own (plain text, the PDF's lines)."""


@dataclass(frozen=True, slots=True)
class Chart:
    chart: plots.Chart
    caption: str


@dataclass(frozen=True, slots=True)
class Photo:
    content: bytes
    media_type: str
    name: str
    caption: str


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part; ``anchor`` names it as a link target, ``kind`` says what it is (a back end
    may style a unit or a run differently)."""

    anchor: str
    children: tuple[Block, ...]
    kind: str = ""


Block = Heading | Paragraph | Items | KeyValues | Table | Chart | Photo | Section


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    lang: str
    header: tuple[Block, ...]
    body: tuple[Block, ...]
    footer: tuple[str, ...] = ()
    subject: str = ""
    """What kind of report this is, for the PDF metadata (empty: the analysis report)."""
