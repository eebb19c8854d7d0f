"""Working-day calendar and the complaint SLA clocks that run on it.

The maker's deadlines are in *working* days, and in China working days are not simply Monday to
Friday: public holidays fall on weekdays and make-up working days fall on weekends. So the calendar
is the weekday rule plus a table of exceptions an administrator edits (stored in ``calendar_day``,
every edit audited). Days are judged in the plant's time zone; timestamps stay UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.errors import CalendarError, ValidationError
from results.models import CalendarDay, Complaint
from results.read_model import ComplaintRead

PLANT_TZ = ZoneInfo("Asia/Shanghai")
HANDLING_REPORT_HOURS = 4
QA_DECISION_WORKING_DAYS = 3
LOGGED_WORKING_DAYS = 1
INVESTIGATED_WORKING_DAYS = 5
CLOSED_WORKING_DAYS = 10
ALL_CLOSED_WORKING_DAYS = 16
_SEARCH_LIMIT_DAYS = 3 * 366


class Calendar:
    """Weekdays work, weekends rest, unless an exception says otherwise."""

    def __init__(
        self,
        exceptions: Mapping[date, bool] | None = None,
        *,
        weekend: frozenset[int] = frozenset({5, 6}),
        tz: tzinfo = PLANT_TZ,
    ) -> None:
        self.exceptions = dict(exceptions or {})
        self.weekend = weekend
        self.tz = tz

    @classmethod
    def load(cls, session: Session, *, tz: tzinfo = PLANT_TZ) -> Calendar:
        rows = session.execute(select(CalendarDay.day, CalendarDay.is_workday))
        return cls({day: is_workday for day, is_workday in rows}, tz=tz)

    def is_workday(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() not in self.weekend

    def _next_workday(self, day: date) -> date:
        for _ in range(_SEARCH_LIMIT_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise CalendarError(
            f"no working day within {_SEARCH_LIMIT_DAYS} days after {day}; check the calendar's "
            "exceptions (a whole year marked as holiday?)"
        )

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline ``days`` working days after ``start``, as an aware UTC datetime.

        From a working day the deadline is the same local time ``days`` working days later (Friday
        15:00 + 1 = Monday 15:00); from a rest day the clock starts at the next working day's
        midnight, so the full working day counts.
        """
        if start.tzinfo is None:
            raise ValidationError("start", "naive datetime", "give an aware (UTC) datetime")
        if days < 0:
            raise ValidationError("days", f"{days} is negative", "give 0 or more working days")
        local = start.astimezone(self.tz)
        day = local.date()
        clock = local.timetz().replace(tzinfo=None)
        if not self.is_workday(day):
            day = self._next_workday(day)
            clock = time(0, 0)
        for _ in range(days):
            day = self._next_workday(day)
        due = datetime.combine(day, clock).replace(tzinfo=self.tz)
        return due.astimezone(UTC)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``: how many passed from one date to the other."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


def set_calendar_day(
    session: Session, day: date, is_workday: bool, *, actor: str, note: str = "", reason: str = ""
) -> CalendarDay:
    """Declare one day a holiday or a make-up working day (audited, in the caller's transaction)."""
    row = session.get(CalendarDay, day, with_for_update=True)
    before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
    if row is None:
        row = CalendarDay(day=day, is_workday=is_workday, note=note)
        session.add(row)
    else:
        row.is_workday = is_workday
        row.note = note
    session.flush()
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
    working days. KPIs are derived from these on demand, never stored.
    """
    received = complaint.received_at
    ended = complaint.closed_at or complaint.cancelled_at
    rules: list[tuple[str, datetime, datetime | None]] = [
        (
            "handling_report",
            received + timedelta(hours=HANDLING_REPORT_HOURS),
            complaint.handling_reported_at,
        ),
        (
            "qa_decision",
            calendar.add_working_days(received, QA_DECISION_WORKING_DAYS),
            complaint.decided_at,
        ),
        (
            "logged",
            calendar.add_working_days(received, LOGGED_WORKING_DAYS),
            complaint.registered_at,
        ),
        (
            "investigated",
            calendar.add_working_days(received, INVESTIGATED_WORKING_DAYS),
            complaint.decided_at,
        ),
        ("closed", calendar.add_working_days(received, CLOSED_WORKING_DAYS), ended),
        (
            "closed_limit",
            calendar.add_working_days(received, ALL_CLOSED_WORKING_DAYS),
            ended,
        ),
    ]
    return [SlaClock(name, received, due, done) for name, due, done in rules]
