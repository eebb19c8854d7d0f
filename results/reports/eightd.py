"""The 8D of a complaint validated against the evidence it cites (stored, versioned and
signed by ``results.eightd_versions``, the one way an 8D is written).

D4 causes and D5-D7 verification cite runs, measurements and attachments by id (and attachment
hash): copying numbers into prose would lose the link to the proof. A citation of something that
does not belong to the complaint is refused when saved, not discovered when a customer reads it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.errors import ValidationError
from results.models import Attachment, Measurement, Run, Step
from results.reports.model import (
    ActionItem,
    EightD,
    EvidenceRef,
    RootCause,
)

CAUSE_KINDS = ("occurrence", "escape")
CAUSE_STATUSES = ("verified", "hypothesis")
ACTION_PHASES = ("d5", "d6", "d7")
TEAM_ROLES = ("champion", "leader", "member", "customer_contact")


def _check_ref(session: Session, complaint_id: int, ref: EvidenceRef, where: str) -> EvidenceRef:
    if ref.kind in ("run", "measurement"):
        run_text, _, rest = ref.ref.partition("/")
        run = session.get(Run, int(run_text)) if run_text.isdigit() else None
        if run is None or run.complaint_id != complaint_id:
            raise ValidationError(
                where, f"run {run_text!r} is not a run of this complaint", "cite one of its runs"
            )
        if ref.kind == "measurement":
            step_name, _, name = rest.partition("/")
            found = session.scalars(
                select(Measurement.id)
                .join(Step, Step.id == Measurement.step_id)
                .where(Step.run_id == run.id, Step.name == step_name, Measurement.name == name)
            ).first()
            if found is None:
                raise ValidationError(
                    where,
                    f"run {run.id} has no measurement {rest!r}",
                    "cite it as <run id>/<step name>/<measurement name>",
                )
        return ref
    if ref.kind == "attachment":
        attachment = session.get(Attachment, int(ref.ref)) if ref.ref.isdigit() else None
        if attachment is None:
            raise ValidationError(
                where, f"attachment {ref.ref!r} does not exist", "upload it first"
            )
        owner = attachment.complaint_id
        if owner is None and attachment.run_id is not None:
            run_of = session.get(Run, attachment.run_id)
            owner = None if run_of is None else run_of.complaint_id
        if owner != complaint_id:
            raise ValidationError(
                where,
                f"attachment {ref.ref} is not an attachment of this complaint",
                "cite a file attached to this complaint or to one of its runs",
            )
        if ref.sha256 and ref.sha256 != attachment.sha256:
            raise ValidationError(
                where,
                f"attachment {ref.ref} has sha256 {attachment.sha256}, not {ref.sha256}",
                "cite the stored file (leave sha256 empty to take the stored hash)",
            )
        return EvidenceRef("attachment", ref.ref, attachment.sha256)
    raise ValidationError(
        where, f"unknown evidence kind {ref.kind!r}", "use run/measurement/attachment"
    )


def _validate(session: Session, complaint_id: int, record: EightD) -> EightD:
    for number, member in enumerate(record.team):
        if not member.name.strip() or member.role not in TEAM_ROLES:
            raise ValidationError(
                f"team[{number}]", "needs a name and a role", f"roles: {', '.join(TEAM_ROLES)}"
            )
    for number, item in enumerate(record.containment):
        if item.qty_ng > item.qty_checked or item.qty_checked < 0 or item.qty_ng < 0:
            raise ValidationError(
                f"containment[{number}]",
                f"{item.qty_ng} NG of {item.qty_checked} checked",
                "quantities are counts, NG at most the number checked",
            )
    causes: list[RootCause] = []
    for number, cause in enumerate(record.causes):
        where = f"causes[{number}]"
        if cause.kind not in CAUSE_KINDS or cause.status not in CAUSE_STATUSES:
            raise ValidationError(
                where,
                f"kind {cause.kind!r}, status {cause.status!r}",
                f"kind in {CAUSE_KINDS}, status in {CAUSE_STATUSES}",
            )
        if cause.status == "verified" and not cause.evidence:
            raise ValidationError(
                where,
                "a verified cause cites no evidence",
                "cite the runs/measurements that prove it",
            )
        refs = tuple(_check_ref(session, complaint_id, r, where) for r in cause.evidence)
        causes.append(
            RootCause(
                cause.kind, cause.description, cause.status, cause.method, cause.category, refs
            )
        )
    actions: list[ActionItem] = []
    for number, action in enumerate(record.actions):
        where = f"actions[{number}]"
        if action.phase not in ACTION_PHASES or not action.owner.strip():
            raise ValidationError(
                where, "needs a phase and an owner", f"phase in {ACTION_PHASES}, owner named"
            )
        refs = tuple(_check_ref(session, complaint_id, r, where) for r in action.evidence)
        actions.append(
            ActionItem(
                action.phase,
                action.description,
                action.owner,
                action.due,
                action.done,
                action.verification,
                refs,
            )
        )
    closure = record.closure
    if closure.closed_at is not None and not (closure.criteria.strip() and closure.closed_by):
        raise ValidationError(
            "closure",
            "closed without criteria or closer",
            "state the closure criteria and who closed",
        )
    return EightD(
        record.team, record.problem, record.containment, tuple(causes), tuple(actions), closure
    )


def validate_eightd(session: Session, complaint_id: int, record: EightD) -> EightD:
    """The record with its evidence checked against the complaint (attachment hashes filled in);
    ``ValidationError`` naming the D-section when anything is off. Reads only."""
    return _validate(session, complaint_id, record)
