"""Major complaints: short circuit/fire, explosion, leakage, or a severe one from a key customer.

The manual's emergency path: raise the complaint to severe, alert the emergency group, freeze the
stock on hand and hold production (containment), hold the emergency meeting and record its
decisions, notify the supplier, and close only once the customer has accepted in writing. Its clock
runs in hours from the escalation, not in working days: a fire does not wait for Monday. The hour
limits are the plant's to set (``MajorRules``); the defaults are estimates [E], not the manual's.

The complaint keeps its ordinary workflow (``results.workflow``); ``guard_complaint_closure`` is the
one call that workflow makes before closing, so a major complaint cannot be closed around this path.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.attachments import JPEG, PDF, PNG, EvidenceStore, attach
from results.complaints import SAFETY_SYMPTOMS, ComplaintForm, register_complaint
from results.errors import InvalidTransition, NotFound, ValidationError
from results.integrity import snapshot
from results.manual_models import (
    ContainmentRecord,
    EmergencyMeeting,
    EmergencyNotification,
    MajorComplaint,
    SupplierNotification,
)
from results.models import Attachment, Complaint, Run, Severity, Symptom
from results.notifications import Notification, NotificationChannel, recipients

ACCEPTANCE_TYPES = (PDF, PNG, JPEG)
"""A signed letter, scanned or photographed: an e-mail body typed in here is not acceptance."""


class MajorCategory(enum.StrEnum):
    SHORT_CIRCUIT_FIRE = "short_circuit_fire"
    EXPLOSION = "explosion"
    LEAKAGE = "leakage"
    KEY_CUSTOMER_SEVERE = "key_customer_severe"


class Stage(enum.StrEnum):
    NOTIFIED = "emergency_group_notified"
    CONTAINED = "containment_opened"
    MEETING = "emergency_meeting_held"
    SUPPLIER = "supplier_notified"
    CLOSED = "closed_with_acceptance"


@dataclass(frozen=True)
class MajorRules:
    """Hours from escalation by which each stage must be done [E: plant policy, adjust here]."""

    hours: dict[Stage, float] = field(
        default_factory=lambda: {
            Stage.NOTIFIED: 1.0,
            Stage.CONTAINED: 4.0,
            Stage.MEETING: 24.0,
            Stage.SUPPLIER: 48.0,
            Stage.CLOSED: 240.0,
        }
    )


@dataclass(frozen=True)
class EmergencyGroup:
    """Who is alerted; a configurable list (from the station or service settings)."""

    members: tuple[str, ...]

    @classmethod
    def of(cls, addresses: Sequence[str]) -> EmergencyGroup:
        members = recipients(addresses)
        if not members:
            raise ValidationError("emergency_group", "is empty", "configure at least one address")
        return cls(members)


@dataclass(frozen=True)
class Decision:
    text: str
    owner: str
    due: datetime | None = None


@dataclass(frozen=True)
class Deadline:
    stage: Stage
    due_at: datetime
    done_at: datetime | None

    def overdue_hours(self, now: datetime) -> float:
        """How late: a stage done late stays late; an open one grows until it is done."""
        end = self.done_at or now
        return max(0.0, (end - self.due_at).total_seconds() / 3600.0)


def major_category(
    symptom: Symptom | str, severity: Severity | str, *, key_customer: bool
) -> MajorCategory | None:
    """The manual's rule: the safety symptoms always; anything severe from a key customer."""
    symptom = Symptom(symptom)
    if symptom in SAFETY_SYMPTOMS:
        return MajorCategory(symptom.value)
    if key_customer and Severity(severity) is Severity.SEVERE:
        return MajorCategory.KEY_CUSTOMER_SEVERE
    return None


def _row(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _audit(session: Session, actor: str, action: str, row: Any, reason: str = "") -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type=row.__tablename__,
        entity_id=row.id,
        after=_row(row),
        reason=reason,
    )


def _actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ValidationError("actor", "is empty", "name the person making the change")
    return actor.strip()


def get_major(session: Session, major_id: int) -> MajorComplaint:
    major = session.get(MajorComplaint, major_id)
    if major is None:
        raise NotFound("major complaint", major_id)
    return major


