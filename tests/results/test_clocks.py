"""Complaint clocks with pauses, a holiday (Wed 4 Mar 2026) and a make-up working day (Sat 7 Mar).

Every expected deadline below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, register

from results.audit import history
from results.calendar import PLANT_TZ, Calendar, set_calendar_day
from results.clock_records import (
    end_pause,
    pause_sentences,
    pauses_of,
    record_clock_event,
    start_pause,
)
from results.clocks import Clock, complaint_clocks, due
from results.containment import Area, record_check
from results.errors import ValidationError
from results.models import AuditEvent
from results.workflow import transition


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PLANT_TZ).astimezone(UTC)


def _calendar(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        set_calendar_day(session, date(2026, 3, 4), False, actor="admin", note="holiday")
        set_calendar_day(session, date(2026, 3, 7), True, actor="admin", note="make-up day")


def _clocks(
    sessions: sessionmaker[Session], complaint_id: int, contained: datetime | None = None
) -> dict[str, Clock]:
    with sessions() as session:
        found = complaint_clocks(
            session, complaint_id, containment_completed_at=lambda _s, _id: contained
        )
    return {c.name: c for c in found}


def _pause(
    sessions: sessionmaker[Session],
    complaint_id: int,
    start: datetime,
    end: datetime | None,
    *,
    informed: bool = True,
) -> None:
    with sessions.begin() as session:
        start_pause(
            session,
            complaint_id,
            kind="test",
            reason="cycle test at 45 degC",
            started_at=start,
            sales_informed=True,
            customer_informed=informed,
            actor="qa",
        )
        if end is not None:
            end_pause(session, complaint_id, ended_at=end, actor="qa")


def _sales_feedback(sessions: sessionmaker[Session], complaint_id: int) -> None:
    """Sales' feedback reaches QA on Tue 3 Mar 10:00, the day before the holiday."""
    with sessions.begin() as session:
        record_clock_event(
            session, complaint_id, "sales_feedback_received", local(2026, 3, 3, 10), actor="sales"
        )


def test_without_pauses_the_working_day_clock_is_the_calendars() -> None:
    cal = Calendar({date(2026, 3, 4): False, date(2026, 3, 7): True, date(2026, 5, 1): False})
    rng = random.Random(14)
    for _ in range(400):
        start = T0 + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        days = rng.randrange(0, 17)
        assert due(start, timedelta(days=days), (), cal) == cal.add_working_days(start, days)


def test_qa_reaction_skips_the_holiday_uses_the_make_up_day_and_stops_for_a_told_pause(
    sessions: sessionmaker[Session],
) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    _sales_feedback(sessions, complaint_id)  # Tue 3 Mar 10:00
    # Tue 10:00 + 2 WD, Wed holiday: Thu (1), Fri (2) -> Fri 6 Mar 10:00.
    assert _clocks(sessions, complaint_id)["qa_reaction"].due_at == local(2026, 3, 6, 10)
    # A pause Thu 14:00 - Fri 14:00 (one working day, told): the rest runs into Saturday's make-up
    # day: Tue 14 h + Thu 14 h, pause, Fri 10 h, Sat 10 h = 48 h -> Sat 7 Mar 10:00.
    _pause(sessions, complaint_id, local(2026, 3, 5, 14), local(2026, 3, 6, 14))
    clock = _clocks(sessions, complaint_id)["qa_reaction"]
    assert clock.due_at == local(2026, 3, 7, 10)
    with sessions.begin() as session:
        record_clock_event(session, complaint_id, "qa_reacted", local(2026, 3, 7, 9), actor="qa")
    assert _clocks(sessions, complaint_id)["qa_reaction"].state(T0) == "met"


def test_a_pause_nobody_was_told_about_stops_nothing(sessions: sessionmaker[Session]) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    _sales_feedback(sessions, complaint_id)  # Tue 3 Mar 10:00
    _pause(sessions, complaint_id, local(2026, 3, 5, 14), local(2026, 3, 6, 14), informed=False)
    assert _clocks(sessions, complaint_id)["qa_reaction"].due_at == local(2026, 3, 6, 10)


