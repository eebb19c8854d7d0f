"""Stored deadlines stay equal to the computed ones, and the SLA filter in SQL equals the state
``results.sla.summarise`` computes, for every state, over generated complaints."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, complaint_row, form

from results.calendar import SLA_RULES, Calendar, deadline_values, set_calendar_day
from results.clock_records import end_pause, start_pause
from results.complaint_class import set_class
from results.complaint_edit import edit_complaint
from results.complaint_query import ComplaintFilter, find_complaints
from results.complaints import register_complaint
from results.errors import ValidationError
from results.models import Complaint
from results.sla import SlaState, summarise
from results.verify import verify_store
from results.workflow import transition

STORED = ("received_day", *(f"due_{rule.name}" for rule in SLA_RULES))


def _assert_stored_equal_computed(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        calendar = Calendar.load(session)
        complaints = list(session.scalars(select(Complaint)))
        for c in complaints:
            stored = {name: getattr(c, name) for name in STORED}
            assert stored == deadline_values(c.received_at, calendar), c.number
    return len(complaints)


def _register(sessions: sessionmaker[Session], rng: random.Random, n: int) -> list[int]:
    ids = []
    with sessions.begin() as session:
        for _ in range(n):
            received = T0 - timedelta(minutes=rng.randrange(0, 20 * 24 * 60))
            complaint = register_complaint(
                session, form(received_at=received), actor="li.na", now=T0 + timedelta(hours=1)
            )
            ids.append(complaint.id)
    return ids


def test_stored_deadlines_follow_every_event(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rng = random.Random(14)
    ids = _register(sessions, rng, 8)
    assert _assert_stored_equal_computed(sessions) == 8
    for complaint_id in ids:
        with sessions.begin() as session:
            number = session.get_one(Complaint, complaint_id).number
            start_pause(
                session,
                complaint_id,
                kind="test",
                reason="cycle test",
                started_at=T0 + timedelta(hours=2),
                sales_informed=True,
                customer_informed=True,
                actor="qa",
            )
        _assert_stored_equal_computed(sessions)
        with sessions.begin() as session:
            end_pause(session, complaint_id, ended_at=T0 + timedelta(hours=30), actor="qa")
        _assert_stored_equal_computed(sessions)
        with sessions.begin() as session:
            set_class(session, complaint_id, "severe", actor="qa", reason="line stopped")
        _assert_stored_equal_computed(sessions)
        moved = T0 - timedelta(minutes=rng.randrange(0, 20 * 24 * 60))
        with sessions.begin() as session:
            edit_complaint(
                session, number, "received_at", moved, actor="ann", reason="typo", now=T0
            )
        with sessions() as session:
            assert session.get_one(Complaint, complaint_id).received_at == moved
        _assert_stored_equal_computed(sessions)
        with sessions.begin() as session:
            transition(session, complaint_id, "handling_reported", actor="qa", at=T0)
        _assert_stored_equal_computed(sessions)
    # a holiday and a make-up day inside the walks move the working-day deadlines of many
    for day, work in ((date(2026, 2, 25), False), (date(2026, 2, 28), True)):
        with sessions.begin() as session:
            before = {c.id: c.due_closed_limit for c in session.scalars(select(Complaint))}
            set_calendar_day(session, day, work, actor="admin")
        _assert_stored_equal_computed(sessions)
        with sessions() as session:
            after = {c.id: c.due_closed_limit for c in session.scalars(select(Complaint))}
        assert after != before
    # derived, not audited: rewriting them leaves the audit trail and the rows in agreement
    with sessions() as session:
        assert verify_store(session, tmp_path).problems == []


def _generated(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Complaints in every state: open, decided, closed on time or late, some cancelled."""
    rows = []
    for i in range(n):
        received = T0 + timedelta(minutes=rng.randrange(0, 40 * 24 * 60))

        def later(max_days: float, missing: float, received: datetime = received) -> Any:
            if rng.random() < missing:
                return None
            return received + timedelta(minutes=rng.randrange(1, int(max_days * 1440)))

        cancelled = rng.random() < 0.1
        closed = None if cancelled else later(30, 0.5)
        rows.append(
            complaint_row(
                f"CC-2026-{i:05d}",
                received,
                severity=rng.choice(["severe", "general", "occasional"]),
                registered_at=later(2, 0.0),
                status="cancelled" if cancelled else "closed" if closed else "registered",
                handling_reported_at=later(0.3, 0.2),
                decided_at=later(8, 0.3),
                closed_at=closed,
                cancelled_at=later(3, 0.0) if cancelled else None,
            )
        )
    return rows


def test_sla_filter_in_sql_equals_the_computed_state(sessions: sessionmaker[Session]) -> None:
    rng = random.Random(18)
    with sessions.begin() as session:
        set_calendar_day(session, date(2026, 3, 4), False, actor="admin")
        set_calendar_day(session, date(2026, 3, 7), True, actor="admin")
        session.execute(insert(Complaint), _generated(rng, 120))  # deadlines derived on insert
    assert _assert_stored_equal_computed(sessions) == 120
    seen: set[SlaState] = set()
    for now in (T0 + timedelta(days=d) for d in (1, 6, 15, 60)):
        with sessions() as session:
            calendar = Calendar.load(session)
            complaints = list(session.scalars(select(Complaint).order_by(Complaint.number)))
            expected: dict[SlaState, set[str]] = {s: set() for s in SlaState}
            for c in complaints:
                expected[summarise(c, calendar, now).state].add(c.number)
            for state in SlaState:
                page = find_complaints(
                    session, ComplaintFilter(sla=state), sort="number", limit=500, now=now
                )
                assert {c.number for c in page.items} == expected[state], (now, state)
                assert page.total == len(expected[state])
                if expected[state]:
                    seen.add(state)
                # a page is a slice of the same order, counted in SQL
                second = find_complaints(
                    session, ComplaintFilter(sla=state), sort="number", limit=3, offset=3, now=now
                )
                assert [c.number for c in second.items] == sorted(expected[state])[3:6]
                assert second.total == page.total
    assert seen == set(SlaState)


def test_sla_filter_needs_now_except_for_cancelled(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert find_complaints(session, ComplaintFilter(sla="cancelled")).total == 0
        with pytest.raises(ValidationError, match="now: is missing"):
            find_complaints(session, ComplaintFilter(sla="overdue"))
