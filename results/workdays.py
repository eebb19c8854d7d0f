"""The working-day calendar and the manual's deadlines on it: pure rules, no store access but
reading the calendar's exceptions.

The maker's deadlines are in *working* days, and in China working days are not simply Monday to
Friday: public holidays fall on weekdays and make-up working days fall on weekends. So the calendar
is the weekday rule plus a table of exceptions an administrator edits (``calendar_day``). Days are
judged in the plant's time zone; timestamps stay UTC. Kept apart from ``results.calendar`` (which
edits the calendar and keeps the stored deadlines current) so that the table definitions can derive
a new complaint's receipt day and deadlines on insert without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Connection, Date, column, select, table
from sqlalchemy.orm import Session

from results.errors import CalendarError, ValidationError

PLANT_TZ = ZoneInfo("Asia/Shanghai")
_CALENDAR_DAY = table("calendar_day", column("day", Date), column("is_workday", Boolean))
"""The exceptions' table as far as reading it goes (``results.models.CalendarDay`` owns it)."""


def local_day(instant: datetime, tz: tzinfo = PLANT_TZ) -> date:
    """The plant's calendar day at ``instant`` (naive values are UTC, as SQLite hands them back)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(tz).date()


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
        self._due_days: dict[tuple[date, int], tuple[date, bool]] = {}

    @classmethod
    def load(cls, session: Session | Connection, *, tz: tzinfo = PLANT_TZ) -> Calendar:
        rows = session.execute(select(_CALENDAR_DAY.c.day, _CALENDAR_DAY.c.is_workday))
        return cls({cast(date, day): bool(is_workday) for day, is_workday in rows}, tz=tz)

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
        day, keeps_time = self.due_day(local.date(), days)
        clock = local.timetz().replace(tzinfo=None) if keeps_time else time(0, 0)
        due = datetime.combine(day, clock).replace(tzinfo=self.tz)
        return due.astimezone(UTC)

    def due_day(self, day: date, days: int) -> tuple[date, bool]:
        """The local day of a deadline ``days`` working days after a start on ``day``, and whether
        it keeps the start's time of day (a start on a working day) or falls at 00:00 (a start on a
        rest day). The one working-day walk: ``add_working_days`` and the KPI's per-day deadline
        table both use it; remembered per (day, days), since a year of complaints has 365 days.
        """
        known = self._due_days.get((day, days))
        if known is not None:
            return known
        due, keeps_time = day, True
        if not self.is_workday(due):
            due = self._next_workday(due)
            keeps_time = False
        for _ in range(days):
            due = self._next_workday(due)
        self._due_days[(day, days)] = (due, keeps_time)
        return due, keeps_time

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


@dataclass(frozen=True, slots=True)
class SlaRule:
    """One of the manual's deadlines: ``hours`` clock hours or ``working_days`` from receipt."""

    name: str
    done: str
    """The complaint attribute that stops it (``ended``: closed or cancelled)."""
    hours: int = 0
    working_days: int = 0

    def due(self, received: datetime, calendar: Calendar) -> datetime:
        if self.hours:
            return received + timedelta(hours=self.hours)
        return calendar.add_working_days(received, self.working_days)


SLA_RULES = (
    SlaRule("handling_report", "handling_reported_at", hours=HANDLING_REPORT_HOURS),
    SlaRule("qa_decision", "decided_at", working_days=QA_DECISION_WORKING_DAYS),
    SlaRule("logged", "registered_at", working_days=LOGGED_WORKING_DAYS),
    SlaRule("investigated", "decided_at", working_days=INVESTIGATED_WORKING_DAYS),
    SlaRule("closed", "ended", working_days=CLOSED_WORKING_DAYS),
    SlaRule("closed_limit", "ended", working_days=ALL_CLOSED_WORKING_DAYS),
)
"""Each rule's deadline is stored in the complaint column ``due_<name>`` (revision 0014)."""


def deadline_values(received: datetime, calendar: Calendar) -> dict[str, Any]:
    """The stored, derived columns of a complaint received at ``received``."""
    values: dict[str, Any] = {"received_day": local_day(received, calendar.tz)}
    for rule in SLA_RULES:
        values[f"due_{rule.name}"] = rule.due(received, calendar)
    return values
