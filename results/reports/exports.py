"""JSON and CSV of the measurement log of a complaint or of one run.

One row per measurement with the limits and instrument it was judged by, in a fixed order, so an
export of unchanged data is byte-identical (diffable, hashable). CSV cells that a spreadsheet
would execute (leading ``= + - @``, tab, CR) are prefixed with ``'`` (OWASP ASVS 1.2.10).

A value that is not a finite number (NaN from a failed reading, an infinity from an overload) is
exported as JSON ``null`` / an empty CSV cell, never as the bare ``NaN`` that JSON forbids; the
``value_note`` column says which it was, and the row's verdict says what the engine made of it.

Two layouts. ``to_csv`` (and ``to_json``) is the machine export: column names and cells are the
recorded codes, the same in every language, so scripts and hashes rely on it; it is what the
English ``packbench report --format csv`` writes (the codes read as English words there).
``labelled_csv`` is the same table for a reader of another language (``--lang zh_CN``): its
header row comes from the report catalogue (``export.col.*``), every code column stays where
the machine layout has it (a script keyed by position still works, and QA traces a record by
its code), and four columns follow with the step, the measurement, a category value and the
verdict in words (``LABEL_COLUMNS``), as the report's measurement table writes them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit
from results.read_model import RunRead
from results.readback import load_complaint, load_run_read
from results.reports import fmt
from results.reports.labels import catalogue
from results.reports.names import measurement_label, step_label, value_label


@dataclass(frozen=True, slots=True)
class LogRow:
    complaint: str
    unit_serial: str
    run: int
    step: str
    measurement: str
    value: float | str | None
    unit: str
    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    verdict: str
    instrument: str
    timestamp: datetime
    value_note: str = ""
    """``nan``, ``inf`` or ``-inf`` when the recorded value was not a finite number."""


COLUMNS = tuple(f.name for f in fields(LogRow))
LABEL_COLUMNS = ("step_label", "measurement_label", "value_label", "verdict_label")
"""The columns ``labelled_csv`` adds after ``COLUMNS``: the coded cells in words."""


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _note(value: float | None) -> str:
    if value is None or math.isfinite(value):
        return ""
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def log_rows(complaint: str, serials: Mapping[int, str], runs: Iterable[RunRead]) -> list[LogRow]:
    """The rows of ``runs`` (read model), by unit serial, run start, run, step and measurement;
    ``serials`` maps each run's unit id to its serial, ``complaint`` is the complaint's number."""
    ordered = sorted(runs, key=lambda r: (serials[r.unit_id], r.started_at, r.id))
    return [
        LogRow(
            complaint=complaint,
            unit_serial=serials[r.unit_id],
            run=r.id,
            step=s.name,
            measurement=m.name,
            value=_finite(m.value) if m.value is not None else m.text_value,
            unit=m.unit,
            low=_finite(m.low),
            high=_finite(m.high),
            low_inclusive=m.low_inclusive,
            high_inclusive=m.high_inclusive,
            verdict=m.verdict.lower(),
            instrument=m.instrument or "",
            timestamp=m.measured_at,
            value_note=_note(m.value),
        )
        for r in ordered
        for s in r.steps
        for m in s.measurements
    ]


def _serials(session: Session, unit_ids: Iterable[int]) -> dict[int, str]:
    """Unit id -> serial of the runs' units (a run's unit need not be listed on its complaint)."""
    rows = session.execute(
        select(ReturnedUnit.id, ReturnedUnit.serial).where(
            ReturnedUnit.id.in_(sorted(set(unit_ids)))
        )
    )
    return {unit_id: serial for unit_id, serial in rows}


def measurement_log(
    session: Session, *, complaint_id: int | None = None, run_id: int | None = None
) -> list[LogRow]:
    """The log of a complaint or of one run, read through the plain read model
    (``readback.load_complaint``, ``readback.load_run_read``), never through ORM rows."""
    if (complaint_id is None) == (run_id is None):
        raise ValidationError("scope", "give exactly one", "pass complaint_id or run_id")
    if complaint_id is not None:
        complaint = load_complaint(session, complaint_id)
        runs = complaint.runs
        number = complaint.number
    else:
        assert run_id is not None  # exactly one of the two was given
        run = load_run_read(session, run_id)
        runs = (run,)
        number = "" if run.complaint_id is None else _number(session, run.complaint_id)
    return log_rows(number, _serials(session, (r.unit_id for r in runs)), runs)


def _number(session: Session, complaint_id: int) -> str:
    return str(session.scalar(select(Complaint.number).where(Complaint.id == complaint_id)))


def to_json(rows: list[LogRow]) -> str:
    """Full float precision (``repr`` round-trips), ISO 8601 UTC times."""
    records = [{k: _json_value(v) for k, v in zip(COLUMNS, astuple(r), strict=True)} for r in rows]
    document = {"columns": list(COLUMNS), "rows": records}
    return json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False)


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # a row built by hand may still carry one; RFC 8259 has no NaN
    return value


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, datetime):
        return fmt.timestamp(value)
    text = str(value)
    return "'" + text if text.startswith(_DANGEROUS) else text


def to_csv(rows: list[LogRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in astuple(row)])
    return buffer.getvalue()


def labelled_csv(rows: list[LogRow], lang: str) -> str:
    """``to_csv``'s table for a reader of ``lang``: the header row from the catalogue, the code
    columns unchanged, then ``LABEL_COLUMNS`` (a numeric value's word column stays empty)."""
    t = catalogue(lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([t[f"export.col.{c}"] for c in (*COLUMNS, *LABEL_COLUMNS)])
    for row in rows:
        text = row.value if isinstance(row.value, str) else None
        words = (
            step_label(t, row.step),
            measurement_label(t, row.measurement),
            "" if text is None else value_label(t, row.measurement, text),
            t.enum("verdict", row.verdict),
        )
        writer.writerow([_csv_cell(v) for v in (*astuple(row), *words)])
    return buffer.getvalue()