def test_qa_reaction_starts_at_the_handling_report_without_a_feedback_event(
    sessions: sessionmaker[Session],
) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    assert _clocks(sessions, complaint_id)["qa_reaction"].state(T0) == "not_started"
    with sessions.begin() as session:
        transition(session, complaint_id, "handling_reported", actor="qa", at=local(2026, 3, 2, 13))
    # Mon 13:00 + 2 WD: Tue (1), Wed holiday, Thu (2).
    assert _clocks(sessions, complaint_id)["qa_reaction"].due_at == local(2026, 3, 5, 13)


def test_containment_24_h_runs_through_the_holiday_and_stops_for_a_pause(
    sessions: sessionmaker[Session],
) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)  # received Mon 2 Mar 09:30
    # Hours, not working days: the Wednesday holiday changes nothing; 24 h -> Tue 09:30.
    clock = _clocks(sessions, complaint_id)["containment"]
    assert clock.due_at == local(2026, 3, 3, 9, 30)
    assert clock.state(local(2026, 3, 3, 10)) == "overdue"
    _pause(sessions, complaint_id, local(2026, 3, 2, 12), local(2026, 3, 2, 18))
    clock = _clocks(sessions, complaint_id, contained=local(2026, 3, 3, 15))["containment"]
    assert clock.due_at == local(2026, 3, 3, 15, 30)
    assert clock.state(T0) == "met"
    assert _clocks(sessions, complaint_id)["containment"].done_at is None


def test_a_running_pause_holds_the_pausable_clocks_only(sessions: sessionmaker[Session]) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    _pause(sessions, complaint_id, local(2026, 3, 2, 12), None)
    clocks = _clocks(sessions, complaint_id)
    assert clocks["containment"].state(local(2026, 3, 20)) == "paused"
    assert clocks["whole_case"].due_at is None
    assert clocks["handling_report"].due_at == T0 + timedelta(hours=4)
    assert clocks["registered"].due_at == local(2026, 3, 3, 9, 30)


def test_whole_case_one_week_plus_pauses(sessions: sessionmaker[Session]) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    assert _clocks(sessions, complaint_id)["whole_case"].due_at == local(2026, 3, 9, 9, 30)
    # Two told pauses of 1 day and 6 hours: 7 days + 30 h -> Tue 10 Mar 15:30 (holidays count).
    _pause(sessions, complaint_id, local(2026, 3, 3), local(2026, 3, 4))
    _pause(sessions, complaint_id, local(2026, 3, 5, 8), local(2026, 3, 5, 14))
    assert _clocks(sessions, complaint_id)["whole_case"].due_at == local(2026, 3, 10, 15, 30)


def test_analysis_within_7_working_days_of_new_customer_information(
    sessions: sessionmaker[Session],
) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    with sessions.begin() as session:
        record_clock_event(
            session, complaint_id, "new_customer_info", local(2026, 3, 3, 16), actor="sales"
        )
    # Tue 3 Mar 16:00 + 7 WD: Wed holiday; Thu 5 (1), Fri 6 (2), Sat 7 make-up (3), Mon 9 (4),
    # Tue 10 (5), Wed 11 (6), Thu 12 (7) -> Thu 12 Mar 16:00.
    clock = _clocks(sessions, complaint_id)["analysis_after_new_info_1"]
    assert clock.due_at == local(2026, 3, 12, 16)
    # A told pause over all of Tue 10 Mar moves it one working day: Fri 13 Mar 16:00.
    _pause(sessions, complaint_id, local(2026, 3, 10), local(2026, 3, 11))
    with sessions.begin() as session:
        record_clock_event(
            session, complaint_id, "analysis_done", local(2026, 3, 13, 17), actor="qa"
        )
    clock = _clocks(sessions, complaint_id)["analysis_after_new_info_1"]
    assert clock.due_at == local(2026, 3, 13, 16)
    assert clock.state(T0) == "missed"


