"""The complaint product database's aggregates beyond the Pareto: complaints per month by class
and the first-pass result of returned units per model, each one ``GROUP BY`` statement.

Months are the plant's local calendar months. In the plant's zone they are read from the stored
local receipt day (``complaint.received_day``, the KPI's period, revision 0014): the database
counts per day and class (a hash aggregate of a few thousand groups, where grouping by an
expression of ``received_at`` made PostgreSQL expect one group per complaint and sort 100,000
rows on disk), and the days fold into months here. For another zone the offset from UTC is
taken once (Asia/Shanghai has had a fixed one since 1991, the assumption ``results.kpi`` makes
too), so the database shifts each receipt by a constant and formats the month; a zone whose
offset changes would shift receipts within an hour of midnight into the neighbouring month.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from typing import cast as typed

from sqlalchemy import func, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from results.calendar import PLANT_TZ
from results.complaint_query import ComplaintFilter, matching
from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit, UnitResult
from results.reports.analytics import (
    EVERY_COMPLAINT,
    UNRESOLVED,
    ParetoRow,
    in_scope,
    pareto_rows,
)

UNTESTED = "untested"
"""First-pass category of a unit without any run that counts as evidence yet."""


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: str
    """``YYYY-MM`` in the plant's zone."""
    complaint_class: str
    count: int


@dataclass(frozen=True, slots=True)
class FirstPass:
    product_model: str
    verdict: str
    """Lower-case verdict of the unit's first valid run, or ``untested``."""
    units: int


def _offset_s(tz: tzinfo) -> int:
    offset = datetime.now(UTC).astimezone(tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def _month(column: Any, dialect: str, offset_s: int) -> Any:
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column, f"{offset_s:+d} seconds")
    if dialect == "postgresql":
        # date_trunc, formatted in Python afterwards: to_char per row measured five times slower.
        shifted = func.timezone("UTC", column) + literal_column(f"interval '{offset_s} seconds'")
        return func.date_trunc("month", shifted)
    raise ValidationError("database", f"{dialect} is not supported", "use SQLite or PostgreSQL")


def _month_text(value: object) -> str:
    """SQLite gives ``YYYY-MM`` already, PostgreSQL the first instant of the month."""
    return value.strftime("%Y-%m") if isinstance(value, datetime) else str(value)


def complaints_per_month(
    session: Session, filters: ComplaintFilter = EVERY_COMPLAINT, *, tz: tzinfo = PLANT_TZ
) -> list[MonthCount]:
    """Matching complaints per local month and class, by month then class."""
    if tz is PLANT_TZ:
        by_day = (
            matching(filters)
            .with_only_columns(Complaint.received_day, Complaint.severity, func.count())
            .group_by(Complaint.received_day, Complaint.severity)
        )
        days = [(day, str(severity), n) for day, severity, n in session.execute(by_day)]
        if all(day is not None for day, _s, _n in days):
            months: Counter[tuple[int, int, str]] = Counter()
            for day, severity, n in days:
                assert day is not None
                months[(day.year, day.month, severity)] += n
            return [MonthCount(f"{y:04d}-{m:02d}", s, n) for (y, m, s), n in sorted(months.items())]
        # A row without its stored day (none is written so): the receipt instants decide.
    month = _month(Complaint.received_at, session.get_bind().dialect.name, _offset_s(tz))
    query = (
        matching(filters)
        .with_only_columns(month, Complaint.severity, func.count())
        .group_by(month, Complaint.severity)
        .order_by(month, Complaint.severity)
    )
    return [MonthCount(_month_text(m), str(s), typed(int, n)) for m, s, n in session.execute(query)]


