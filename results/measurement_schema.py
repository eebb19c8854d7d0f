"""The stored shape of a measurement, derived from ``procedures.records.MeasurementRecord``.

``MeasurementRecord`` (with its ``LimitsRecord``) is the one definition of a measurement. A stored
row is that record flattened: the limits' fields become columns, ``timestamp`` is stored as
``measured_at``, and the row adds its position in the step (``idx``). Everything that moves a
measurement between the record and the store reads the column list and the row builder here (the
recorder, the run import, the journal replay through the recorder, ``verify``, ``readback``), so
a new record field needs no edit in any of them; ``tests/results/test_measurement_schema.py``
fails until the table (a migration) and the read model carry it too
(docs/measurement-schema.md walks through adding one).

Values are converted to their stored Python types exactly once, here: ``float`` for the
``float | None`` fields (a ``numpy.float64`` or an ``int`` from a driver becomes a plain float,
so the hash input and the stored value are the same object), ``bool`` for the flags, the
verdict's *name* for the verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from operator import attrgetter
from typing import Any

from procedures.records import LimitsRecord, MeasurementRecord, Verdict

_COLUMN_OF_FIELD = {"timestamp": "measured_at"}
"""Record fields whose column has another name (the column predates the record's name)."""
_NESTED = "limits"
"""The record field whose own fields are stored as columns of the measurement row."""


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


_VERDICT_NAMES = {verdict: verdict.name for verdict in Verdict}
# ``Enum.name`` is a Python-level descriptor; a dict lookup per measurement is a tenth of it.
_TO_STORED: Mapping[str, Callable[[Any], Any]] = {
    "float | None": _optional_float,
    "bool": bool,
    "Verdict": _VERDICT_NAMES.__getitem__,
}
"""How a field of each declared type becomes its stored value; other types are stored as they
are (``str``, ``str | None``, ``datetime``: the recorder checks the time zone)."""


def _flattened() -> tuple[tuple[str, str, str], ...]:
    """(column, attribute path on the record, declared type) for every stored record field."""
    out: list[tuple[str, str, str]] = []
    for f in fields(MeasurementRecord):
        if f.name == _NESTED:
            out += [(lf.name, f"{_NESTED}.{lf.name}", str(lf.type)) for lf in fields(LimitsRecord)]
        else:
            out.append((_COLUMN_OF_FIELD.get(f.name, f.name), f.name, str(f.type)))
    return tuple(out)


_FLAT = _flattened()
RECORD_COLUMNS: tuple[str, ...] = tuple(column for column, _path, _type in _FLAT)
"""The columns a ``MeasurementRecord`` fills, in the record's field order."""
STORED_COLUMNS: tuple[str, ...] = ("idx", *RECORD_COLUMNS)
"""A measurement row's own content: the hash input's keys (``integrity.measurement_hash``)."""
TABLE_COLUMNS: tuple[str, ...] = ("id", "step_id", *STORED_COLUMNS, "row_hash")
"""Every column of the ``measurement`` table, as the ORM model and the read model name them."""
MEASURED_AT = STORED_COLUMNS.index("measured_at")
"""Position of the timestamp in a stored row (the one value the database binds specially)."""

_read = attrgetter(*(path for _column, path, _type in _FLAT))
_converters = tuple(
    (position + 1, _TO_STORED[type_])
    for position, (_c, _p, type_) in enumerate(_FLAT)
    if type_ in _TO_STORED
)


def stored_values(idx: int, record: MeasurementRecord) -> list[Any]:
    """The row's values in ``STORED_COLUMNS`` order, converted to their stored types once.

    The hot path of a recording: one C-level ``attrgetter`` call reads every field, and only the
    fields whose type needs it are converted.
    """
    values = [idx, *_read(record)]
    for position, convert in _converters:
        values[position] = convert(values[position])
    return values


def stored_row(values: list[Any]) -> dict[str, Any]:
    """``stored_values`` by column name: the input of ``integrity.measurement_hash``."""
    return dict(zip(STORED_COLUMNS, values, strict=True))


_READ_BACK: Mapping[str, Callable[[Any], Any]] = {
    column: _TO_STORED[type_]
    for column, _path, type_ in _FLAT
    if type_ in _TO_STORED and type_ != "Verdict"  # the verdict is stored by name already
}
"""The columns whose value read back from the database is converted to its stored type again
(a driver may give an ``int`` for a flag), with their converters."""


def stored_row_of(row: Any) -> dict[str, Any]:
    """The hash input re-read from a stored row (an ORM ``Measurement`` or a read model), with
    the same conversions, so ``verify`` recomputes exactly what the recorder hashed."""
    out = {column: getattr(row, column) for column in STORED_COLUMNS}
    for column, convert in _READ_BACK.items():
        out[column] = convert(out[column])
    return out


def read_back_converters(columns: tuple[str, ...]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position in ``columns``, converter) of the columns ``stored_row_of`` converts: for
    ``verify``, which reads measurement rows as plain tuples in its own column order."""
    return tuple((columns.index(c), convert) for c, convert in _READ_BACK.items() if c in columns)


_SQL_TYPE_OF_STORED: Mapping[str, str] = {"float | None": "double precision", "bool": "boolean"}
"""The SQL type whose values a PostgreSQL driver returns as each converted type's stored value."""


def read_back_casts(columns: tuple[str, ...]) -> dict[str, str]:
    """(column -> SQL type) for the columns of ``columns`` that ``read_back_converters`` converts:
    a statement that casts each of them to its type gets, from a PostgreSQL driver, the values
    the converters would give (``float`` or ``None``, ``bool``), with no Python call per value.
    ``verify`` reads tens of millions of measurement rows; the converters were a third of the
    Python spent on each."""
    type_of = {column: type_ for column, _path, type_ in _FLAT}
    return {c: _SQL_TYPE_OF_STORED[type_of[c]] for c in _READ_BACK if c in columns}


_LIMIT_NAMES = tuple(f.name for f in fields(LimitsRecord))
_RECORD_SOURCES = tuple(
    (f.name, _COLUMN_OF_FIELD.get(f.name, f.name))
    for f in fields(MeasurementRecord)
    if f.name != _NESTED
)
"""(record field, row attribute) of ``record_of``, worked out once: ``dataclasses.fields`` per
row was a tenth of a bench's CPU reading runs back to sync them."""


def record_of(row: Any, verdict: Callable[[str], Verdict]) -> MeasurementRecord:
    """The ``MeasurementRecord`` a stored row (ORM or read model) holds; ``verdict`` maps the
    stored name back (``verdict_names.verdict_named``, tolerant of newer names)."""
    values: dict[str, Any] = {name: getattr(row, source) for name, source in _RECORD_SOURCES}
    values[_NESTED] = LimitsRecord(**{name: getattr(row, name) for name in _LIMIT_NAMES})
    values["verdict"] = verdict(row.verdict)
    return MeasurementRecord(**values)
