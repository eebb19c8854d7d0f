from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, register

from results.audit import history
from results.calendar import PLANT_TZ, Calendar, set_calendar_day, sla_clocks
from results.errors import CalendarError, ValidationError
from results.models import Complaint
from results.workflow import transition


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PLANT_TZ).astimezone(UTC)


def test_weekdays_work_and_weekends_rest() -> None:
    cal = Calendar()
    assert cal.add_working_days(local(2026, 3, 6, 15), 1) == local(2026, 3, 9, 15)  # Fri -> Mon
    assert cal.add_working_days(local(2026, 3, 2, 9), 3) == local(2026, 3, 5, 9)  # Mon -> Thu
    assert cal.add_working_days(local(2026, 3, 7, 10), 1) == local(2026, 3, 10)  # Sat -> end of Mon
    assert cal.add_working_days(local(2026, 3, 2, 9), 0) == local(2026, 3, 2, 9)


def test_days_are_judged_in_plant_time_not_utc() -> None:
    # Friday 23:30 UTC is already Saturday 07:30 in Shanghai: the clock starts on Monday.
    friday_night_utc = datetime(2026, 3, 6, 23, 30, tzinfo=UTC)
    assert Calendar().add_working_days(friday_night_utc, 1) == local(2026, 3, 10)


def test_holidays_and_make_up_working_days() -> None:
    # Labour Day 2026 style: Fri 1 May holiday, Sat 9 May a make-up working day.
    cal = Calendar({date(2026, 5, 1): False, date(2026, 5, 9): True})
    assert cal.add_working_days(local(2026, 4, 30, 10), 1) == local(2026, 5, 4, 10)
    assert cal.add_working_days(local(2026, 5, 8, 10), 1) == local(2026, 5, 9, 10)
    assert (
        cal.working_days_between(date(2026, 4, 30), date(2026, 5, 11)) == 7
    )  # 4-8 May, 9 May, 11 May
    assert cal.working_days_between(date(2026, 5, 11), date(2026, 4, 30)) == -7


def test_calendar_without_any_working_day_fails_loudly() -> None:
    no_work = Calendar(weekend=frozenset(range(7)))
    with pytest.raises(CalendarError, match="no working day"):
        no_work.add_working_days(local(2026, 3, 2), 1)
    with pytest.raises(ValidationError, match="days"):
        Calendar().add_working_days(local(2026, 3, 2), -1)


def test_calendar_edits_are_stored_and_audited(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        set_calendar_day(session, date(2026, 3, 3), False, actor="admin", note="plant shutdown")
        set_calendar_day(session, date(2026, 3, 7), True, actor="admin", note="make-up day")
    with sessions.begin() as session:
        set_calendar_day(session, date(2026, 3, 3), True, actor="admin", reason="shutdown moved")
    with sessions() as session:
        cal = Calendar.load(session)
        events = history(session, "calendar_day", "2026-03-03")
    assert cal.is_workday(date(2026, 3, 3)) and cal.is_workday(date(2026, 3, 7))
    assert [e.reason for e in events] == ["", "shutdown moved"]
    assert events[1].before_json == '{"is_workday":false,"note":"plant shutdown"}'


def test_sla_clocks_follow_the_manual(sessions: sessionmaker[Session]) -> None:
    complaint_id, _number, _unit = register(sessions)  # received Mon 2 Mar 2026 09:30 local
    with sessions.begin() as session:
        transition(
            session, complaint_id, "handling_reported", actor="qa", at=T0 + timedelta(hours=5)
        )
        transition(session, complaint_id, "under_analysis", actor="qa", at=T0 + timedelta(days=1))
        transition(
            session,
            complaint_id,
            "decided",
            actor="qa",
            decision="accept",
            rationale="UV lock",
            at=T0 + timedelta(days=2),
        )
    with sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        clocks = {c.name: c for c in sla_clocks(complaint, Calendar())}
    assert clocks["handling_report"].due_at == T0 + timedelta(hours=4)
    assert clocks["handling_report"].state(T0) == "missed"  # reported after 5 h
    assert clocks["qa_decision"].due_at == local(2026, 3, 5, 9, 30)
    assert clocks["qa_decision"].state(T0) == "met"
    assert clocks["logged"].state(T0) == "met"
    assert clocks["investigated"].due_at == local(2026, 3, 9, 9, 30)
    assert clocks["closed"].due_at == local(2026, 3, 16, 9, 30)
    assert clocks["closed"].state(local(2026, 3, 16, 9)) == "running"
    assert clocks["closed"].state(local(2026, 3, 16, 10)) == "overdue"
    assert clocks["closed_limit"].due_at == local(2026, 3, 24, 9, 30)
