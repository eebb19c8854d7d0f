"""The complaint class: one scale, the procedure's criteria, and the proposal from the facts.

The customer-complaint procedure classes complaints as severe / general / occasional; a training
deck says general / major / urgent (一般性 / 重大 / 紧急). The store keeps ONE scale, the
procedure's (``Severity``, stored in ``complaint.severity``), and maps the deck's words onto it,
so a complaint is never in two classes at once. The proposal is advice: QA sets the class, and
every setting is audited with its reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.complaints import SAFETY_SYMPTOMS
from results.errors import NotFound, ValidationError
from results.integrity import snapshot
from results.major.ledger import checked_actor, major_for
from results.messages import Message, texts
from results.models import Complaint, Severity, Symptom

REPEAT_WINDOW_DAYS = 90
"""Default look-back for "the same product or problem occurring repeatedly" [proposal: the
procedure gives no window; configurable per call]."""

COSMETIC_SYMPTOMS = frozenset({Symptom.APPEARANCE, Symptom.DIMENSIONS})


class DeckClass(enum.StrEnum):
    """The training deck's wording (一般性 / 重大 / 紧急)."""

    GENERAL = "general"
    MAJOR = "major"
    URGENT = "urgent"


DECK_TO_CLASS: dict[DeckClass, Severity] = {
    DeckClass.GENERAL: Severity.GENERAL,
    DeckClass.MAJOR: Severity.SEVERE,
    DeckClass.URGENT: Severity.SEVERE,
}
"""The deck's three words on the procedure's scale: major and urgent are both severe (urgent is a
severe complaint whose customer line stopped, or a safety symptom)."""

DECK_LABELS_ZH = {DeckClass.GENERAL: "一般性", DeckClass.MAJOR: "重大", DeckClass.URGENT: "紧急"}
CLASS_LABELS_ZH = {Severity.SEVERE: "严重", Severity.GENERAL: "一般", Severity.OCCASIONAL: "偶发"}


class ClassFacts(BaseModel):
    """What the registration form or QA knows about the complaint beyond its symptom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    formal_corrective_action_demand: bool = False
    customer_line_stopped: bool = False
    functional_defect_in_assembly: bool = False
    cosmetic: bool = False
    quantity_packing_labelling: bool = False


@dataclass(frozen=True)
class ClassProposal:
    complaint_class: Severity
    deck_class: DeckClass
    reasons: tuple[str, ...]
    repeats: tuple[str, ...]
    """Numbers of the earlier complaints with the same model and symptom inside the window."""
    reason_messages: tuple[Message, ...] = ()
    """``reasons`` with the key and values a reader's language says them by
    (``results.store_words``)."""


def parse_class(value: str | Severity | DeckClass) -> Severity:
    """Accept the procedure's words or the deck's; anything else is refused by name."""
    text = str(value).strip().lower()
    if text in Severity._value2member_map_:
        return Severity(text)
    if text in DeckClass._value2member_map_:
        return DECK_TO_CLASS[DeckClass(text)]
    raise ValidationError(
        "class",
        f"unknown class {value!r}",
        "use severe, general or occasional (or the deck's general, major, urgent)",
    )


def deck_class(complaint_class: Severity, *, urgent: bool = False) -> DeckClass:
    """The deck's word for a class; ``urgent`` marks a severe complaint that cannot wait."""
    if complaint_class is Severity.SEVERE:
        return DeckClass.URGENT if urgent else DeckClass.MAJOR
    return DeckClass.GENERAL


def repeats_of(
    session: Session, complaint: Complaint, *, window_days: int = REPEAT_WINDOW_DAYS
) -> list[str]:
    """Earlier complaints (not cancelled) with the same model and symptom within the window."""
    if window_days < 1:
        raise ValidationError("window_days", f"{window_days} is below 1", "give 1 or more days")
    since = complaint.received_at - timedelta(days=window_days)
    rows = session.scalars(
        select(Complaint.number)
        .where(
            Complaint.id != complaint.id,
            Complaint.product_model == complaint.product_model,
            Complaint.symptom == complaint.symptom,
            Complaint.received_at >= since,
            Complaint.received_at <= complaint.received_at,
            Complaint.cancelled_at.is_(None),
        )
        .order_by(Complaint.received_at)
    )
    return list(rows)


