"""Finding complaints: the filters of ``complaint list`` and ``GET /api/complaints``, in SQL.

Filters, order and page are applied by the database, and the total is a ``COUNT`` of the same
filtered query, so a store of 100,000 complaints is never loaded to show 50 of them. That holds
for the SLA state too: it is a WHERE clause over the deadlines stored in each row
(``results.sla.state_clause``), the same rule ``results.sla.summarise`` applies to one complaint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit
from results.sla import SlaState, state_clause

SORT_COLUMNS = {
    "id": Complaint.id,
    "received_at": Complaint.received_at,
    "number": Complaint.number,
    "customer": Complaint.customer,
    "product_model": Complaint.product_model,
    "severity": Complaint.severity,
    "status": Complaint.status,
}
MAX_LIMIT = 500


@dataclass(frozen=True)
class ComplaintFilter:
    """Every filter is exact (as stored) except ``received_from`` (inclusive) and
    ``received_to`` (exclusive); ``lot`` matches a complaint with any unit of that lot."""

    number: str | None = None
    customer: str | None = None
    product_model: str | None = None
    lot: str | None = None
    symptom: str | None = None
    severity: str | None = None
    status: str | None = None
    channel: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    sla: SlaState | str | None = None


@dataclass(frozen=True)
class ComplaintPage:
    total: int
    items: list[Complaint]


def _sla(value: SlaState | str | None) -> SlaState | None:
    if value is None:
        return None
    try:
        return SlaState(value)
    except ValueError:
        allowed = ", ".join(s.value for s in SlaState)
        raise ValidationError("sla", f"unknown state {value!r}", f"use one of: {allowed}") from None


def _filtered(f: ComplaintFilter, sla: SlaState | None, now: datetime | None) -> Select[Complaint]:
    query = select(Complaint)
    for column, value in (
        (Complaint.number, f.number),
        (Complaint.customer, f.customer),
        (Complaint.product_model, f.product_model),
        (Complaint.symptom, f.symptom),
        (Complaint.severity, f.severity),
        (Complaint.status, f.status),
        (Complaint.channel, f.channel),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.lot is not None:
        query = query.where(
            Complaint.id.in_(select(ReturnedUnit.complaint_id).where(ReturnedUnit.lot == f.lot))
        )
    if f.received_from is not None:
        query = query.where(Complaint.received_at >= f.received_from)
    if f.received_to is not None:
        query = query.where(Complaint.received_at < f.received_to)
    if sla is not None:
        query = query.where(state_clause(sla, now))
    return query


def _ordered(query: Select[Complaint], sort: str) -> Select[Complaint]:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    column = SORT_COLUMNS.get(key)
    if column is None:
        allowed = ", ".join(f"{k} or -{k}" for k in SORT_COLUMNS)
        raise ValidationError("sort", f"unknown key {sort!r}", f"use one of: {allowed}")
    if descending:
        return query.order_by(column.desc(), Complaint.id.desc())
    return query.order_by(column.asc(), Complaint.id.asc())


def find_complaints(
    session: Session,
    filters: ComplaintFilter,
    *,
    sort: str = "-received_at",
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> ComplaintPage:
    """One page of the complaints matching ``filters`` and how many match in all.

    ``sort`` is a key of ``SORT_COLUMNS``, ``-`` in front for descending; ties go by id so pages
    never overlap. ``now`` is required with an SLA filter (the state depends on it).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"{limit} is outside 1..{MAX_LIMIT}", "give a page size")
    if offset < 0:
        raise ValidationError("offset", f"{offset} is negative", "give 0 or more")
    sla = _sla(filters.sla)
    query = _ordered(_filtered(filters, sla, now), sort)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(limit).offset(offset)))
    return ComplaintPage(total or 0, items)


def stream_complaints(
    session: Session,
    filters: ComplaintFilter,
    *,
    sort: str = "-received_at",
    now: datetime | None = None,
) -> Iterator[Complaint]:
    """Every complaint matching ``filters`` in ``sort`` order, fetched in batches (an export of
    the whole filter, in constant memory): the query of ``find_complaints`` without the page."""
    query = _ordered(_filtered(filters, _sla(filters.sla), now), sort)
    yield from session.scalars(query.execution_options(yield_per=1000))


def list_row(complaint: Complaint) -> dict[str, Any]:
    """The columns of the list (CLI table, ``--json``, ``--csv``), plain values only."""
    return {
        "complaint": complaint.number,
        "received_at": complaint.received_at.isoformat(),
        "customer": complaint.customer,
        "product_model": complaint.product_model,
        "symptom": complaint.symptom,
        "severity": complaint.severity,
        "status": complaint.status,
        "channel": complaint.channel or "",
    }


def matching(filters: ComplaintFilter) -> Select[Complaint]:
    """The complaints matching ``filters``, unordered, for aggregates (dashboards): replace its
    columns (``with_only_columns``) and group; the filters stay plain ``WHERE`` conditions.

    Every filter but the SLA state, which depends on the moment of asking that an aggregate does
    not carry, so it is refused here.
    """
    if filters.sla is not None:
        raise ValidationError(
            "sla", "cannot be aggregated (the state is computed per complaint)", "clear it"
        )
    return _filtered(filters, None, None)


def matching_ids(filters: ComplaintFilter) -> Select[tuple[int]]:
    """The ids of the complaints matching ``filters`` (see ``matching``)."""
    return matching(filters).with_only_columns(Complaint.id)
