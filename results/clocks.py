"""The complaint clocks of every class, with pauses: derived on demand, never stored.

Sources (reference records-and-reports.md §0.2):
- complaint manual: handling report to QA within 4 h of receipt; QA then checks finished stock,
  work in progress and incoming material (here: within 4 h of the handling report, issue 14 item
  3); QA decision within 3 working days, counted here from the handling report;
- customer-complaint procedure: QA reacts within 2 working days of receiving sales' feedback (and
  where sales must ask the customer for more, QA tells sales so within the same 2 working days);
  containment within 24 h of receipt and the whole case within 1 week; after new information from
  the customer, analysis within 7 working days of that date. "General and occasional: same limits,
  prioritised by severity", so these clocks run for every class and the class orders the work.
  Time for tests or sample builds is excluded from THESE limits (and only these) when sales and
  the customer were told;
- complaint-system deck: registered within 1, investigated with a proposal within 5, closed within
  10 and all closed within 16 working days of receipt (the KPIs; the deck knows no pauses).

Major complaints keep their own hour clock (``results.major.clock``); nothing here changes it.
The containment-done time comes from another record (``results.containment``), so it is injected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from results.calendar import (
    ALL_CLOSED_WORKING_DAYS,
    CLOSED_WORKING_DAYS,
    HANDLING_REPORT_HOURS,
    INVESTIGATED_WORKING_DAYS,
    LOGGED_WORKING_DAYS,
    QA_DECISION_WORKING_DAYS,
    Calendar,
)
from results.clock_models import ClockEvent, ClockPause
from results.clock_records import ClockEventKind, events_of, pauses_of
from results.containment import containment_checked_at
from results.containment import containment_completed_at as recorded_containment_done
from results.errors import CalendarError, NotFound
from results.models import Complaint, Severity

QA_REACTION_WORKING_DAYS = 2
CONTAINMENT_CHECK_HOURS = 4
CONTAINMENT_HOURS = 24
WHOLE_CASE_HOURS = 7 * 24
ANALYSIS_AFTER_NEW_INFO_WORKING_DAYS = 7
CONTAINMENT_CLOCKS = ("containment_check", "containment")
"""The clocks ``results.containment_status`` shows beside the containment records."""
CLASS_PRIORITY = {Severity.SEVERE: 0, Severity.GENERAL: 1, Severity.OCCASIONAL: 2}
"""Several complaints at once: severe first, then general, then occasional (the procedure)."""

_STEP_LIMIT = 100_000

ContainmentDone = Callable[[Session, int], datetime | None]
Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class Clock:
    name: str
    rule: str
    started_at: datetime | None
    due_at: datetime | None
    done_at: datetime | None
    pausable: bool

    def state(self, now: datetime) -> str:
        """not_started, paused (no due while a pause runs), met/missed, or running/overdue."""
        if self.started_at is None:
            return "not_started"
        if self.due_at is None:
            return "met" if self.done_at is not None else "paused"
        if self.done_at is not None:
            return "met" if self.done_at <= self.due_at else "missed"
        return "running" if now <= self.due_at else "overdue"

    def as_dict(self, now: datetime) -> dict[str, object]:
        """The clock as the CLI's ``--json`` and the API show it, with its state at ``now``."""
        return {
            "name": self.name,
            "rule": self.rule,
            "started_at": self.started_at,
            "due_at": self.due_at,
            "done_at": self.done_at,
            "pausable": self.pausable,
            "state": self.state(now),
        }


def _merged(pauses: Sequence[Interval], start: datetime) -> list[Interval]:
    out: list[Interval] = []
    for begin, end in sorted(pauses, key=lambda p: p[0]):
        if end is not None and end <= start:
            continue
        if out:
            last_begin, last_end = out[-1]
            if last_end is None:
                break
            if begin <= last_end:
                out[-1] = (last_begin, None if end is None else max(last_end, end))
                continue
        out.append((begin, end))
    return out


def due(
    start: datetime,
    budget: timedelta,
    pauses: Sequence[Interval],
    calendar: Calendar | None,
) -> datetime | None:
    """When ``budget`` of clock time has run from ``start``; None while a pause holds it.

    With a calendar the clock runs only on working days (so N working days from a working day is
    the same local time N working days later, from a rest day the end of the N-th working day:
    the same as ``Calendar.add_working_days``); without, it runs round the clock. Pauses stop it.
    """
    t = start.astimezone(UTC)
    remaining = budget
    intervals = _merged(pauses, t)
    i = 0
    for _ in range(_STEP_LIMIT):
        while i < len(intervals) and (end := intervals[i][1]) is not None and end <= t:
            i += 1
        if i < len(intervals) and intervals[i][0] <= t:
            pause_end = intervals[i][1]
            if pause_end is None:
                return None
            t = pause_end
            continue
        seg_end: datetime | None = intervals[i][0] if i < len(intervals) else None
        if calendar is not None:
            local_day = t.astimezone(calendar.tz).date()
            midnight = datetime.combine(
                local_day + timedelta(days=1), time(0), tzinfo=calendar.tz
            ).astimezone(UTC)
            if not calendar.is_workday(local_day):
                t = midnight
                continue
            seg_end = midnight if seg_end is None else min(seg_end, midnight)
        if seg_end is None or t + remaining < seg_end:
            return t + remaining
        remaining -= seg_end - t
        t = seg_end
    raise CalendarError(
        f"no deadline within {_STEP_LIMIT} steps from {start.isoformat()}; check the calendar "
        "(a whole year marked as holiday?)"
    )


