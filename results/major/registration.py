"""Deciding that a complaint is major and escalating it: the rule, the emergency group, the alert.

Escalation is the one moment that cannot wait for anyone to read a list, so registering a
complaint that the rule calls major escalates it in the same call.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy.orm import Session

from results import audit
from results.complaints import SAFETY_SYMPTOMS, ComplaintForm, register_complaint
from results.errors import NotFound, ValidationError
from results.integrity import snapshot
from results.major.ledger import audit_row, checked_actor, major_for, notify
from results.manual_models import (
    MajorComplaint,
)
from results.models import Complaint, Severity, Symptom
from results.notifications import Notification, NotificationChannel, recipients
from results.reports.labels import catalogue
from results.store_words import ENGLISH, store_messages


class MajorCategory(enum.StrEnum):
    SHORT_CIRCUIT_FIRE = "short_circuit_fire"
    EXPLOSION = "explosion"
    LEAKAGE = "leakage"
    KEY_CUSTOMER_SEVERE = "key_customer_severe"


ALERT_PREFIX = "major_alert."
"""The alert's words in the store's catalogue (``results/store_locale``)."""


def alert_languages() -> tuple[str, ...]:
    """The languages an alert can be written in: those of the store's catalogue."""
    folder = resources.files("results") / "store_locale"
    return tuple(
        sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
    )


def alert_tags() -> tuple[str, ...]:
    """Each language's subject tag (``[MAJOR COMPLAINT]``): what starts an alert's subject, so
    the stage clock knows an alert from another message of the record in any language."""
    return tuple(store_messages(language)[ALERT_PREFIX + "tag"] for language in alert_languages())


@dataclass(frozen=True)
class EmergencyGroup:
    """Who is alerted, and in which language; a configurable list (from the station or service
    settings). The group reads the alert, not the operator who registered the complaint, so the
    language is the group's own setting (default English), not a page's or a station's."""

    members: tuple[str, ...]
    language: str = ENGLISH

    @classmethod
    def of(cls, addresses: Sequence[str], language: str = ENGLISH) -> EmergencyGroup:
        members = recipients(addresses)
        if not members:
            raise ValidationError("emergency_group", "is empty", "configure at least one address")
        allowed = alert_languages()
        if language not in allowed:
            raise ValidationError(
                "emergency_group.language", f"{language} is not supported", f"use {allowed}"
            )
        return cls(members, language)


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


def alert_text(
    complaint: Complaint, category: MajorCategory, at: datetime, language: str = ENGLISH
) -> tuple[str, str]:
    """The alert's subject and body in ``language`` (``major_alert.*``). The subject keeps the
    complaint's number and the category's code in every language, so mail filters match them;
    the body names the category by its label (the report catalogue's), with the code."""
    words = store_messages(language)
    label = catalogue(language).enum("major_category", category.value)
    shown = words[ALERT_PREFIX + "category"].format(code=category.value, label=label)
    tag = words[ALERT_PREFIX + "tag"]
    subject = f"{tag} {complaint.number} {category.value} - {complaint.customer}"
    lines = [
        words[ALERT_PREFIX + "escalated"].format(number=complaint.number, at=at.isoformat()),
        words[ALERT_PREFIX + "customer"].format(category=shown, customer=complaint.customer),
        words[ALERT_PREFIX + "product"].format(
            model=complaint.product_model,
            defective=complaint.defect_qty,
            shipped=complaint.shipped_qty,
            stock=complaint.stock_on_hand_qty,
        ),
        words[ALERT_PREFIX + "demands"].format(demands=complaint.customer_demands or "-"),
        "",
        words[ALERT_PREFIX + "action"],
    ]
    return subject, "\n".join(lines)


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
    actor = checked_actor(actor)
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
    audit_row(session, actor, "major.escalated", major)
    subject, body = alert_text(complaint, category, now, group.language)
    notify(session, major, channel, Notification(group.members, subject, body), actor)
    return major


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