def test_qa_decision_and_deck_targets_ignore_pauses(sessions: sessionmaker[Session]) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)  # received Mon 2 Mar 09:30
    with sessions.begin() as session:
        transition(session, complaint_id, "handling_reported", actor="qa", at=local(2026, 3, 2, 13))
    _pause(sessions, complaint_id, local(2026, 3, 3), local(2026, 3, 10))
    clocks = _clocks(sessions, complaint_id)
    # From the handling report Mon 13:00: Tue (1), Wed holiday, Thu (2), Fri (3).
    assert clocks["qa_decision"].due_at == local(2026, 3, 6, 13)
    assert clocks["handling_report"].state(T0) == "met"  # 3.5 h after receipt, pause or not
    assert clocks["registered"].due_at == local(2026, 3, 3, 9, 30)
    # Tue (1), Thu (2), Fri (3), Sat make-up (4), Mon 9 (5).
    assert clocks["investigated"].due_at == local(2026, 3, 9, 9, 30)
    # Tue 10 (6), Wed 11 (7), Thu 12 (8), Fri 13 (9), Mon 16 (10).
    assert clocks["closed"].due_at == local(2026, 3, 16, 9, 30)
    # Tue 17 (11) .. Mon 23 (15), Tue 24 (16).
    assert clocks["all_closed"].due_at == local(2026, 3, 24, 9, 30)


def _events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_ending_a_pause_never_started_is_refused_and_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _n, _u = register(sessions)
    with sessions() as session:
        before = _events(session)
    with sessions.begin() as session, pytest.raises(ValidationError, match="no running pause"):
        end_pause(session, complaint_id, ended_at=T0 + timedelta(hours=1), actor="qa")
    with sessions.begin() as session, pytest.raises(ValidationError, match="kind"):
        start_pause(
            session,
            complaint_id,
            kind="coffee",
            reason="x",
            started_at=T0,
            sales_informed=True,
            customer_informed=True,
            actor="qa",
        )
    with sessions.begin() as session, pytest.raises(ValidationError, match="kind"):
        record_clock_event(session, complaint_id, "lunch", T0, actor="qa")
    with sessions() as session:
        assert _events(session) == before
        assert pause_sentences(session, complaint_id, "en") == []


def test_pauses_are_audited_and_written_as_sentences(sessions: sessionmaker[Session]) -> None:
    complaint_id, _n, _u = register(sessions)
    _pause(sessions, complaint_id, local(2026, 3, 3, 9), local(2026, 3, 4, 17))
    _pause(sessions, complaint_id, local(2026, 3, 5, 9), None, informed=False)
    with sessions.begin() as session, pytest.raises(ValidationError, match="still running"):
        _pause(sessions, complaint_id, local(2026, 3, 6, 9), None)
    with sessions() as session:
        en = pause_sentences(session, complaint_id, "en")
        zh = pause_sentences(session, complaint_id, "zh_CN")
        events = [
            event
            for pause in pauses_of(session, complaint_id)
            for event in history(session, "complaint_clock_pause", str(pause.id))
        ]
        with pytest.raises(ValidationError, match="lang"):
            pause_sentences(session, complaint_id, "fr")
    assert len(en) == len(zh) == 2
    assert "2026-03-03 09:00 to 2026-03-04 17:00" in en[0] and "excluded" in en[0]
    assert "cycle test at 45 degC" in en[0]
    assert "NOT both informed" in en[1] and "still running" in en[1]
    assert "2026-03-03 09:00 至 2026-03-04 17:00" in zh[0] and "不计入时限" in zh[0]
    assert "时限照常计算" in zh[1]
    assert {e.action for e in events} >= {"clock.pause_started", "clock.pause_ended"}