def _first(events: Sequence[ClockEvent], kind: ClockEventKind, after: datetime) -> datetime | None:
    times = [e.at for e in events if e.kind == kind.value and e.at >= after]
    return min(times) if times else None


def complaint_clocks(
    session: Session,
    complaint_id: int,
    *,
    calendar: Calendar | None = None,
    containment_completed_at: ContainmentDone | None = recorded_containment_done,
) -> list[Clock]:
    """Every clock of one complaint. ``containment_completed_at(session, complaint_id)`` supplies
    the containment-done time: by default the containment records (``results.containment``); a
    test may pass its own, and ``None`` leaves that clock running."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    cal = calendar or Calendar.load(session)
    events = events_of(session, complaint_id)
    pause_rows: list[ClockPause] = pauses_of(session, complaint_id)
    excluded: list[Interval] = [
        (p.started_at, p.ended_at) for p in pause_rows if p.sales_informed and p.customer_informed
    ]
    received = complaint.received_at
    ended = complaint.closed_at or complaint.cancelled_at
    hours = timedelta(hours=1)
    day = timedelta(days=1)
    clocks: list[Clock] = []

    def add(
        name: str,
        rule: str,
        start: datetime | None,
        budget: timedelta,
        done: datetime | None,
        *,
        working: bool,
        pausable: bool,
    ) -> None:
        deadline = None
        if start is not None:
            deadline = due(start, budget, excluded if pausable else (), cal if working else None)
        clocks.append(Clock(name, rule, start, deadline, done, pausable))

    add(
        "handling_report",
        "manual: handling report to QA within 4 h of receipt",
        received,
        HANDLING_REPORT_HOURS * hours,
        complaint.handling_reported_at,
        working=False,
        pausable=False,
    )
    feedback = _first(events, ClockEventKind.SALES_FEEDBACK_RECEIVED, received)
    reaction_start = feedback or complaint.handling_reported_at
    reacted = None
    if reaction_start is not None:
        reacted = _first(events, ClockEventKind.QA_REACTED, reaction_start)
    contained = None
    if containment_completed_at is not None:
        contained = containment_completed_at(session, complaint.id)
    add(
        "containment_check",
        "manual: QA checks finished stock, WIP and incoming material within 4 h of the handling"
        " report",
        complaint.handling_reported_at,
        CONTAINMENT_CHECK_HOURS * hours,
        containment_checked_at(session, complaint.id),
        working=False,
        pausable=False,
    )
    add(
        "qa_reaction",
        "procedure: QA reacts within 2 working days of receiving sales' feedback",
        reaction_start,
        QA_REACTION_WORKING_DAYS * day,
        reacted,
        working=True,
        pausable=True,
    )
    asked = None
    if reaction_start is not None:
        asked = _first(events, ClockEventKind.QA_ASKED_FOR_MORE_INFO, reaction_start)
    if asked is not None:  # the rule applies only when more was needed; no request, no clock
        add(
            "more_info_request",
            "procedure: if sales must ask the customer for more, QA tells sales within 2 working"
            " days",
            reaction_start,
            QA_REACTION_WORKING_DAYS * day,
            asked,
            working=True,
            pausable=True,
        )
    add(
        "containment",
        "procedure: containment within 24 h of receipt",
        received,
        CONTAINMENT_HOURS * hours,
        contained,
        working=False,
        pausable=True,
    )
    add(
        "whole_case",
        "procedure: the whole case within 1 week of receipt",
        received,
        WHOLE_CASE_HOURS * hours,
        ended,
        working=False,
        pausable=True,
    )
    infos = sorted(e.at for e in events if e.kind == ClockEventKind.NEW_CUSTOMER_INFO.value)
    for n, info_at in enumerate(infos, start=1):
        add(
            f"analysis_after_new_info_{n}",
            "procedure: analysis within 7 working days of new customer information",
            info_at,
            ANALYSIS_AFTER_NEW_INFO_WORKING_DAYS * day,
            _first(events, ClockEventKind.ANALYSIS_DONE, info_at),
            working=True,
            pausable=True,
        )
    add(
        "qa_decision",
        "manual: QA decision within 3 working days of the handling report",
        complaint.handling_reported_at,
        QA_DECISION_WORKING_DAYS * day,
        complaint.decided_at,
        working=True,
        pausable=False,
    )
    for name, days, done in (
        ("registered", LOGGED_WORKING_DAYS, complaint.registered_at),
        ("investigated", INVESTIGATED_WORKING_DAYS, complaint.decided_at),
        ("closed", CLOSED_WORKING_DAYS, ended),
        ("all_closed", ALL_CLOSED_WORKING_DAYS, ended),
    ):
        add(
            name,
            f"deck target: {name.replace('_', ' ')} within {days} working day(s) of receipt",
            received,
            days * day,
            done,
            working=True,
            pausable=False,
        )
    return clocks