def _per_unit_query(filters: ComplaintFilter, *, by_cause_and_disposition: bool) -> Any:
    """Units of the matching complaints per (model, first verdict) and, when asked, root cause
    and disposition, as stored: rows of (model, verdict, cause, disposition, units), the last two
    ``None`` when not asked; ``_unit_rows`` names them.

    Units with their own model are counted without reading their complaint; only those without
    one join theirs for its model (joining every unit's complaint, 100,000 of them, was the
    dashboard's most expensive query). The same model may come out of both parts. The stored
    values are grouped as they are: lower-casing and defaulting them per unit (50,000) cost
    the database about a third of this query, on a few hundred groups it costs nothing."""
    own = func.nullif(ReturnedUnit.product_model, "")
    extra: list[Any] = (
        [UnitResult.root_cause, ReturnedUnit.disposition] if by_cause_and_disposition else []
    )
    shown = extra or [null(), null()]

    def units_by(model: Any, *, join_complaint: bool) -> Any:
        return in_scope(
            select(model, UnitResult.first_verdict, *shown, func.count())
            .select_from(ReturnedUnit)
            .outerjoin(UnitResult, UnitResult.unit_id == ReturnedUnit.id),
            filters,
            join_complaint=join_complaint,
        ).group_by(model, UnitResult.first_verdict, *extra)

    return union_all(
        units_by(ReturnedUnit.product_model, join_complaint=False).where(own.is_not(None)),
        units_by(Complaint.product_model, join_complaint=True).where(own.is_(None)),
    )


_UnitRow = tuple[str, str, str, str, int]


def _unit_rows(
    session: Session, filters: ComplaintFilter, *, by_cause_and_disposition: bool
) -> list[_UnitRow]:
    """``_per_unit_query``'s groups as the charts name them: the verdict lower-case and
    ``UNTESTED`` without one, a missing cause or disposition ``UNRESOLVED`` (what ``pareto``
    counts with ``coalesce``). Groups that differ only in the case of the verdict stay two rows
    here; the sums over them do not care."""
    query = _per_unit_query(filters, by_cause_and_disposition=by_cause_and_disposition)
    return [
        (
            str(model),
            UNTESTED if verdict is None else str(verdict).lower(),
            UNRESOLVED if cause is None else str(cause),
            UNRESOLVED if disposition is None else str(disposition),
            typed(int, n),
        )
        for model, verdict, cause, disposition, n in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class UnitBreakdown:
    """The dashboard's three per-unit aggregates, from one pass over the units."""

    root_causes: list[ParetoRow]
    dispositions: list[ParetoRow]
    first_pass: list[FirstPass]


def unit_breakdown(session: Session, filters: ComplaintFilter = EVERY_COMPLAINT) -> UnitBreakdown:
    """``pareto(.., "root_cause")``, ``pareto(.., "disposition")`` and ``first_pass_by_model``
    of ``filters`` at the cost of one of them: the database groups the units by all four keys
    at once (a few thousand groups at most: causes x dispositions x models x verdicts) and each
    aggregate is a sum over them here, where three queries read and joined the same units."""
    causes: Counter[str] = Counter()
    dispositions: Counter[str] = Counter()
    rows = _unit_rows(session, filters, by_cause_and_disposition=True)
    for _model, _verdict, cause, disposition, n in rows:
        causes[cause] += n
        dispositions[disposition] += n
    return UnitBreakdown(pareto_rows(causes), pareto_rows(dispositions), _first_pass(rows))


def _first_pass(rows: list[_UnitRow]) -> list[FirstPass]:
    passes: Counter[tuple[str, str]] = Counter()
    for model, verdict, _cause, _disposition, n in rows:
        passes[(model, verdict)] += n
    return [FirstPass(m, v, n) for (m, v), n in sorted(passes.items())]


def first_pass_by_model(
    session: Session, filters: ComplaintFilter = EVERY_COMPLAINT
) -> list[FirstPass]:
    """Units of the matching complaints per model (the unit's own, else its complaint's) and the
    verdict of their first valid run (stored in ``unit_result``): how returned units fare the
    first time they are tested."""
    return _first_pass(_unit_rows(session, filters, by_cause_and_disposition=False))
