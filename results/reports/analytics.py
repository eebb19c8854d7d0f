"""Pareto of symptoms, root causes and dispositions over a filtered set of complaints, in SQL.

Symptoms count per complaint (the customer reports one); root causes, cause categories and
dispositions count per returned unit, from the unit's primary result as stored in ``unit_result``
(``results.unit_results``: the diagnosis' latest valid run; an earlier run that a re-test
superseded is not a second finding, a later appearance run does not blank the diagnosis' root
cause, and runs QA declared invalid do not count; a unit without one counts as unresolved). With
a lot filter, only the units of that lot count. The database groups and counts (one statement, a
row per category), so the time does not grow with rows loaded into Python; ties
sort by name so the order is stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from results.complaint_query import ComplaintFilter, matching
from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit, UnitResult

Dimension = Literal["symptom", "root_cause", "cause_category", "disposition"]
DIMENSIONS: tuple[Dimension, ...] = ("symptom", "root_cause", "cause_category", "disposition")
UNRESOLVED = "(none)"
Filters = ComplaintFilter
"""The list's filters (one shape for the list, the Pareto and the dashboards)."""
EVERY_COMPLAINT = ComplaintFilter()
Columns = TypeVarTuple("Columns")


@dataclass(frozen=True, slots=True)
class ParetoRow:
    category: str
    count: int
    percent: float
    cumulative_percent: float


def in_scope(
    query: Select[*Columns], filters: ComplaintFilter, *, join_complaint: bool = False
) -> Select[*Columns]:
    """``query`` (over ``returned_unit``) limited to the units of the matching complaints, and of
    the filter's lot if it has one. The complaint's conditions join in as plain ``WHERE`` terms
    (``IN (SELECT ...)`` chains measured several times slower on PostgreSQL); without any, the
    complaint table is joined only when ``join_complaint`` says the query reads its columns."""
    if filters.lot is not None:
        query = query.where(ReturnedUnit.lot == filters.lot)
    conditions = matching(filters).whereclause
    if conditions is None and not join_complaint:
        return query.where(ReturnedUnit.complaint_id.is_not(None))
    query = query.join_from(ReturnedUnit, Complaint, Complaint.id == ReturnedUnit.complaint_id)
    return query if conditions is None else query.where(conditions)


def _counts(session: Session, dimension: Dimension, filters: ComplaintFilter) -> dict[str, int]:
    if dimension == "symptom":
        query = (
            matching(filters)
            .with_only_columns(Complaint.symptom, func.count())
            .group_by(Complaint.symptom)
        )
        return {str(k): n for k, n in session.execute(query)}
    if dimension == "disposition":
        value: Any = func.coalesce(ReturnedUnit.disposition, UNRESOLVED)
        query = in_scope(select(value, func.count()).select_from(ReturnedUnit), filters)
        return {str(k): n for k, n in session.execute(query.group_by(value))}
    stored = UnitResult.root_cause if dimension == "root_cause" else UnitResult.cause_category
    value = func.coalesce(stored, UNRESOLVED)
    query = in_scope(
        select(value, func.count())
        .select_from(ReturnedUnit)
        .outerjoin(UnitResult, UnitResult.unit_id == ReturnedUnit.id),
        filters,
    )
    return {str(k): n for k, n in session.execute(query.group_by(value))}


def pareto(
    session: Session, dimension: Dimension, filters: ComplaintFilter = EVERY_COMPLAINT
) -> list[ParetoRow]:
    if dimension not in DIMENSIONS:
        raise ValidationError("dimension", f"{dimension!r} unknown", f"use one of {DIMENSIONS}")
    return pareto_rows(_counts(session, dimension, filters))


def pareto_rows(counts: Mapping[str, int]) -> list[ParetoRow]:
    """Counts per category as Pareto rows: most first (ties by name), with their shares."""
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
