"""Working-day calendar and the complaint SLA clocks that run on it.

The maker's deadlines are in *working* days, and in China working days are not simply Monday to
Friday: public holidays fall on weekdays and make-up working days fall on weekends. So the calendar
is the weekday rule plus a table of exceptions an administrator edits (stored in ``calendar_day``,
every edit audited). Days are judged in the plant's time zone; timestamps stay UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Connection, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from results import audit
from results.models import COMPLAINT_TABLE, CalendarDay, Complaint
from results.read_model import ComplaintRead
from results.workdays import (
    ALL_CLOSED_WORKING_DAYS,
    CLOSED_WORKING_DAYS,
    HANDLING_REPORT_HOURS,
    INVESTIGATED_WORKING_DAYS,
    LOGGED_WORKING_DAYS,
    PLANT_TZ,
    QA_DECISION_WORKING_DAYS,
    SLA_RULES,
    Calendar,
    SlaRule,
    deadline_values,
    local_day,
)

__all__ = [
    "ALL_CLOSED_WORKING_DAYS",
    "CLOSED_WORKING_DAYS",
    "HANDLING_REPORT_HOURS",
    "INVESTIGATED_WORKING_DAYS",
    "LOGGED_WORKING_DAYS",
    "PLANT_TZ",
    "QA_DECISION_WORKING_DAYS",
    "SLA_RULES",
    "Calendar",
    "SlaRule",
    "deadline_values",
    "local_day",
]


def set_calendar_day(
    session: Session, day: date, is_workday: bool, *, actor: str, note: str = "", reason: str = ""
) -> CalendarDay:
    """Declare one day a holiday or a make-up working day (audited, in the caller's transaction).

    The stored deadlines of the complaints whose working-day walk crosses that day are recomputed
    in the same transaction, so the SLA filter in SQL never reads a deadline of the old calendar.
    """
    row = session.get(CalendarDay, day, with_for_update=True)
    before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
    if row is None:
        row = CalendarDay(day=day, is_workday=is_workday, note=note)
        session.add(row)
    else:
        row.is_workday = is_workday
        row.note = note
    session.flush()
    calendar = Calendar.load(session)
    refresh_deadlines(session, calendar, touched_by(day, calendar))
    for held in list(session.identity_map.values()):
        if isinstance(held, Complaint):  # the Core update above bypassed the loaded objects
            session.expire(held, ["received_day", *_DUE_COLUMNS])
    audit.record(
        session,
        actor=actor,
        action="calendar.set_day",
        entity_type="calendar_day",
        entity_id=day.isoformat(),
        before=before,
        after={"is_workday": is_workday, "note": note},
        reason=reason,
    )
    return row


@dataclass(frozen=True, slots=True)
class SlaClock:
    name: str
    started_at: datetime
    due_at: datetime
    done_at: datetime | None

    def state(self, now: datetime) -> str:
        """``met``/``missed`` once done; ``running``/``overdue`` while open."""
        if self.done_at is not None:
            return "met" if self.done_at <= self.due_at else "missed"
        return "running" if now <= self.due_at else "overdue"


def sla_clocks(complaint: Complaint | ComplaintRead, calendar: Calendar) -> list[SlaClock]:
    """The manual's deadlines for one complaint, all counted from its receipt.

    Handling report to QA: 4 clock hours. QA decision: 3 working days. Targets: logged within 1,
    investigated (decided) within 5, closed within 10, and every complaint closed within 16
    working days. Computed from the calendar; ``store_deadlines`` keeps a copy in the row so that
    SQL can filter on the state (``results.sla``).
    """
    received = complaint.received_at
    ended = complaint.closed_at or complaint.cancelled_at
    clocks = []
    for rule in SLA_RULES:
        done = ended if rule.done == "ended" else getattr(complaint, rule.done)
        clocks.append(SlaClock(rule.name, received, rule.due(received, calendar), done))
    return clocks


def store_deadlines(complaint: Complaint, calendar: Calendar) -> None:
    """Write the receipt day and deadlines into ``complaint`` (registration, receipt edit)."""
    for column, value in deadline_values(complaint.received_at, calendar).items():
        setattr(complaint, column, value)


_BATCH = 5000


def refresh_deadlines(
    connection: Connection | Session,
    calendar: Calendar,
    where: ColumnElement[bool] | None = None,
) -> int:
    """Recompute the stored deadlines of every complaint matching ``where`` (all without); how
    many. In batches of ids, so memory stays flat on a store of any size. Called when the calendar
    changes and by the migration that introduced the columns (inserts derive them themselves).
    """
    table = COMPLAINT_TABLE
    query = select(Complaint.id, Complaint.received_at).order_by(Complaint.id)
    if where is not None:
        query = query.where(where)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in ("received_day", *_DUE_COLUMNS)})
    )
    done = 0
    last = 0
    while True:
        rows = connection.execute(query.where(Complaint.id > last).limit(_BATCH)).all()
        if not rows:
            return done
        params = [
            {"row_id": row_id} | deadline_values(received, calendar) for row_id, received in rows
        ]
        connection.execute(statement, params)
        done += len(rows)
        last = rows[-1][0]


_DUE_COLUMNS = tuple(f"due_{rule.name}" for rule in SLA_RULES)


def touched_by(day: date, calendar: Calendar) -> ColumnElement[bool]:
    """The complaints whose working-day deadlines may move when ``day`` changes: received before
    its end, with the longest deadline on or after its start (a walk that ends before a day never
    looks at it)."""
    start = datetime.combine(day, time(0), tzinfo=calendar.tz)
    return and_(
        Complaint.received_at < start + timedelta(days=1),
        or_(Complaint.due_closed_limit >= start, Complaint.due_closed_limit.is_(None)),
    )
