"""Complaint status workflow with guarded transitions.

The statuses follow the maker's process (records-and-reports.md §0 and §1.4): registered, handling
report sent to QA, waiting for the returned units, analysis on the bench, QA decision, corrective
action (8D/CAPA) where the decision calls for one, closed; or cancelled. Each transition checks
what the next status needs (a decision needs its rationale, closing needs a closure note and
everything ``results.closure`` lists, cancelling and reopening need a reason), stamps its time,
and audits itself with before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from results import audit
from results.closure import closure_blockers
from results.complaint_status import ComplaintStatus
from results.complaints import CLOCK_SKEW
from results.errors import InvalidTransition, NotFound
from results.integrity import snapshot
from results.models import Complaint

S = ComplaintStatus
TRANSITIONS: dict[ComplaintStatus, tuple[ComplaintStatus, ...]] = {
    S.REGISTERED: (S.HANDLING_REPORTED, S.CANCELLED),
    S.HANDLING_REPORTED: (S.AWAITING_RETURN, S.UNDER_ANALYSIS, S.CANCELLED),
    S.AWAITING_RETURN: (S.UNDER_ANALYSIS, S.CANCELLED),
    S.UNDER_ANALYSIS: (S.DECIDED, S.CANCELLED),
    # Back to analysis when the decision is challenged: allowed, but only with a reason.
    S.DECIDED: (S.CAPA_IN_PROGRESS, S.CLOSED, S.UNDER_ANALYSIS),
    S.CAPA_IN_PROGRESS: (S.CLOSED,),
    S.CLOSED: (),
    S.CANCELLED: (),
}


def allowed_from(status: ComplaintStatus | str) -> tuple[ComplaintStatus, ...]:
    return TRANSITIONS[ComplaintStatus(status)]


def transition(
    session: Session,
    complaint_id: int,
    target: ComplaintStatus | str,
    *,
    actor: str,
    reason: str = "",
    decision: str | None = None,
    rationale: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Complaint:
    """Move a complaint to ``target`` in the caller's transaction, or raise ``InvalidTransition``.

    ``at`` is when it happened (a handling report e-mailed before it was entered here); it defaults
    to now and may not lie in the future or before the complaint was received.
    """
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    entity = f"complaint {complaint.number}"
    current = ComplaintStatus(complaint.status)
    allowed = [s.value for s in TRANSITIONS[current]]
    try:
        goal = ComplaintStatus(target)
    except ValueError:
        raise InvalidTransition(
            entity, current.value, str(target), allowed, "unknown status"
        ) from None
    if goal not in TRANSITIONS[current]:
        raise InvalidTransition(entity, current.value, goal.value, allowed)

    def guard(ok: bool, why: str) -> None:
        if not ok:
            raise InvalidTransition(entity, current.value, goal.value, allowed, why)

    now = datetime.now(UTC)
    when = at or now
    guard(when.tzinfo is not None, "'at' must be an aware datetime")
    guard(when <= now + CLOCK_SKEW, "'at' lies in the future")
    guard(when >= complaint.received_at, "'at' is before the complaint was received")
    guard(bool(actor and actor.strip()), "name the person making the change")

    before = snapshot(complaint)
    _fill_in(
        session,
        complaint,
        current,
        goal,
        guard,
        when=when,
        actor=actor,
        reason=reason,
        decision=decision,
        rationale=rationale,
        note=note,
    )
    complaint.status = goal.value
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"complaint.{goal.value}",
        entity_type="complaint",
        entity_id=complaint.id,
        before=before,
        after=snapshot(complaint),
        reason=reason,
    )
    return complaint


def _fill_in(
    session: Session,
    complaint: Complaint,
    current: ComplaintStatus,
    goal: ComplaintStatus,
    guard: Callable[[bool, str], None],
    *,
    when: datetime,
    actor: str,
    reason: str,
    decision: str | None,
    rationale: str | None,
    note: str | None,
) -> None:
    """The fields the state ``goal`` fills in (reopening a decision clears the decision's), each
    checked through ``guard`` first: apart from ``transition`` so that the rules of the path
    (which states follow which) and of the states (what each records) read separately."""
    if goal is S.HANDLING_REPORTED:
        complaint.handling_reported_at = when
    elif goal is S.UNDER_ANALYSIS:
        if current is S.DECIDED:
            guard(bool(reason.strip()), "reopening a decided complaint needs a reason")
            complaint.decided_at = None
            complaint.decided_by = None
            complaint.decision = None
            complaint.decision_rationale = None
        if complaint.analysis_started_at is None:
            complaint.analysis_started_at = when
    elif goal is S.DECIDED:
        guard(bool(decision and decision.strip()), "a QA decision needs the decision text")
        guard(bool(rationale and rationale.strip()), "a QA decision needs its rationale")
        complaint.decided_at = when
        complaint.decided_by = actor
        complaint.decision = decision
        complaint.decision_rationale = rationale
    elif goal is S.CLOSED:
        # Every missing piece at once, the note included: one refusal, one list to work through.
        blockers = closure_blockers(session, complaint.id)
        if not (note and note.strip()):
            blockers.insert(0, "closing needs a closure note (how it was resolved)")
        guard(not blockers, "; ".join(blockers))
        complaint.closed_at = when
        complaint.closure_note = note
    elif goal is S.CANCELLED:
        guard(bool(reason.strip()), "cancelling needs a reason")
        complaint.cancelled_at = when
        complaint.cancel_reason = reason
