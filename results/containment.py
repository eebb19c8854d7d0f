"""Containment on every complaint: QA's check of stock, work in progress and incoming material,
and the emergency measures taken from the documented list, each open until released.

The maker's procedure (records-and-reports.md §0.2): within 4 h of the handling report QA checks
finished stock, work in progress and incoming material for the same fault; where found, outgoing
stock is frozen and production stopped until the departments concerned have dealt with it. The
measures allowed are the documents' list (``ActionKind``), nothing else. A complaint cannot close
while an action is open (``results.closure``).

``containment_completed_at`` and ``containment_actions`` are the read side other modules (clocks,
8D D3) call; they never write.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.containment_models import ContainmentAction, ContainmentCheck
from results.errors import ValidationError
from results.messages import CODE_SEPARATOR, Message, texts
from results.models import Complaint
from results.record_fields import (
    checked_actor,
    checked_count,
    checked_text,
    checked_time,
    open_complaint,
    row_values,
)


class Area(enum.StrEnum):
    """Where QA looks for the same fault."""

    FINISHED_STOCK = "finished_stock"
    WORK_IN_PROGRESS = "work_in_progress"
    INCOMING_MATERIAL = "incoming_material"


class ActionKind(enum.StrEnum):
    """The documents' emergency measures, and only those."""

    FREEZE_OUTGOING_STOCK = "freeze_outgoing_stock"
    STOP_PRODUCTION = "stop_production"
    RECALL = "recall"
    RETURN_AND_REINSPECT = "return_to_warehouse_and_reinspect"
    SEAL = "seal"
    CHANGE_INSTRUCTION = "change_process_or_inspection_instruction"
    SEND_ENGINEER = "send_engineer"
    CLEAR_LINE = "clear_line"


def _choice(field: str, value: object, enum: type[Area] | type[ActionKind]) -> str:
    try:
        return enum(str(value)).value
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationError(field, f"unknown value {value!r}", f"use one of: {allowed}") from None


def record_check(
    session: Session,
    complaint_id: int,
    *,
    area: Area | str,
    qty_checked: int,
    qty_bad: int,
    actor: str,
    note: str = "",
    at: datetime | None = None,
) -> ContainmentCheck:
    """QA's check of one area for the same fault, in the caller's transaction (audited)."""
    actor = checked_actor(actor)
    complaint = open_complaint(session, complaint_id)
    area_value = _choice("area", area, Area)
    checked = checked_count("qty_checked", qty_checked)
    bad = checked_count("qty_bad", qty_bad)
    if bad > checked:
        raise ValidationError(
            "qty_bad", f"{bad} is more than the {checked} checked", "give at most qty_checked"
        )
    row = ContainmentCheck(
        complaint_id=complaint.id,
        area=area_value,
        qty_checked=checked,
        qty_bad=bad,
        note=checked_text("note", note, required=False),
        checked_at=checked_time("at", at, complaint),
        checked_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="containment.checked",
        entity_type=ContainmentCheck.__tablename__,
        entity_id=row.id,
        after=row_values(row),
        reason=f"complaint {complaint.number}",
    )
    return row


def open_action(
    session: Session,
    complaint_id: int,
    *,
    kind: ActionKind | str,
    owner: str,
    qty_affected: int,
    actor: str,
    description: str = "",
    location: str = "",
    at: datetime | None = None,
) -> ContainmentAction:
    """An emergency measure taken (who owns it, when, how many units), open until released."""
    actor = checked_actor(actor)
    complaint = open_complaint(session, complaint_id)
    row = ContainmentAction(
        complaint_id=complaint.id,
        kind=_choice("kind", kind, ActionKind),
        description=checked_text("description", description, required=False),
        owner=checked_text("owner", owner, required=True, limit=100),
        taken_at=checked_time("at", at, complaint),
        qty_affected=checked_count("qty_affected", qty_affected),
        location=checked_text("location", location, required=False),
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="containment.action_opened",
        entity_type=ContainmentAction.__tablename__,
        entity_id=row.id,
        after=row_values(row),
        reason=f"complaint {complaint.number}",
    )
    return row


def release_action(
    session: Session,
    action_id: int,
    *,
    actor: str,
    note: str,
    qty_released: int | None = None,
    at: datetime | None = None,
) -> ContainmentAction:
    """Lift a measure once the departments concerned have dealt with it; the note says how."""
    actor = checked_actor(actor)
    if isinstance(action_id, bool) or not isinstance(action_id, int):
        raise ValidationError("action", f"{action_id!r} is not an action id", "give its number")
    row = session.get(ContainmentAction, action_id, with_for_update=True)
    if row is None:
        raise ValidationError(
            "action",
            f"containment action {action_id} was never opened",
            "release an action listed by 'packbench containment show <complaint>'",
        )
    if row.released_at is not None:
        raise ValidationError(
            "action",
            f"containment action {action_id} was already released by {row.released_by}",
            "nothing to release",
        )
    complaint = session.get(Complaint, row.complaint_id)
    assert complaint is not None  # foreign key
    text = checked_text("note", note, required=True)
    released = None if qty_released is None else checked_count("qty_released", qty_released)
    if released is not None and released > row.qty_affected:
        raise ValidationError(
            "qty_released",
            f"{released} is more than the {row.qty_affected} affected",
            "give at most qty_affected",
        )
    when = checked_time("at", at, complaint)
    if when < row.taken_at:
        raise ValidationError("at", "is before the action was taken", "give the release time")
    before = row_values(row)
    row.released_at = when
    row.released_by = actor
    row.release_note = text
    row.qty_released = released
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="containment.action_released",
        entity_type=ContainmentAction.__tablename__,
        entity_id=row.id,
        before=before,
        after=row_values(row),
        reason=text,
    )
    return row


