"""Quality targets (the complaint-system deck), computed from the timestamps, never stored.

Per period (complaints *received* in it) and per class: the share registered within 1 working
day of receipt (target 99 %), investigated with a proposal (the QA decision) within 5 (90 %),
closed within 10 (90 %) and closed within 16 (100 %), and the complaints that missed each.

The counting happens in SQL. Working days cannot be counted by the database alone (holidays and
make-up days live in ``calendar_day``), but a deadline depends only on the *local day* of receipt
and is then either "receipt + a fixed number of seconds" (received on a working day: the same local
time N working days later) or "a fixed instant" (received on a rest day: the end of the N-th
working day). So Python works out, per local day of the period, ``due = receipt * w + c`` and the
database joins that small table and counts. The plant's zone must have a fixed UTC offset over the
period (Asia/Shanghai has had one since 1991); otherwise the function refuses.

Cancelled complaints are left out. A complaint that is not done is *missed* once its deadline has
passed at ``now`` and *pending* before; the share is met / (met + missed).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Interval,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from results.calendar import (
    ALL_CLOSED_WORKING_DAYS,
    CLOSED_WORKING_DAYS,
    INVESTIGATED_WORKING_DAYS,
    LOGGED_WORKING_DAYS,
    Calendar,
)
from results.complaint_class import parse_class
from results.complaint_form import ComplaintType
from results.errors import CalendarError, ValidationError
from results.models import Complaint, Severity


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
_EPOCH_JULIAN = 2440587.5
_DAY_S = 86400
_SEARCH_LIMIT_DAYS = 3 * 366
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


def _epoch(column: Any, dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a stored UTC timestamp, in the database's own arithmetic."""
    if dialect == "sqlite":
        return (func.julianday(column) - _EPOCH_JULIAN) * _DAY_S
    if dialect == "postgresql":
        # date_part gives double precision; EXTRACT gives numeric (PostgreSQL 14+), far slower.
        return cast(func.date_part("epoch", column), Float)
    raise ValidationError("database", f"{dialect} is not supported", "use SQLite or PostgreSQL")


def _offset_s(calendar: Calendar, start: date, end: date) -> int:
    offsets = {
        datetime.combine(start + timedelta(days=n), time(0), tzinfo=calendar.tz).utcoffset()
        for n in range((end - start).days + 40)
    }
    if len(offsets) != 1:
        raise CalendarError(
            f"the plant zone {calendar.tz} changes its UTC offset between {start} and {end}; "
            "the SQL KPI needs a fixed offset"
        )
    offset = offsets.pop()
    assert offset is not None  # combine() with tzinfo gives an aware datetime
    return int(offset.total_seconds())


def _workdays(calendar: Calendar, start: date, end: date, after: int) -> list[date]:
    """The working days from ``start`` on, until ``after`` of them lie past ``end``."""
    days: list[date] = []
    past = 0
    day = start
    for _ in range((end - start).days + _SEARCH_LIMIT_DAYS):
        if calendar.is_workday(day):
            days.append(day)
            past += day >= end
            if past >= after:
                return days
        day += timedelta(days=1)
    raise CalendarError(f"fewer than {after} working days after {end}; check the calendar")


def _day_table(calendar: Calendar, start: date, end: date, dialect: str) -> Any:
    """(day number, w, c per target) for each local day in [start, end): due = receipt*w + c.

    Same deadlines as ``Calendar.add_working_days`` (from a working day the N-th next working
    day at the same time; from a rest day the N-th working day after the next one, at 00:00),
    found by bisection in the list of working days instead of day-by-day walks.
    """
    longest = max(t.working_days for t in TARGETS)
    workdays = _workdays(calendar, start, end, longest + 1)
    if end <= start:
        raise ValidationError("period", "is empty", "give --to after --from")
    rows = []
    for n in range((end - start).days):
        day = start + timedelta(days=n)
        working = calendar.is_workday(day)
        after = bisect_right(workdays, day)
        values = [str((day - date(1970, 1, 1)).days)]
        if dialect != "postgresql":
            values.append("1" if working else "0")
        for target in TARGETS:
            if working:
                due_day = workdays[after + target.working_days - 1]
                shift = (due_day - day).days
                values.extend(_shift(shift, dialect))
            else:
                due_day = workdays[after + target.working_days]
                values.extend(
                    _fixed(datetime.combine(due_day, time(0), tzinfo=calendar.tz), dialect)
                )
        rows.append("(" + ", ".join(values) + ")")
    # Values we computed, written inline: one short VALUES list compiles in microseconds, where
    # a UNION of 365 SELECTs with bound parameters took longer than the query itself.
    if dialect == "postgresql":
        names = ["day_no", *(f"{k}_{t.name}" for t in TARGETS for k in ("shift", "fixed"))]
        typed: dict[str, Any] = {"day_no": Integer} | {
            name: (Interval if name.startswith("shift") else DateTime(timezone=True))
            for name in names[1:]
        }
    else:
        names = ["day_no", "w", *(f"c_{t.name}" for t in TARGETS)]
        typed = {name: Integer for name in names[:2]} | {name: Float for name in names[2:]}
    listed = ", ".join(f"column{i + 1} AS {name}" for i, name in enumerate(names))
    sql = f"SELECT {listed} FROM (VALUES {', '.join(rows)}) AS kpi_day_values"
    return text(sql).columns(**typed).subquery("kpi_day")


