"""JSON and CSV of the measurement log of a complaint or of one run.

One row per measurement with the limits and instrument it was judged by, in a fixed order, so an
export of unchanged data is byte-identical (diffable, hashable). CSV cells that a spreadsheet
would execute (leading ``= + - @``, tab, CR) are prefixed with ``'`` (OWASP ASVS 1.2.10).

A value that is not a finite number (NaN from a failed reading, an infinity from an overload) is
exported as JSON ``null`` / an empty CSV cell, never as the bare ``NaN`` that JSON forbids; the
``value_note`` column says which it was, and the row's verdict says what the engine made of it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import astuple, dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.errors import NotFound, ValidationError
from results.models import Complaint, Measurement, ReturnedUnit, Run, Step
from results.reports import fmt


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


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _note(value: float | None) -> str:
    if value is None or math.isfinite(value):
        return ""
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def measurement_log(
    session: Session, *, complaint_id: int | None = None, run_id: int | None = None
) -> list[LogRow]:
    if (complaint_id is None) == (run_id is None):
        raise ValidationError("scope", "give exactly one", "pass complaint_id or run_id")
    query = (
        select(Measurement, Step, Run, ReturnedUnit, Complaint)
        .join(Step, Step.id == Measurement.step_id)
        .join(Run, Run.id == Step.run_id)
        .join(ReturnedUnit, ReturnedUnit.id == Run.unit_id)
        .outerjoin(Complaint, Complaint.id == Run.complaint_id)
        .order_by(ReturnedUnit.serial, Run.started_at, Run.id, Step.idx, Measurement.idx)
    )
    if complaint_id is not None:
        if session.get(Complaint, complaint_id) is None:
            raise NotFound("complaint", complaint_id)
        query = query.where(Run.complaint_id == complaint_id)
    else:
        if session.get(Run, run_id) is None:
            raise NotFound("run", run_id)
        query = query.where(Run.id == run_id)
    return [
        LogRow(
            complaint="" if c is None else c.number,
            unit_serial=u.serial,
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
        for m, s, r, u, c in session.execute(query)
    ]


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