def major_for(session: Session, complaint_id: int) -> MajorComplaint | None:
    return session.scalars(
        select(MajorComplaint).where(MajorComplaint.complaint_id == complaint_id)
    ).one_or_none()


def _alert(complaint: Complaint, category: MajorCategory, at: datetime) -> tuple[str, str]:
    subject = f"[MAJOR COMPLAINT] {complaint.number} {category.value} - {complaint.customer}"
    body = "\n".join(
        [
            f"Major complaint {complaint.number} escalated at {at.isoformat()} (UTC).",
            f"Category: {category.value}; customer: {complaint.customer}",
            f"Product: {complaint.product_model}; defective {complaint.defect_qty} of "
            f"{complaint.shipped_qty} shipped; stock on hand: {complaint.stock_on_hand_qty}",
            f"Customer demands: {complaint.customer_demands or '-'}",
            "",
            "Freeze stock on hand and hold production now; the emergency meeting follows.",
        ]
    )
    return subject, body


def escalate(
    session: Session,
    complaint_id: int,
    *,
    group: EmergencyGroup,
    channel: NotificationChannel,
    actor: str,
    key_customer: bool = False,
    category: MajorCategory | str | None = None,
    now: datetime | None = None,
) -> MajorComplaint:
    """Raise to severe, open the major record, alert the group; in the caller's transaction.

    The alert is sent even if the transaction later rolls back (mail cannot be unsent): better a
    duplicate alert than a fire nobody heard about. A failed delivery is recorded, not raised.
    """
    actor = _actor(actor)
    now = now or datetime.now(UTC)
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    if major_for(session, complaint_id) is not None:
        raise ValidationError(
            "complaint", f"{complaint.number} is already a major complaint", "use its record"
        )
    if category is None:
        category = major_category(complaint.symptom, Severity.SEVERE, key_customer=key_customer)
        if category is None:
            raise ValidationError(
                "category",
                f"{complaint.number} ({complaint.symptom}) is not a major complaint by the rule",
                "pass key_customer=True for a key customer, or an explicit category",
            )
    category = MajorCategory(category)
    if complaint.severity != Severity.SEVERE.value:
        before = snapshot(complaint)
        complaint.severity = Severity.SEVERE.value
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="complaint.severity",
            entity_type="complaint",
            entity_id=complaint.id,
            before=before,
            after=snapshot(complaint),
            reason=f"major complaint ({category.value})",
        )
    major = MajorComplaint(
        complaint_id=complaint.id, category=category.value, escalated_at=now, escalated_by=actor
    )
    session.add(major)
    session.flush()
    _audit(session, actor, "major.escalated", major)
    subject, body = _alert(complaint, category, now)
    _notify(session, major, channel, Notification(group.members, subject, body), actor)
    return major


def _notify(
    session: Session,
    major: MajorComplaint,
    channel: NotificationChannel,
    message: Notification,
    actor: str,
) -> EmergencyNotification:
    delivery = channel.send(message)
    row = EmergencyNotification(
        major_id=major.id,
        channel=delivery.channel,
        recipients=list(message.recipients),
        subject=message.subject,
        body=message.body,
        sent_at=delivery.sent_at,
        delivered=delivery.delivered,
        error=delivery.error,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "major.notified", row)
    return row


def register_major_complaint(
    session: Session,
    form: ComplaintForm,
    *,
    actor: str,
    group: EmergencyGroup,
    channel: NotificationChannel,
    key_customer: bool = False,
    now: datetime | None = None,
) -> tuple[Complaint, MajorComplaint | None]:
    """Register a complaint and, when the rule says it is major, escalate it at once."""
    now = now or datetime.now(UTC)
    complaint = register_complaint(session, form, actor=actor, now=now)
    category = major_category(complaint.symptom, complaint.severity, key_customer=key_customer)
    if category is None:
        return complaint, None
    major = escalate(
        session, complaint.id, group=group, channel=channel, actor=actor, category=category, now=now
    )
    return complaint, major


