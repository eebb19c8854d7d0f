"""Attach an uploaded file to a complaint, a returned unit or a run (shared by API and pages).

The attachment table links evidence to a complaint or a run; a unit has no column of its own, so
a unit's evidence is linked to the unit's complaint and the audit reason names the unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from results.attachments import EvidenceStore, attach
from results.complaints import get_complaint
from results.errors import NotFound, ValidationError
from results.models import Attachment, ReturnedUnit, Run
from service.uploads import Upload


@dataclass(frozen=True)
class Owner:
    kind: str
    """``complaint``, ``unit`` or ``run``."""
    key: str


def attach_upload(
    session: Session, store: EvidenceStore, owner: Owner, upload: Upload, *, actor: str
) -> Attachment:
    reason = upload.fields.get("reason", "")[:2000]
    complaint_id: int | None = None
    run_id: int | None = None
    if owner.kind == "complaint":
        complaint_id = get_complaint(session, owner.key).id
    elif owner.kind == "run":
        run = session.get(Run, int(owner.key))
        if run is None:
            raise NotFound("run", owner.key)
        run_id = run.id
    else:
        unit = session.get(ReturnedUnit, int(owner.key))
        if unit is None:
            raise NotFound("returned unit", owner.key)
        if unit.complaint_id is None:
            raise ValidationError(
                "unit", f"unit {unit.serial} belongs to no complaint", "attach to its run instead"
            )
        complaint_id = unit.complaint_id
        reason = f"unit {unit.serial} (id {unit.id})" + (f": {reason}" if reason else "")
    return attach(
        session,
        store,
        bytes(upload.data),
        name=upload.filename,
        actor=actor,
        declared_media_type=upload.declared_type,
        complaint_id=complaint_id,
        run_id=run_id,
        reason=reason,
    )
