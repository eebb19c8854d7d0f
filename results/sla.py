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

from sqlalchemy import ColumnElement, and_, not_, or_

from results.calendar import Calendar, SlaClock, sla_clocks
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
    if complaint.status == ComplaintStatus.CANCELLED.value:
        overall = SlaState.CANCELLED
    else:
        overall = next((s for s in _WORST_FIRST if s.value in states), SlaState.MET)
    open_clocks = [clock for clock, state in clocks if state in OPEN_STATES]
    nxt = min(open_clocks, key=lambda c: c.due_at) if open_clocks else None
    return SlaSummary(overall, clocks, nxt)


def state_clause(state: SlaState, now: datetime | None) -> ColumnElement[bool]:
    """SQL true for the complaints whose overall state at ``now`` is ``state`` (as ``summarise``).

    Over two columns the database generates from the row (``results.models``): the earliest
    deadline of a clock still open (``sla_open_due``, NULL when none is) and whether any clock was
    missed (``sla_missed``). Overdue is an open clock past its deadline, so the earliest one is;
    running is an open clock and none overdue. ``now`` may be left out for ``cancelled`` only.
    """
    cancelled = Complaint.status == ComplaintStatus.CANCELLED.value
    if state is SlaState.CANCELLED:
        return cancelled
    if now is None:
        raise ValidationError("now", "is missing", "pass the time the SLA state is computed at")
    # Both columns are NULL / false for a cancelled complaint, so only "met" must exclude it.
    open_due, missed = Complaint.sla_open_due, Complaint.sla_missed
    return {
        SlaState.OVERDUE: open_due < now,
        SlaState.MISSED: and_(missed, or_(open_due.is_(None), open_due >= now)),
        SlaState.RUNNING: and_(open_due >= now, not_(missed)),
        SlaState.MET: and_(open_due.is_(None), not_(missed), not_(cancelled)),
    }[state]