def open_containment(
    session: Session,
    major_id: int,
    *,
    stock_frozen_qty: int,
    locations: str,
    production_hold: bool,
    actor: str,
    at: datetime | None = None,
) -> ContainmentRecord:
    """Stock on hand frozen (where, how many) and whether production is held."""
    actor = _actor(actor)
    major = get_major(session, major_id)
    if isinstance(stock_frozen_qty, bool) or not isinstance(stock_frozen_qty, int):
        raise ValidationError("stock_frozen_qty", f"{stock_frozen_qty!r}", "give a count")
    if stock_frozen_qty < 0:
        raise ValidationError("stock_frozen_qty", "is negative", "give 0 or more")
    if not locations.strip():
        raise ValidationError("locations", "is empty", "say where stock was frozen")
    if session.scalars(
        select(ContainmentRecord).where(ContainmentRecord.major_id == major.id)
    ).first():
        raise ValidationError("containment", "is already open", "amend it through a new 8D D3")
    row = ContainmentRecord(
        major_id=major.id,
        stock_frozen_qty=stock_frozen_qty,
        locations=locations.strip(),
        production_hold=production_hold,
        opened_at=at or datetime.now(UTC),
        opened_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "major.containment", row)
    return row


def record_meeting(
    session: Session,
    major_id: int,
    *,
    held_at: datetime,
    attendees: Sequence[str],
    decisions: Sequence[Decision],
    actor: str,
) -> EmergencyMeeting:
    actor = _actor(actor)
    major = get_major(session, major_id)
    people = [a.strip() for a in attendees if a.strip()]
    if not people:
        raise ValidationError("attendees", "is empty", "name who attended")
    if not decisions or any(not d.text.strip() or not d.owner.strip() for d in decisions):
        raise ValidationError(
            "decisions", "missing or without text/owner", "record each decision with an owner"
        )
    row = EmergencyMeeting(
        major_id=major.id,
        held_at=held_at,
        attendees=people,
        decisions=[
            {"text": d.text.strip(), "owner": d.owner.strip(), "due": d.due and d.due.isoformat()}
            for d in decisions
        ],
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "major.meeting", row)
    return row


def record_supplier_notification(
    session: Session,
    major_id: int,
    *,
    supplier: str,
    reference: str,
    content: str,
    actor: str,
    at: datetime | None = None,
    channel: NotificationChannel | None = None,
    address: str | None = None,
) -> SupplierNotification:
    """Note that the supplier was told (and tell them through ``channel`` when given)."""
    actor = _actor(actor)
    major = get_major(session, major_id)
    if not supplier.strip() or not content.strip():
        raise ValidationError("supplier", "name or content is empty", "name the supplier and what")
    if channel is not None:
        if not address:
            raise ValidationError("address", "is missing", "give the supplier's e-mail address")
        complaint = session.get(Complaint, major.complaint_id)
        number = complaint.number if complaint else str(major.complaint_id)
        _notify(
            session,
            major,
            channel,
            Notification((address,), f"[Quality notice] {number} {reference}", content),
            actor,
        )
    row = SupplierNotification(
        major_id=major.id,
        supplier=supplier.strip(),
        reference=reference.strip(),
        content=content.strip(),
        notified_at=at or datetime.now(UTC),
        notified_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "major.supplier_notified", row)
    return row


def attach_acceptance(
    session: Session,
    store: EvidenceStore,
    major_id: int,
    data: bytes,
    *,
    name: str,
    actor: str,
) -> Attachment:
    """The customer's written acceptance, kept content-addressed and linked to the complaint."""
    actor = _actor(actor)
    major = get_major(session, major_id)
    if major.closed_at is not None:
        raise ValidationError("acceptance", "the major complaint is closed", "nothing to attach")
    media = store.validate(data, name=name).media_type
    if media not in ACCEPTANCE_TYPES:
        raise ValidationError(
            "acceptance",
            f"{name} is {media}",
            "attach the signed letter as PDF or a scan/photo (PNG, JPEG)",
        )
    row = attach(
        session,
        store,
        data,
        name=name,
        actor=actor,
        complaint_id=major.complaint_id,
        reason="customer's written acceptance of a major complaint",
    )
    major.acceptance_attachment_id = row.id
    session.flush()
    _audit(session, actor, "major.acceptance", major)
    return row


