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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    func,
    literal,
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
    outcome = {t.name: _outcomes(t, at) for t in TARGETS}
    counts = session.execute(_counts(period, outcome)).all()
    results = {str(row.severity): _class_kpi(row) for row in counts}
    if with_missed:
        for severity, name, number in _missed(session, period, outcome, counts, missed_limit):
            by_name = {t.name: t for t in results[severity].targets}
            by_name[name].missed_numbers.append(number)
    order = {s.value: i for i, s in enumerate(Severity)}
    return sorted(results.values(), key=lambda k: order.get(k.complaint_class, 99))


@dataclass(frozen=True)
class _Outcome:
    """A target's three outcomes as conditions on a complaint row. ``missed`` is written out
    for the lists; the counts take it as "neither met nor pending", which is the same for every
    row with its deadline (written on every insert, revision 0014)."""

    met: ColumnElement[bool]
    pending: ColumnElement[bool]
    missed: ColumnElement[bool]


def _outcomes(target: Target, at: Any) -> _Outcome:
    due, done = _DUE[target.name], _DONE[target.name]
    return _Outcome(
        met=done <= due,
        pending=and_(done.is_(None), at <= due),
        missed=or_(done > due, and_(done.is_(None), at > due)),
    )


def _counts(period: ColumnElement[bool], outcome: dict[str, _Outcome]) -> Any:
    """One scan of the period grouped by class: the counts, and what the missed lists need,
    the number of misses per target and the class's lowest and highest complaint number."""
    columns: list[Any] = [
        Complaint.severity,
        func.count().label("n"),
        func.min(Complaint.number).label("first_number"),
        func.max(Complaint.number).label("last_number"),
    ]
    for name, o in outcome.items():
        # Every complaint is met, pending or missed, so the counts carry two of the three.
        columns.append(func.count().filter(o.met).label(f"met_{name}"))
        columns.append(func.count().filter(o.pending).label(f"pending_{name}"))
        columns.append(func.count().filter(o.missed).label(f"missed_{name}"))
    return select(*columns).where(period).group_by(Complaint.severity)


def _missed(
    session: Session,
    period: ColumnElement[bool],
    outcome: dict[str, _Outcome],
    counts: Sequence[Any],
    missed_limit: int | None,
) -> Iterator[tuple[str, str, str]]:
    """(class, target, number) of the complaints listed as missed, by number.

    Without a limit every miss is listed: one scan of the period for the four targets, each row
    saying which it missed. With one, see ``_first_missed``."""
    if missed_limit is not None:
        first = _first_missed(period, outcome, counts, missed_limit)
        if first is not None:  # None: no class missed any target
            for severity, name, number in session.execute(first):
                yield str(severity), str(name), str(number)
        return
    flags = [o.missed.label(f"missed_{name}") for name, o in outcome.items()]
    every = (
        select(Complaint.severity, Complaint.number, *flags)
        .where(period, or_(*(o.missed for o in outcome.values())))
        .order_by(Complaint.number)
    )
    for row in session.execute(every):
        for name in outcome:
            if getattr(row, f"missed_{name}"):
                yield str(row.severity), name, str(row.number)


def _first_missed(
    period: ColumnElement[bool],
    outcome: dict[str, _Outcome],
    counts: Sequence[Any],
    missed_limit: int,
) -> Any | None:
    """The first ``missed_limit`` numbers of every class and target with misses, by number:
    one ``ORDER BY number LIMIT`` per class and target, in one statement.

    Each is bounded to the numbers its class has in the period (``first_number`` ..
    ``last_number`` from the counts), which changes no result (every complaint of the class in
    the period lies in that range) but lets the database walk the number index from the
    period's first complaint and stop after ``missed_limit`` misses. Without the bounds the
    walk started at the oldest complaint ever and crossed every complaint received before the
    period (four walks, 110 of the 158 ms the KPIs took on 100,000 complaints); ranking all the
    period's misses per class (``row_number()``) sorted tens of thousands of numbers instead,
    slower still. Classes and targets without misses are not asked for.
    """
    lists = []
    for row in counts:
        for name, o in outcome.items():
            if not getattr(row, f"missed_{name}"):
                continue
            one = (
                select(
                    Complaint.severity,
                    literal(name, String).label("target"),
                    Complaint.number,
                )
                .where(
                    period,
                    o.missed,
                    Complaint.severity == row.severity,
                    Complaint.number.between(row.first_number, row.last_number),
                )
                .order_by(Complaint.number)
                .limit(missed_limit)
                .subquery()
            )
            lists.append(select(one))
    if not lists:
        return None
    both = union_all(*lists).subquery("missed")
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
