"""Pareto of symptoms, root causes and dispositions over a filtered set of complaints.

Symptoms count per complaint (the customer reports one); root causes, cause categories and
dispositions count per returned unit, from the unit's primary result (``results.unit_summaries``:
the diagnosis' latest valid run; an earlier run that a re-test superseded is not a second finding,
a later appearance run does not blank the diagnosis' root cause, and runs QA declared invalid do
not count). Ties sort by name so the order is stable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit, RunInvalidation
from results.unit_summaries import summarise_unit

Dimension = Literal["symptom", "root_cause", "cause_category", "disposition"]
DIMENSIONS: tuple[Dimension, ...] = ("symptom", "root_cause", "cause_category", "disposition")
UNRESOLVED = "(none)"


@dataclass(frozen=True, slots=True)
class Filters:
    product_model: str | None = None
    lot: str | None = None
    customer: str | None = None
    received_from: datetime | None = None
    """Inclusive lower bound on the complaint's receipt."""
    received_to: datetime | None = None
    """Exclusive upper bound, so consecutive periods never count a complaint twice."""


@dataclass(frozen=True, slots=True)
class ParetoRow:
    category: str
    count: int
    percent: float
    cumulative_percent: float


def _complaints(session: Session, f: Filters) -> list[Complaint]:
    query = select(Complaint).options(selectinload(Complaint.units).selectinload(ReturnedUnit.runs))
    if f.product_model is not None:
        query = query.where(Complaint.product_model == f.product_model)
    if f.customer is not None:
        query = query.where(Complaint.customer == f.customer)
    if f.received_from is not None:
        query = query.where(Complaint.received_at >= f.received_from)
    if f.received_to is not None:
        query = query.where(Complaint.received_at < f.received_to)
    if f.lot is not None:
        query = query.where(Complaint.units.any(ReturnedUnit.lot == f.lot))
    return list(session.scalars(query.order_by(Complaint.id)))


def _unit_value(
    unit: ReturnedUnit, dimension: Dimension, invalid: dict[int, RunInvalidation]
) -> str:
    if dimension == "disposition":
        return unit.disposition or UNRESOLVED
    primary = summarise_unit(unit.runs, invalid).primary
    value = None if primary is None else primary.conclusion(dimension)
    return UNRESOLVED if value is None else value


def _invalidations(session: Session) -> dict[int, RunInvalidation]:
    """Every QA invalidation (rare: one query, no IN-list over the filtered runs)."""
    return {row.run_id: row for row in session.scalars(select(RunInvalidation))}


def pareto(session: Session, dimension: Dimension, filters: Filters = Filters()) -> list[ParetoRow]:
    if dimension not in DIMENSIONS:
        raise ValidationError("dimension", f"{dimension!r} unknown", f"use one of {DIMENSIONS}")
    counts: Counter[str] = Counter()
    invalid = {} if dimension == "symptom" else _invalidations(session)
    for complaint in _complaints(session, filters):
        if dimension == "symptom":
            counts[complaint.symptom] += 1
            continue
        for unit in complaint.units:
            if filters.lot is None or unit.lot == filters.lot:
                counts[_unit_value(unit, dimension, invalid)] += 1
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
