"""The path a returned unit may take, as one table of allowed next statuses, and its guards.

Before QA's disposition the unit moves freely between received, on the bench, analysed and
dispositioned (the bench takes it, sets it back after an aborted run, QA re-opens an analysis);
that is how the store always behaved. After the disposition the maker's documents
(records-and-reports.md §0.2, "After analysis") allow: dismantle, rework, replace stock, scrap,
return to customer. Each path ends in a final status (``FINAL_UNIT_STATUSES``), from which nothing
moves. Reworked or replacement goods are verified "like a normal shipment" and ship with an
outgoing inspection report, so ``shipped`` needs a passed, valid ``outgoing_inspection`` run of
the unit (its latest valid one).

``results.complaints.set_unit_status`` is the one writer of a unit's status and calls
``check_move`` before it writes; this module only reads.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from procedures.records import Verdict
from results.errors import InvalidTransition, ValidationError
from results.models import (
    FINAL_UNIT_STATUSES,
    AuditEvent,
    ReturnedUnit,
    Run,
    RunInvalidation,
    RunStatus,
    UnitStatus,
)
from results.verdict_names import verdict_named

U = UnitStatus
OUTGOING_INSPECTION = "outgoing_inspection"
"""Procedure name of the run that clears reworked or replacement goods for shipping."""

ANALYSIS_STATUSES = frozenset({U.RECEIVED, U.ON_BENCH, U.ANALYSED, U.DISPOSITIONED})
"""Statuses before the path: free moves among them (with or without a reason)."""


def disposition_confirmed(status: str) -> bool:
    """Whether a unit in ``status`` carries QA's confirmed disposition: while ``dispositioned``
    and on every status of the path it leads to (a unit reaches those only from its
    disposition); back in the analysis (QA re-opened it), its disposition is not a decision."""
    unit_status = UnitStatus(status)
    return unit_status is U.DISPOSITIONED or unit_status not in ANALYSIS_STATUSES


NEXT: dict[UnitStatus, frozenset[UnitStatus]] = {
    U.RECEIVED: ANALYSIS_STATUSES,
    U.ANALYSED: ANALYSIS_STATUSES,
    # Back to reworked/replaced only when the bench sets the unit back after an outgoing
    # inspection run (``_came_from`` checks it was there before).
    U.ON_BENCH: ANALYSIS_STATUSES | {U.REWORKED, U.REPLACED},
    U.DISPOSITIONED: ANALYSIS_STATUSES
    | {U.DISMANTLED, U.REWORKED, U.REPLACED, U.SCRAPPED, U.RETURNED_TO_CUSTOMER, U.BACK_TO_STOCK},
    # Usable parts (cells, board) go back to stock; the rest is scrapped.
    U.DISMANTLED: frozenset({U.SCRAPPED, U.BACK_TO_STOCK}),
    # On the bench for the outgoing inspection, then shipped (guarded), or given up.
    U.REWORKED: frozenset({U.ON_BENCH, U.SHIPPED, U.SCRAPPED, U.BACK_TO_STOCK}),
    U.REPLACED: frozenset({U.ON_BENCH, U.SHIPPED}),
    **{final: frozenset() for final in FINAL_UNIT_STATUSES},
}

#: The documents' words for the moves after analysis, each with the status it leads to.
STEPS: dict[str, UnitStatus] = {
    "dismantle": U.DISMANTLED,
    "rework": U.REWORKED,
    "replace_stock": U.REPLACED,
    "scrap": U.SCRAPPED,
    "return_to_customer": U.RETURNED_TO_CUSTOMER,
    "back_to_stock": U.BACK_TO_STOCK,
    "ship": U.SHIPPED,
}

_ORDER = tuple(UnitStatus)


def allowed_next(status: UnitStatus | str) -> tuple[UnitStatus, ...]:
    """The statuses a unit in ``status`` may move to, in the enum's order."""
    allowed = NEXT[UnitStatus(status)]
    return tuple(s for s in _ORDER if s in allowed)


def status_of_step(step: str) -> UnitStatus:
    """The status a path step leads to, or ``ValidationError`` naming the known steps."""
    try:
        return STEPS[step]
    except KeyError:
        raise ValidationError(
            "step", f"unknown step {step!r}", f"use one of: {', '.join(STEPS)}"
        ) from None


def _entered_at(session: Session, unit_id: int, statuses: set[str]) -> datetime | None:
    """When the unit last entered one of ``statuses`` (from its audited status changes)."""
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.after_json)
        .where(
            AuditEvent.entity_type == "unit",
            AuditEvent.entity_id == str(unit_id),
            AuditEvent.action == "unit.status",
        )
        .order_by(AuditEvent.seq.desc())
    ).all()
    for at, after_json in rows:
        if json.loads(after_json or "{}").get("status") in statuses:
            return at
    return None


def passed_outgoing_inspection(session: Session, unit_id: int) -> Run | None:
    """The unit's latest valid finished outgoing inspection, if it passed; ``None`` when there is
    none or the latest one did not pass (a later failure counts over an earlier pass).

    No comparison with when the rework was entered: production often enters it after QA has
    already inspected the goods, and the run's clock is the bench's, not the service's.
    """
    invalid = select(RunInvalidation.run_id)
    latest = session.scalars(
        select(Run)
        .where(
            Run.unit_id == unit_id,
            Run.procedure == OUTGOING_INSPECTION,
            Run.status == RunStatus.FINISHED.value,
            Run.id.not_in(invalid),
        )
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).first()
    if latest is None or verdict_named(latest.verdict) is not Verdict.PASS:
        return None
    return latest


def check_move(session: Session, unit: ReturnedUnit, target: UnitStatus, *, reason: str) -> str:
    """Refuse an illegal move (``InvalidTransition`` naming the allowed ones); return the note the
    audit event should carry (the evidence of a guarded move, else empty)."""
    current = UnitStatus(unit.status)
    entity = f"unit {unit.serial}"
    allowed = [s.value for s in allowed_next(current)]
    if target not in NEXT[current]:
        raise InvalidTransition(entity, current.value, target.value, allowed)
    if target not in ANALYSIS_STATUSES and current is not U.ON_BENCH and not reason.strip():
        raise ValidationError(
            "reason", f"is empty for the move to {target.value}", "say why (kept in the audit log)"
        )
    back = current is U.ON_BENCH and target in (U.REWORKED, U.REPLACED)
    if back and _entered_at(session, unit.id, {target.value}) is None:
        raise InvalidTransition(
            entity, current.value, target.value, allowed, f"the unit was never {target.value}"
        )
    if target is U.SHIPPED:
        run = passed_outgoing_inspection(session, unit.id)
        if run is None:
            raise InvalidTransition(
                entity,
                current.value,
                target.value,
                allowed,
                f"its latest valid {OUTGOING_INSPECTION} run did not pass or there is none: "
                "run the outgoing inspection first",
            )
        return f"{OUTGOING_INSPECTION} run {run.id} passed"
    return ""