def _shift(days: int, dialect: str) -> list[str]:
    """A deadline N days after the receipt, at the same time of day (received on a working day)."""
    if dialect == "postgresql":
        return [f"interval '{days} days'", "NULL::timestamptz"]
    return [str(days * _DAY_S)]


def _fixed(instant: datetime, dialect: str) -> list[str]:
    """A deadline at a fixed instant (received on a rest day: 00:00 of the N-th working day)."""
    if dialect == "postgresql":
        return ["NULL::interval", f"'{instant.isoformat()}'::timestamptz"]
    return [str(int(instant.timestamp()))]


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
    calendar: Calendar | None = None,
    now: datetime | None = None,
    with_missed: bool = True,
    missed_limit: int | None = None,
) -> list[ClassKpi]:
    """KPIs of the complaints received on local days ``start`` .. ``end`` (both included), of
    one class and of product or non-product complaints (``KPI_TYPES``) when asked.

    ``missed_limit`` caps the numbers listed per target (the first by number; the counts stay
    complete), so a dashboard over years of complaints does not fetch thousands of numbers.
    """
    if start < EARLIEST:
        # Deadlines are counted in seconds since 1970, and a date near year 1 cannot even be
        # turned into a UTC instant in the plant's zone.
        raise ValidationError("from", f"{start} is before {EARLIEST}", f"give {EARLIEST} or later")
    if end < start:
        raise ValidationError("to", f"{end} is before {start}", "give --to on or after --from")
    if (end - start).days > MAX_PERIOD_DAYS or end >= date(9000, 1, 1):
        raise ValidationError(
            "to", f"{start} .. {end} is too long", f"give at most {MAX_PERIOD_DAYS} days"
        )
    wanted: Severity | None = None if complaint_class is None else parse_class(complaint_class)
    cal = calendar or Calendar.load(session)
    now_s = (now or datetime.now(UTC)).timestamp()
    stop = end + timedelta(days=1)
    offset_s = _offset_s(cal, start, stop)
    dialect = session.get_bind().dialect.name
    days = _day_table(cal, start, stop, dialect)
    received = _epoch(Complaint.received_at, dialect)
    day_no = cast(func.floor((received + offset_s) / _DAY_S), Integer)
    done_columns = {
        "registered": Complaint.registered_at,
        "investigated": Complaint.decided_at,
        "closed": Complaint.closed_at,
        "all_closed": Complaint.closed_at,
    }
    period = and_(
        Complaint.received_at >= datetime.combine(start, time(0), tzinfo=cal.tz),
        Complaint.received_at < datetime.combine(stop, time(0), tzinfo=cal.tz),
        Complaint.cancelled_at.is_(None),
    )
    if wanted is not None:
        period = and_(period, Complaint.severity == wanted.value)
    if complaint_type is not None:
        period = and_(period, _type_filter(complaint_type))
    joined = Complaint.__table__.join(days, days.c.day_no == day_no)
    # Epochs and deadlines computed once per row in a subquery; the aggregate only compares.
    columns: list[Any] = [Complaint.severity.label("severity"), Complaint.number.label("number")]
    for target in TARGETS:
        if dialect == "postgresql":
            # Timestamps compared as timestamps: a third faster than epochs on PostgreSQL.
            shifted = Complaint.received_at + days.c[f"shift_{target.name}"]
            columns.append(
                func.coalesce(shifted, days.c[f"fixed_{target.name}"]).label(f"due_{target.name}")
            )
            columns.append(done_columns[target.name].label(f"done_{target.name}"))
        else:
            columns.append(
                (received * days.c.w + days.c[f"c_{target.name}"]).label(f"due_{target.name}")
            )
            columns.append(_epoch(done_columns[target.name], dialect).label(f"done_{target.name}"))
    base = select(*columns).select_from(joined).where(period).subquery("kpi_base")
    now_value: Any = (
        literal(datetime.fromtimestamp(now_s, UTC), DateTime(timezone=True))
        if dialect == "postgresql"
        else literal(now_s, Float)
    )
    outcome: dict[str, ColumnElement[bool]] = {}
    aggregates: list[Any] = [base.c.severity, func.count().label("n")]
    for target in TARGETS:
        due_s, done_s = base.c[f"due_{target.name}"], base.c[f"done_{target.name}"]
        met = done_s <= due_s
        pending = and_(done_s.is_(None), now_value <= due_s)
        # Every complaint is met, pending or missed, so the aggregate counts two of the three:
        # two comparisons per row and target instead of three measured about 30 % faster.
        outcome[target.name] = or_(done_s > due_s, and_(done_s.is_(None), now_value > due_s))
        aggregates.append(func.sum(case((met, 1), else_=0)).label(f"met_{target.name}"))
        aggregates.append(func.sum(case((pending, 1), else_=0)).label(f"pending_{target.name}"))
    rows = session.execute(select(*aggregates).group_by(base.c.severity)).all()
    results: dict[str, ClassKpi] = {}
    for row in rows:
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
        results[row.severity] = ClassKpi(row.severity, int(row.n), targets)
    if with_missed:
        for target in TARGETS:
            for severity, number in session.execute(
                select(base.c.severity, base.c.number)
                .where(outcome[target.name])
                .order_by(base.c.number)
                .limit(missed_limit)
            ):
                by_name = {t.name: t for t in results[str(severity)].targets}
                by_name[target.name].missed_numbers.append(str(number))
    order = {s.value: i for i, s in enumerate(Severity)}
    return sorted(results.values(), key=lambda k: order.get(k.complaint_class, 99))