def _check_areas(sessions: sessionmaker[Session], complaint_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        for area in Area:
            record_check(
                session, complaint_id, area=area, qty_checked=10, qty_bad=0, actor="qa", at=at
            )


def test_containment_check_within_4_h_of_the_handling_report(
    sessions: sessionmaker[Session],
) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)  # received Mon 2 Mar 09:30
    assert _clocks(sessions, complaint_id)["containment_check"].state(T0) == "not_started"
    # The handling report on Tue 3 Mar 22:00: 4 clock hours -> Wed 4 Mar 02:00 (the holiday
    # changes nothing), and a told pause does not stop the manual's clock.
    with sessions.begin() as session:
        transition(session, complaint_id, "handling_reported", actor="qa", at=local(2026, 3, 3, 22))
    _pause(sessions, complaint_id, local(2026, 3, 3, 23), local(2026, 3, 4, 8))
    clock = _clocks(sessions, complaint_id)["containment_check"]
    assert clock.due_at == local(2026, 3, 4, 2)
    assert clock.state(local(2026, 3, 4, 1, 59)) == "running"
    assert clock.state(local(2026, 3, 4, 2, 1)) == "overdue"
    # Two of three areas checked in time is not the check: still overdue after the due time.
    with sessions.begin() as session:
        for area in (Area.FINISHED_STOCK, Area.WORK_IN_PROGRESS):
            record_check(
                session,
                complaint_id,
                area=area,
                qty_checked=10,
                qty_bad=0,
                actor="qa",
                at=local(2026, 3, 4, 1),
            )
    assert _clocks(sessions, complaint_id)["containment_check"].state(local(2026, 3, 4, 3)) == (
        "overdue"
    )
    _check_areas(sessions, complaint_id, local(2026, 3, 4, 3))  # the last area 1 h late
    clock = _clocks(sessions, complaint_id)["containment_check"]
    assert (clock.done_at, clock.state(local(2026, 3, 5))) == (local(2026, 3, 4, 3), "missed")


def test_containment_check_met_and_the_24_h_containment_from_the_records(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _n, _u = register(sessions)  # received Mon 2 Mar 09:30
    with sessions.begin() as session:
        transition(session, complaint_id, "handling_reported", actor="qa", at=local(2026, 3, 2, 11))
    _check_areas(sessions, complaint_id, local(2026, 3, 2, 14))
    with sessions() as session:  # the recorded containment, not an injected time
        clocks = {c.name: c for c in complaint_clocks(session, complaint_id)}
    assert clocks["containment_check"].state(T0) == "met"
    assert clocks["containment"].done_at == local(2026, 3, 2, 14)
    assert clocks["containment"].state(T0) == "met"


def test_qa_tells_sales_within_2_working_days_when_more_is_needed(
    sessions: sessionmaker[Session],
) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    _sales_feedback(sessions, complaint_id)  # Tue 3 Mar 10:00
    # No request for more information: the rule does not apply, no clock.
    assert "more_info_request" not in _clocks(sessions, complaint_id)
    # A told pause Thu 14:00 - Fri 14:00; Tue 10:00 + 2 WD: Tue 14 h, Wed holiday, Thu 14 h,
    # pause, Fri 10 h, Sat make-up 10 h -> Sat 7 Mar 10:00. QA asks on Sat 09:00: met.
    _pause(sessions, complaint_id, local(2026, 3, 5, 14), local(2026, 3, 6, 14))
    with sessions.begin() as session:
        record_clock_event(
            session, complaint_id, "qa_asked_for_more_info", local(2026, 3, 7, 9), actor="qa"
        )
    clock = _clocks(sessions, complaint_id)["more_info_request"]
    assert (clock.started_at, clock.due_at) == (local(2026, 3, 3, 10), local(2026, 3, 7, 10))
    assert (clock.done_at, clock.state(T0)) == (local(2026, 3, 7, 9), "met")


def test_more_info_request_after_2_working_days_is_missed(sessions: sessionmaker[Session]) -> None:
    _calendar(sessions)
    complaint_id, _n, _u = register(sessions)
    with sessions.begin() as session:
        # Without sales' feedback the clock starts at the handling report: Mon 13:00 + 2 WD:
        # Tue (1), Wed holiday, Thu (2) -> Thu 5 Mar 13:00; an untold pause stops nothing.
        transition(session, complaint_id, "handling_reported", actor="qa", at=local(2026, 3, 2, 13))
        record_clock_event(
            session, complaint_id, "qa_asked_for_more_info", local(2026, 3, 5, 14), actor="qa"
        )
    _pause(sessions, complaint_id, local(2026, 3, 3, 9), local(2026, 3, 3, 17), informed=False)
    clock = _clocks(sessions, complaint_id)["more_info_request"]
    assert clock.due_at == local(2026, 3, 5, 13)
    assert clock.state(T0) == "missed"
