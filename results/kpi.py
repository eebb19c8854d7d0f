"""Quality targets (the complaint-system deck), counted in SQL from the timestamps.

Per period (complaints *received* in it) and per class: the share registered within 1 working
day of receipt (target 99 %), investigated with a proposal (the QA decision) within 5 (90 %),
closed within 10 (90 %) and closed within 16 (100 %), and the complaints that missed each.

The deadlines are the complaint's stored ones (``complaint.due_logged`` .. ``due_closed_limit``,
revision 0014), which are ``Calendar.add_working_days`` of its receipt, written on insert and
rewritten when the receipt time or the calendar changes (``results.calendar``); the period is the
stored local receipt day (``complaint.received_day``, indexed). So the query is one scan that
compares columns, with no per-row calendar arithmetic and no join. The outcomes are never stored.

Cancelled complaints are left out. A complaint that is not done is *missed* once its deadline has
passed at ``now`` and *pending* before; the share is met / (met + missed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from results.calendar import (
    ALL_CLOSED_WORKING_DAYS,
    CLOSED_WORKING_DAYS,
    INVESTIGATED_WORKING_DAYS,
    LOGGED_WORKING_DAYS,
)
from results.complaint_class import parse_class
from results.complaint_form import ComplaintType
from results.errors import ValidationError
from results.models import Complaint, Severity, UTCDateTime


@dataclass(frozen=True)
class Target:
    name: str
    working_days: int
    share: float


TARGETS = (
    Target("registered", LOGGED_WORKING_DAYS, 0.99),
    Target("investigated", INVESTIGATED_WORKING_DAYS, 0.90),
    Target("closed", CLOSED_WORKING_DAYS, 0.90),
    Target("all_closed", ALL_CLOSED_WORKING_DAYS, 1.00),
)
_DUE = {
    "registered": Complaint.due_logged,
    "investigated": Complaint.due_investigated,
    "closed": Complaint.due_closed,
    "all_closed": Complaint.due_closed_limit,
}
_DONE = {
    "registered": Complaint.registered_at,
    "investigated": Complaint.decided_at,
    "closed": Complaint.closed_at,
    "all_closed": Complaint.closed_at,
}
MAX_PERIOD_DAYS = 5 * 366
EARLIEST = date(1970, 1, 2)
PRODUCT, NON_PRODUCT = "product", "non-product"
KPI_TYPES = (PRODUCT, NON_PRODUCT)
"""The deck's split: product complaints, and the non-product ones (transport, packing, shipping,
service). A complaint registered without a type counts as a product complaint: the type field
came with issue 14, and every complaint before it was a returned pack."""


@dataclass
class TargetResult:
    name: str
    working_days: int
    target: float
    met: int = 0
    missed: int = 0
    pending: int = 0
    missed_numbers: list[str] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        judged = self.met + self.missed
        return None if judged == 0 else self.met / judged

    @property
    def on_target(self) -> bool | None:
        share = self.share
        return None if share is None else share >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "working_days": self.working_days,
            "target": self.target,
            "met": self.met,
            "missed": self.missed,
            "pending": self.pending,
            "share": self.share,
            "on_target": self.on_target,
            "missed_numbers": self.missed_numbers,
        }


@dataclass
class ClassKpi:
    complaint_class: str
    complaints: int
    targets: list[TargetResult]

    def as_dict(self) -> dict[str, Any]:
        return {
            "class": self.complaint_class,
            "complaints": self.complaints,
            "targets": [t.as_dict() for t in self.targets],
        }


def _type_filter(complaint_type: str) -> ColumnElement[bool]:
    if complaint_type not in KPI_TYPES:
        raise ValidationError(
            "type", f"unknown value {complaint_type!r}", f"use one of: {', '.join(KPI_TYPES)}"
        )
    product = or_(
        Complaint.complaint_type.is_(None), Complaint.complaint_type == ComplaintType.PRODUCT.value
    )
    return product if complaint_type == PRODUCT else ~product


def kpi(
    session: Session,
    start: date,
    end: date,
    *,
    complaint_class: str | None = None,
    complaint_type: str | None = None,
    now: datetime | None = None,
    with_missed: bool = True,
    missed_limit: int | None = None,
) -> list[ClassKpi]:
    """KPIs of the complaints received on local days ``start`` .. ``end`` (both included), of
    one class and of product or non-product complaints (``KPI_TYPES``) when asked.

    ``missed_limit`` caps the numbers listed per class and target (the first by number; the
    counts stay complete), so a dashboard over years of complaints does not fetch thousands of
    numbers and every class with misses lists some.
    """
    if start < EARLIEST:
        # Stored receipts are UTC instants; a day near year 1 has none in the plant's zone.
        raise ValidationError("from", f"{start} is before {EARLIEST}", f"give {EARLIEST} or later")
    if end < start:
        raise ValidationError("to", f"{end} is before {start}", "give --to on or after --from")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(
            "to", f"{start} .. {end} is too long", f"give at most {MAX_PERIOD_DAYS} days"
        )
    wanted: Severity | None = None if complaint_class is None else parse_class(complaint_class)
    at = literal(now or datetime.now(UTC), UTCDateTime())
    period = and_(
        Complaint.received_day >= start,
        Complaint.received_day <= end,
        Complaint.cancelled_at.is_(None),
    )
    if wanted is not None:
        period = and_(period, Complaint.severity == wanted.value)
    if complaint_type is not None:
        period = and_(period, _type_filter(complaint_type))
    results: dict[str, ClassKpi] = {}
    lists: list[Any] = []
    for row in session.execute(_statement(period, at, with_missed, missed_limit)):
        if row.target is None:
            results[row.severity] = _class_kpi(row)
        else:
            lists.append(row)
    for row in lists:  # ordered by number, so each list is too
        by_name = {t.name: t for t in results[row.severity].targets}
        by_name[row.target].missed_numbers.append(str(row.number))
    order = {s.value: i for i, s in enumerate(Severity)}
    return sorted(results.values(), key=lambda k: order.get(k.complaint_class, 99))


def _statement(
    period: ColumnElement[bool], at: Any, with_missed: bool, missed_limit: int | None
) -> Any:
    """The counts per class and, when asked, the missed numbers of each class and target, from
    one scan of the period.

    The period's complaints are read once (a common table expression that the statement reads
    several times, so PostgreSQL keeps it in memory instead of scanning ``complaint`` again):
    each row's class, number and, per target, whether it was met, is pending or was missed.
    The counts group those rows by class; the lists number each class's misses of a target in
    order (``row_number() over (partition by class)``) and keep the first ``missed_limit``.
    The rows of both come back in one result: a count row has no ``target``, a list row no
    counts. Four ``ORDER BY number LIMIT`` queries, one per target, each scanned the period
    again (110 of 158 ms on 100,000 complaints) and capped the targets' lists over all classes
    together, so one class could show misses without any number.
    """
    columns: list[Any] = [Complaint.severity, Complaint.number]
    for target in TARGETS:
        due, done = _DUE[target.name], _DONE[target.name]
        columns.append((done <= due).label(f"met_{target.name}"))
        columns.append(and_(done.is_(None), at <= due).label(f"pending_{target.name}"))
        missed = or_(done > due, and_(done.is_(None), at > due))
        columns.append(missed.label(f"missed_{target.name}"))
    rows = select(*columns).where(period).cte("period_rows")
    # Every complaint is met, pending or missed, so the counts carry two of the three.
    counts: list[Any] = [func.count().label("n")]
    for target in TARGETS:
        counts.append(func.count().filter(rows.c[f"met_{target.name}"]).label(f"met_{target.name}"))
        counts.append(
            func.count().filter(rows.c[f"pending_{target.name}"]).label(f"pending_{target.name}")
        )
    no_text = null().cast(String)
    per_class = select(rows.c.severity, no_text.label("target"), no_text.label("number"), *counts)
    per_class = per_class.group_by(rows.c.severity)
    if not with_missed:
        return per_class
    ranked = union_all(
        *(
            select(
                rows.c.severity,
                literal(target.name, String).label("target"),
                rows.c.number,
                func.row_number()
                .over(partition_by=rows.c.severity, order_by=rows.c.number)
                .label("place"),
            ).where(rows.c[f"missed_{target.name}"])
            for target in TARGETS
        )
    ).subquery("ranked")
    no_count = null().cast(Integer)
    listed = select(
        ranked.c.severity,
        ranked.c.target,
        ranked.c.number,
        *(no_count.label(str(c.name)) for c in counts),
    )
    if missed_limit is not None:
        listed = listed.where(ranked.c.place <= missed_limit)
    both = union_all(per_class, listed).subquery("kpi")
    return select(both).order_by(both.c.number)


def _class_kpi(row: Any) -> ClassKpi:
    targets = []
    for target in TARGETS:
        met_n = int(getattr(row, f"met_{target.name}") or 0)
        pending_n = int(getattr(row, f"pending_{target.name}") or 0)
        targets.append(
            TargetResult(
                target.name,
                target.working_days,
                target.share,
                met=met_n,
                missed=int(row.n) - met_n - pending_n,
                pending=pending_n,
            )
        )
    return ClassKpi(str(row.severity), int(row.n), targets)