def link_acceptance(
    session: Session,
    store: EvidenceStore,
    major_id: int,
    attachment: int | str,
    *,
    actor: str,
) -> Attachment:
    """Point the major record at a letter already stored with its complaint.

    ``attachment`` is the row id or the content hash. The letter usually arrives through the
    ordinary upload path (size limit, content typing, hash), so this refers to that row instead
    of storing the bytes a second time as ``attach_acceptance`` (bytes in) would. A file of one
    of the complaint's runs counts too: a photo of the signed letter taken at the bench.
    """
    actor = _actor(actor)
    major = get_major(session, major_id)
    if major.closed_at is not None:
        raise InvalidTransition(
            f"major complaint {major.id}", "closed", "closed", (), "closed: nothing to attach"
        )
    query = select(Attachment).outerjoin(Run, Run.id == Attachment.run_id)
    query = query.where(
        (Attachment.complaint_id == major.complaint_id) | (Run.complaint_id == major.complaint_id)
    )
    if isinstance(attachment, int) and not isinstance(attachment, bool):
        query = query.where(Attachment.id == attachment)
    elif isinstance(attachment, str) and attachment.strip():
        query = query.where(Attachment.sha256 == attachment.strip().lower())
    else:
        raise ValidationError(
            "acceptance", f"{attachment!r} is neither an id nor a hash", "give the file's SHA-256"
        )
    row = session.scalars(query.order_by(Attachment.id)).first()
    if row is None:
        complaint = session.get(Complaint, major.complaint_id)
        number = complaint.number if complaint else str(major.complaint_id)
        raise NotFound(f"attachment of complaint {number}", str(attachment))
    if row.media_type not in ACCEPTANCE_TYPES:
        raise ValidationError(
            "acceptance",
            f"{row.original_name} is {row.media_type}",
            "upload the signed letter as PDF or a scan/photo (PNG, JPEG), then link that file",
        )
    problem = store.check(row.sha256)
    if problem is not None:
        raise ValidationError("acceptance", f"{row.original_name}: {problem}", "upload it again")
    before = _row(major)
    major.acceptance_attachment_id = row.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="major.acceptance",
        entity_type=MajorComplaint.__tablename__,
        entity_id=major.id,
        before=before,
        after=_row(major),
        reason=f"customer's written acceptance: {row.original_name}",
    )
    return row


SUPPLIER_WORDS = ("supplier", "vendor", "供应商", "供方")
"""Words that put a supplier in the emergency path. The records hold no supplier field (a
decision is free text), so a decision or containment that names a supplier action is how the
plant says one is involved; then the manual's "records ... the supplier notification" holds."""


def supplier_involved(session: Session, major: MajorComplaint) -> str | None:
    """The first meeting decision or containment text naming a supplier, else ``None``."""
    texts: list[str] = []
    for meeting in session.scalars(
        select(EmergencyMeeting).where(EmergencyMeeting.major_id == major.id)
    ):
        texts += [f"{d.get('text', '')} ({d.get('owner', '')})" for d in meeting.decisions]
    texts += session.scalars(
        select(ContainmentRecord.locations).where(ContainmentRecord.major_id == major.id)
    ).all()
    for text in texts:
        if any(word in text.casefold() for word in SUPPLIER_WORDS):
            return text
    return None


def closure_blockers(
    session: Session, major: MajorComplaint, store: EvidenceStore | None = None
) -> list[str]:
    """What is still missing before the major complaint may close (empty: it may).

    The supplier notification is required only when a supplier is involved (see
    ``supplier_involved``): a leak caused by the customer's charger has no supplier to tell, and
    demanding one would push QA into recording a notification that never happened.
    """
    missing: list[str] = []
    if not session.scalars(
        select(ContainmentRecord.id).where(ContainmentRecord.major_id == major.id)
    ).first():
        missing.append("no containment record (stock frozen, production hold)")
    if not session.scalars(
        select(EmergencyMeeting.id).where(EmergencyMeeting.major_id == major.id)
    ).first():
        missing.append("no emergency meeting decisions recorded")
    involving = supplier_involved(session, major)
    if (
        involving is not None
        and not session.scalars(
            select(SupplierNotification.id).where(SupplierNotification.major_id == major.id)
        ).first()
    ):
        missing.append(
            f"the supplier notification is not recorded, though {involving!r} names a supplier"
        )
    if major.acceptance_attachment_id is None:
        missing.append("the customer's written acceptance is not attached")
    elif store is not None:
        accepted = session.get(Attachment, major.acceptance_attachment_id)
        problem = store.check(accepted.sha256) if accepted else "row missing"
        if problem is not None:
            missing.append(f"the acceptance document is not intact: {problem}")
    return missing


