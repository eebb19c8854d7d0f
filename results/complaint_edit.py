"""Correcting one field of a registered complaint, with a reason, until the complaint is closed.

The edited form goes through the same checks as a new one (``parse_form`` then ``validate_form``),
so an edit cannot store what registration would refuse. The audit event carries the snapshots
before and after (what ``verify`` compares with the row) and the reason; a closed or cancelled
complaint is a record of what was decided and is not edited any more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from results import audit
from results.calendar import Calendar, store_deadlines
from results.complaint_form import EDITABLE_FIELDS, parse_form
from results.complaint_status import ComplaintStatus
from results.complaints import ComplaintForm, get_complaint, validate_form
from results.errors import ValidationError
from results.integrity import snapshot
from results.models import Complaint

FROZEN_STATUSES = frozenset({ComplaintStatus.CLOSED.value, ComplaintStatus.CANCELLED.value})


def form_of(complaint: Complaint) -> dict[str, Any]:
    """The stored complaint as the fields of its form (quantities back as text with their unit)."""
    data: dict[str, Any] = {
        name: getattr(complaint, name)
        for name in EDITABLE_FIELDS | {"received_by"}
        if name not in ("usage_temperature", "time_in_use")
    }
    for name in ("customer_tests", "assembly_process"):
        data[name] = data[name] or ""
    if complaint.usage_temperature_c is not None:
        data["usage_temperature"] = f"{complaint.usage_temperature_c!r} degC"
    if complaint.time_in_use_days is not None:
        data["time_in_use"] = f"{complaint.time_in_use_days!r} day"
    return {key: value for key, value in data.items() if value is not None}


def edit_complaint(
    session: Session,
    number: str,
    field: str,
    value: object,
    *,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> Complaint:
    """Set ``field`` of complaint ``number`` to ``value`` (text as typed, or a typed value).

    ``value`` ``None`` or ``""`` clears an optional field. Raises ``ValidationError`` (nothing
    written) for an unknown field, a missing reason, a closed complaint or a value the form refuses.
    """
    now = now or datetime.now(UTC)
    if field not in EDITABLE_FIELDS:
        allowed = ", ".join(sorted(EDITABLE_FIELDS))
        raise ValidationError("field", f"{field!r} cannot be edited", f"use one of: {allowed}")
    if not reason.strip():
        raise ValidationError("reason", "is empty", "say why the field changes")
    complaint = get_complaint(session, number)
    session.refresh(complaint, with_for_update=True)
    if complaint.status in FROZEN_STATUSES:
        raise ValidationError(
            "status",
            f"complaint {number} is {complaint.status}",
            "a closed or cancelled complaint is not edited; note corrections in a new complaint",
        )
    data = form_of(complaint)
    if value is None or value == "":
        data.pop(field, None)
    else:
        data[field] = value
    values = validate_form(ComplaintForm(**parse_form(data).form_fields()), now=now)
    before = snapshot(complaint)
    for column, new in values.items():
        setattr(complaint, column, new)
    store_deadlines(complaint, Calendar.load(session))  # a new receipt time moves every deadline
    session.flush()
    after = snapshot(complaint)
    if after == before:
        raise ValidationError("value", f"{field} already has that value", "give a different value")
    audit.record(
        session,
        actor=actor,
        action="complaint.edited",
        entity_type="complaint",
        entity_id=complaint.id,
        before=before,
        after=after,
        reason=f"{field}: {reason.strip()}",
    )
    return complaint
