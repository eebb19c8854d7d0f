"""Pareto of symptoms, root causes and dispositions over a filtered set of complaints, in SQL.

Symptoms count per complaint (the customer reports one); root causes, cause categories and
dispositions count per returned unit, from the unit's primary result (``results.unit_results_sql``:
the diagnosis' latest valid run; an earlier run that a re-test superseded is not a second finding,
a later appearance run does not blank the diagnosis' root cause, and runs QA declared invalid do
not count). With a lot filter, only the units of that lot count. The database groups and counts
(one statement, a row per category), so the time does not grow with rows loaded into Python; ties
sort by name so the order is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from results.complaint_query import ComplaintFilter, matching_ids
from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit, Run
from results.unit_results_sql import conclusion, primary_runs

Dimension = Literal["symptom", "root_cause", "cause_category", "disposition"]
DIMENSIONS: tuple[Dimension, ...] = ("symptom", "root_cause", "cause_category", "disposition")
UNRESOLVED = "(none)"
Filters = ComplaintFilter
"""The list's filters (one shape for the list, the Pareto and the dashboards)."""
EVERY_COMPLAINT = ComplaintFilter()


@dataclass(frozen=True, slots=True)
class ParetoRow:
    category: str
    count: int
    percent: float
    cumulative_percent: float


def scoped_units(filters: ComplaintFilter) -> Any:
    """Ids of the returned units of the matching complaints (of the filter's lot, if any)."""
    units = select(ReturnedUnit.id).where(ReturnedUnit.complaint_id.in_(matching_ids(filters)))
    if filters.lot is not None:
        units = units.where(ReturnedUnit.lot == filters.lot)
    return units


def _counts(session: Session, dimension: Dimension, filters: ComplaintFilter) -> list[Any]:
    if dimension == "symptom":
        query = (
            select(Complaint.symptom, func.count())
            .where(Complaint.id.in_(matching_ids(filters)))
            .group_by(Complaint.symptom)
        )
        return list(session.execute(query))
    units = scoped_units(filters)
    if dimension == "disposition":
        value: Any = func.coalesce(ReturnedUnit.disposition, UNRESOLVED)
        query = select(value, func.count()).where(ReturnedUnit.id.in_(units)).group_by(value)
        return list(session.execute(query))
    primary = primary_runs(units)
    dialect = session.get_bind().dialect.name
    found = (
        select(primary.c.unit_id, conclusion(Run.conclusions, dimension, dialect).label("value"))
        .join(Run, Run.id == primary.c.run_id)
        .subquery("found")
    )
    value = func.coalesce(found.c.value, UNRESOLVED)
    query = (
        select(value, func.count())
        .select_from(ReturnedUnit)
        .outerjoin(found, found.c.unit_id == ReturnedUnit.id)
        .where(ReturnedUnit.id.in_(units))
        .group_by(value)
    )
    return list(session.execute(query))


def pareto(
    session: Session, dimension: Dimension, filters: ComplaintFilter = EVERY_COMPLAINT
) -> list[ParetoRow]:
    if dimension not in DIMENSIONS:
        raise ValidationError("dimension", f"{dimension!r} unknown", f"use one of {DIMENSIONS}")
    counts = {str(category): int(n) for category, n in _counts(session, dimension, filters)}
    total = sum(counts.values())
    rows: list[ParetoRow] = []
    running = 0
    for category, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        running += count
        rows.append(
            ParetoRow(
                category, count, round(100.0 * count / total, 2), round(100.0 * running / total, 2)
            )
        )
    return rows