def propose_class(
    session: Session,
    complaint_id: int,
    facts: ClassFacts | None = None,
    *,
    window_days: int = REPEAT_WINDOW_DAYS,
) -> ClassProposal:
    """The class the procedure's criteria give for this complaint, with every reason found."""
    facts = facts or ClassFacts()
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    symptom = Symptom(complaint.symptom)
    repeats = repeats_of(session, complaint, window_days=window_days)
    severe: list[Message] = []
    if symptom in SAFETY_SYMPTOMS:
        severe.append(
            Message(
                "class_reason.safety_symptom",
                f"safety symptom {symptom.value}",
                {"symptom": symptom.value},
                {"symptom": "symptom"},
            )
        )
    if facts.formal_corrective_action_demand:
        severe.append(_reason("formal_demand"))
    if facts.customer_line_stopped:
        severe.append(_reason("line_stopped"))
    if facts.functional_defect_in_assembly:
        severe.append(_reason("assembly_defect"))
    if repeats:
        listed = ", ".join(repeats)
        severe.append(
            Message(
                "class_reason.repeated",
                f"same model and symptom repeated within {window_days} days: {listed}",
                {"days": window_days, "repeats": listed},
            )
        )
    if severe:
        urgent = facts.customer_line_stopped or symptom in SAFETY_SYMPTOMS
        deck = deck_class(Severity.SEVERE, urgent=urgent)
        return _proposal(Severity.SEVERE, deck, severe, repeats)
    if facts.quantity_packing_labelling:
        return _proposal(Severity.OCCASIONAL, DeckClass.GENERAL, [_reason("packing")], [])
    if facts.cosmetic or symptom in COSMETIC_SYMPTOMS:
        return _proposal(Severity.GENERAL, DeckClass.GENERAL, [_reason("cosmetic")], [])
    return _proposal(Severity.GENERAL, DeckClass.GENERAL, [_reason("none")], [])


_REASONS = {
    "formal_demand": "customer demands corrective actions in a formal document",
    "line_stopped": "customer's line stopped or seriously affected",
    "assembly_defect": "functional defect in assembly",
    "packing": "quantity, packing or labelling",
    "cosmetic": "cosmetic",
    "none": "no severe criterion met",
}
"""The reasons without values, in the store's English (``class_reason.*`` in the store's
catalogue says them in other languages)."""


def _reason(name: str) -> Message:
    return Message(f"class_reason.{name}", _REASONS[name])


def _proposal(
    cls: Severity, deck: DeckClass, reasons: list[Message], repeats: list[str]
) -> ClassProposal:
    return ClassProposal(cls, deck, tuple(texts(reasons)), tuple(repeats), tuple(reasons))


def set_class(
    session: Session,
    complaint_id: int,
    complaint_class: str | Severity | DeckClass,
    *,
    actor: str,
    reason: str,
) -> Complaint:
    """Set the class (audited). Validated before any write: a safety symptom or a major complaint
    stays severe, and a change needs a reason."""
    actor = checked_actor(actor)
    new = parse_class(complaint_class)
    if not reason.strip():
        raise ValidationError("reason", "is empty", "say why the complaint has this class")
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    if new is not Severity.SEVERE:
        if Symptom(complaint.symptom) in SAFETY_SYMPTOMS:
            raise ValidationError(
                "class",
                f"{complaint.number} has the safety symptom {complaint.symptom}",
                "keep it severe",
            )
        if major_for(session, complaint.id) is not None:
            raise ValidationError(
                "class", f"{complaint.number} is a major complaint", "keep it severe"
            )
    before = snapshot(complaint)
    complaint.severity = new.value
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="complaint.class",
        entity_type="complaint",
        entity_id=complaint.id,
        before=before,
        after=snapshot(complaint),
        reason=reason.strip(),
    )
    return complaint