@dataclass(frozen=True)
class CheckView:
    id: int
    area: str
    qty_checked: int
    qty_bad: int
    note: str
    checked_at: datetime
    checked_by: str


@dataclass(frozen=True)
class ActionView:
    """One containment action as the clocks, the 8D's D3 and the pages read it."""

    id: int
    kind: str
    description: str
    owner: str
    taken_at: datetime
    qty_affected: int
    location: str
    recorded_by: str
    released_at: datetime | None
    released_by: str | None
    release_note: str | None
    qty_released: int | None

    @property
    def is_open(self) -> bool:
        return self.released_at is None


def containment_checks(session: Session, complaint_id: int) -> list[CheckView]:
    rows = session.scalars(
        select(ContainmentCheck)
        .where(ContainmentCheck.complaint_id == complaint_id)
        .order_by(ContainmentCheck.checked_at, ContainmentCheck.id)
    )
    return [
        CheckView(r.id, r.area, r.qty_checked, r.qty_bad, r.note, r.checked_at, r.checked_by)
        for r in rows
    ]


def containment_actions(session: Session, complaint_id: int) -> list[ActionView]:
    """Every containment action of the complaint, oldest first (released ones included)."""
    rows = session.scalars(
        select(ContainmentAction)
        .where(ContainmentAction.complaint_id == complaint_id)
        .order_by(ContainmentAction.taken_at, ContainmentAction.id)
    )
    return [
        ActionView(
            r.id,
            r.kind,
            r.description,
            r.owner,
            r.taken_at,
            r.qty_affected,
            r.location,
            r.recorded_by,
            r.released_at,
            r.released_by,
            r.release_note,
            r.qty_released,
        )
        for r in rows
    ]


def missing_areas(checks: list[CheckView]) -> list[Area]:
    seen = {c.area for c in checks}
    return [a for a in Area if a.value not in seen]


def containment_checked_at(session: Session, complaint_id: int) -> datetime | None:
    """When all three areas had been checked (the last of their first checks), or ``None``:
    what the manual's 4 h rule after the handling report asks for."""
    checks = containment_checks(session, complaint_id)
    if missing_areas(checks):
        return None
    return max(min(c.checked_at for c in checks if c.area == a.value) for a in Area)


def containment_completed_at(session: Session, complaint_id: int) -> datetime | None:
    """When containment was in place, or ``None`` while it is not.

    In place means all three areas were checked; and where any check found bad units, at least
    one action was also taken (finding the fault and doing nothing is not containment). The time
    is the last of those first events. Releasing an action later does not move it: containment
    is the measure's start, its release is the end of the emergency.
    """
    checks = containment_checks(session, complaint_id)
    if missing_areas(checks):
        return None
    firsts = [min(c.checked_at for c in checks if c.area == a.value) for a in Area]
    if any(c.qty_bad > 0 for c in checks):
        actions = containment_actions(session, complaint_id)
        if not actions:
            return None
        firsts.append(min(a.taken_at for a in actions))
    return max(firsts)


def containment_blockers(session: Session, complaint_id: int) -> list[str]:
    """What containment still lacks before the complaint may close (for ``results.closure``)."""
    return texts(containment_blocker_messages(session, complaint_id))


def containment_blocker_messages(session: Session, complaint_id: int) -> list[Message]:
    """``containment_blockers`` with the key and values a page translates each one by."""
    missing: list[Message] = []
    checks = containment_checks(session, complaint_id)
    areas = missing_areas(checks)
    if areas:
        names = CODE_SEPARATOR.join(a.value for a in areas)
        missing.append(
            Message(
                "closure.containment_unchecked",
                f"containment check: {names} not checked",
                {"areas": names},
                {"areas": "area"},
            )
        )
    actions = containment_actions(session, complaint_id)
    if any(c.qty_bad > 0 for c in checks) and not actions:
        missing.append(
            Message(
                "closure.containment_no_action",
                "containment action: bad units were found but no action was taken",
            )
        )
    missing += [
        Message(
            "closure.containment_open",
            f"containment action {a.id} ({a.kind}, owner {a.owner}) is still open: release it",
            {"id": a.id, "kind": a.kind, "owner": a.owner},
            {"kind": "action_kind"},
        )
        for a in actions
        if a.is_open
    ]
    return missing