def close_major(
    session: Session,
    major_id: int,
    *,
    actor: str,
    store: EvidenceStore,
    at: datetime | None = None,
) -> MajorComplaint:
    actor = _actor(actor)
    major = get_major(session, major_id)
    entity = f"major complaint {major_id}"
    if major.closed_at is not None:
        raise InvalidTransition(entity, "closed", "closed", (), "already closed")
    blockers = closure_blockers(session, major, store)
    if blockers:
        raise InvalidTransition(
            entity, "open", "closed", ("closed",), "; ".join(blockers) + "; complete them first"
        )
    major.closed_at = at or datetime.now(UTC)
    major.closed_by = actor
    session.flush()
    _audit(session, actor, "major.closed", major)
    return major


def guard_complaint_closure(session: Session, complaint_id: int) -> None:
    """For ``results.workflow.transition`` before CLOSED: a major complaint closes via this path.

    Call site (one line, in the CLOSED branch): ``major.guard_complaint_closure(session, id)``.
    """
    major = major_for(session, complaint_id)
    if major is None or major.closed_at is not None:
        return
    complaint = session.get(Complaint, complaint_id)
    status = complaint.status if complaint else "?"
    number = complaint.number if complaint else str(complaint_id)
    blockers = closure_blockers(session, major) or ["the major record is not closed"]
    raise InvalidTransition(
        f"complaint {number}",
        status,
        "closed",
        (),
        "major complaint: " + "; ".join(blockers) + "; close it with results.major.close_major",
    )


def deadlines(
    session: Session, major: MajorComplaint, rules: MajorRules | None = None
) -> list[Deadline]:
    rules = rules or MajorRules()

    def first(column: Any, model: Any) -> datetime | None:
        value: datetime | None = session.scalars(
            select(column).where(model.major_id == major.id).order_by(column)
        ).first()
        return value

    notified = session.scalars(
        select(EmergencyNotification.sent_at)
        .where(
            EmergencyNotification.major_id == major.id,
            EmergencyNotification.delivered.is_(True),
            EmergencyNotification.subject.startswith("[MAJOR COMPLAINT]"),
        )
        .order_by(EmergencyNotification.sent_at)
    ).first()
    done: dict[Stage, datetime | None] = {
        Stage.NOTIFIED: notified,
        Stage.CONTAINED: first(ContainmentRecord.opened_at, ContainmentRecord),
        Stage.MEETING: first(EmergencyMeeting.held_at, EmergencyMeeting),
        Stage.SUPPLIER: first(SupplierNotification.notified_at, SupplierNotification),
        Stage.CLOSED: major.closed_at,
    }
    return [
        Deadline(stage, major.escalated_at + timedelta(hours=rules.hours[stage]), done[stage])
        for stage in Stage
    ]


@dataclass(frozen=True)
class OverdueStage:
    complaint_number: str
    stage: Stage
    due_at: datetime
    hours_late: float


def overdue(session: Session, now: datetime, rules: MajorRules | None = None) -> list[OverdueStage]:
    """Open stages past their hour limit across all open major complaints, most late first."""
    late: list[OverdueStage] = []
    for major in session.scalars(select(MajorComplaint).where(MajorComplaint.closed_at.is_(None))):
        complaint = session.get(Complaint, major.complaint_id)
        number = complaint.number if complaint else str(major.complaint_id)
        for d in deadlines(session, major, rules):
            if d.done_at is None and now > d.due_at:
                late.append(OverdueStage(number, d.stage, d.due_at, d.overdue_hours(now)))
    return sorted(late, key=lambda o: -o.hours_late)
