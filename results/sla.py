"""A complaint's overall SLA state, in Python for one complaint and in SQL for a filter.

The clocks are the manual's deadlines from receipt (``results.workdays.SLA_RULES``); a clock is
met or missed once its done time is set, running or overdue while it is not. The overall state
is the worst clock: overdue, then missed, then running, else met; a cancelled complaint is
cancelled. ``summarise`` is the one place that says so for a loaded complaint (the CLI, the API
and the pages all use it); ``state_clause`` says the same in SQL over the deadlines stored in the
row (revision 0014), so ``complaint list --sla overdue`` is a WHERE clause with its page in SQL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy.orm import InstrumentedAttribute

from results.calendar import SLA_RULES, Calendar, SlaClock, sla_clocks
from results.complaint_status import ComplaintStatus
from results.errors import ValidationError
from results.models import Complaint
from results.read_model import ComplaintRead


class SlaState(enum.StrEnum):
    """A complaint's overall clock state: its worst clock."""

    RUNNING = "running"
    OVERDUE = "overdue"
    MISSED = "missed"
    MET = "met"
    CANCELLED = "cancelled"


OPEN_STATES = (SlaState.RUNNING.value, SlaState.OVERDUE.value)
_WORST_FIRST = (SlaState.OVERDUE, SlaState.MISSED, SlaState.RUNNING)


@dataclass(frozen=True)
class SlaSummary:
    state: SlaState
    clocks: list[tuple[SlaClock, str]]
    """Each clock with its own state at the time asked."""
    next: SlaClock | None
    """The open clock (running or overdue) due first."""


def summarise(
    complaint: Complaint | ComplaintRead, calendar: Calendar, now: datetime
) -> SlaSummary:
    """Overall state (worst clock, or cancelled), each clock's state and the next open deadline."""
    clocks = [(clock, clock.state(now)) for clock in sla_clocks(complaint, calendar)]
    states = {state for _clock, state in clocks}
    overall = SlaState.MET
    if complaint.status == ComplaintStatus.CANCELLED.value:
        overall = SlaState.CANCELLED
    else:
        overall = next((s for s in _WORST_FIRST if s.value in states), SlaState.MET)
    open_clocks = [clock for clock, state in clocks if state in OPEN_STATES]
    nxt = min(open_clocks, key=lambda c: c.due_at) if open_clocks else None
    return SlaSummary(overall, clocks, nxt)


def _pairs() -> list[tuple[InstrumentedAttribute[datetime | None], ColumnElement[datetime]]]:
    """(stored deadline, done time) of each clock, as ``sla_clocks`` pairs them."""
    ended = func.coalesce(Complaint.closed_at, Complaint.cancelled_at)
    pairs = []
    for rule in SLA_RULES:
        done = ended if rule.done == "ended" else getattr(Complaint, rule.done)
        pairs.append((getattr(Complaint, f"due_{rule.name}"), done))
    return pairs


def state_clause(state: SlaState, now: datetime | None) -> ColumnElement[bool]:
    """SQL true for the complaints whose overall state at ``now`` is ``state`` (as ``summarise``).

    ``now`` may be left out for ``cancelled`` only. Every term is a definite true or false (the
    deadlines are never NULL: they are derived on insert), so the negations below are exact.
    """
    cancelled = Complaint.status == ComplaintStatus.CANCELLED.value
    if state is SlaState.CANCELLED:
        return cancelled
    if now is None:
        raise ValidationError("now", "is missing", "pass the time the SLA state is computed at")
    pairs = _pairs()
    any_clock = {
        SlaState.OVERDUE: or_(*(and_(done.is_(None), due < now) for due, done in pairs)),
        SlaState.MISSED: or_(*(and_(done.is_not(None), done > due) for due, done in pairs)),
        SlaState.RUNNING: or_(*(and_(done.is_(None), due >= now) for due, done in pairs)),
    }
    worse: list[ColumnElement[bool]] = [not_(cancelled)]
    for candidate in _WORST_FIRST:
        if candidate is state:
            return and_(*worse, any_clock[candidate])
        worse.append(not_(any_clock[candidate]))
    return and_(*worse)
