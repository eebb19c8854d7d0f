"""Claims on a complaint: amount in RMB with its basis, the settlement way, and the two sign-offs
the documents demand above RMB 25,000.

From the complaint-system deck (records-and-reports.md §0.2): every claim document carries the
complaint number from the record system; claims over RMB 25,000 need a written case description
approved by the regional sales manager and confirmed by the sales general manager; the ways to
settle are the five of ``SettlementWay``. The two sign-offs must come from two different users
holding those roles (``results.accounts.user_with_role``): one person signing both would make the
second signature meaningless.

States: open -> (approved -> confirmed ->) settled, or rejected from any state before settled.
At or below the threshold a claim may be settled straight from open.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.accounts import Role, user_with_role
from results.containment_models import CENT, Claim
from results.errors import InvalidTransition, NotFound, ValidationError
from results.models import Complaint
from results.record_fields import checked_actor, checked_text, open_complaint, row_values

APPROVAL_THRESHOLD_RMB = Decimal("25000.00")
"""Claims strictly above this need the case description, both sign-offs, before settling."""
MAX_AMOUNT_RMB = Decimal("999999999999.99")


class SettlementWay(enum.StrEnum):
    """The deck's five ways to settle a claim."""

    TAKE_BACK_CREDIT_THEN_REPLACE = "take_back_credit_then_replace"
    REPLACE_THEN_CREDIT_ON_RETURN = "replace_then_credit_on_return"
    CREDIT_TO_ZERO = "credit_to_zero"
    FREE_GOODS_ZERO_PRICE = "free_goods_zero_price"
    LABOUR_PAID_IN_GOODS = "labour_paid_in_goods"


class ClaimStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    CONFIRMED = "confirmed"
    SETTLED = "settled"
    REJECTED = "rejected"


FINAL_CLAIM_STATUSES = frozenset({ClaimStatus.SETTLED, ClaimStatus.REJECTED})


def checked_amount(value: object) -> Decimal:
    """An exact RMB amount above zero with at most two decimals (floats refused: 0.1 is not)."""
    if isinstance(value, (bool, float)):
        raise ValidationError("amount_rmb", f"{value!r} is not exact", "give it as text: '1234.50'")
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, (str, int, Decimal)) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError("amount_rmb", f"{value!r} is not an amount", "write it like 1234.50")
    if amount <= 0 or amount > MAX_AMOUNT_RMB:
        raise ValidationError("amount_rmb", f"{amount} is out of range", "give 0.01 or more")
    if amount != amount.quantize(CENT):
        raise ValidationError("amount_rmb", f"{amount} has more than two decimals", "round to fen")
    return amount.quantize(CENT)


def needs_sign_offs(amount: Decimal) -> bool:
    return amount > APPROVAL_THRESHOLD_RMB


def _way(value: object) -> str:
    try:
        return SettlementWay(str(value)).value
    except ValueError:
        allowed = ", ".join(w.value for w in SettlementWay)
        raise ValidationError(
            "settlement_way", f"unknown value {value!r}", f"use one of: {allowed}"
        ) from None


def complaint_by_number(session: Session, complaint_number: str) -> Complaint:
    """The claim's complaint, found by the number the claim document quotes."""
    number = (complaint_number or "").strip()
    if not number:
        raise ValidationError(
            "complaint_number", "is missing", "every claim carries its complaint's number"
        )
    complaint = session.scalars(select(Complaint).where(Complaint.number == number)).one_or_none()
    if complaint is None:
        raise ValidationError(
            "complaint_number", f"{number!r} is not a registered complaint", "register it first"
        )
    return complaint


def _audit(session: Session, actor: str, action: str, row: Claim, before: object = None) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type=Claim.__tablename__,
        entity_id=row.id,
        before=before if isinstance(before, dict) else None,
        after=row_values(row),
        reason=f"complaint {row.complaint_number}",
    )


def open_claim(
    session: Session,
    complaint_number: str,
    *,
    amount_rmb: Decimal | str | int,
    basis: str,
    settlement_way: SettlementWay | str,
    actor: str,
    case_description: str = "",
    at: datetime | None = None,
) -> Claim:
    """A new claim in state open. Above the threshold the case description is required now: the
    sign-offs approve that text, so it must exist before anyone can sign."""
    actor = checked_actor(actor)
    complaint = complaint_by_number(session, complaint_number)
    open_complaint(session, complaint.id)
    amount = checked_amount(amount_rmb)
    way = _way(settlement_way)
    basis_text = checked_text("basis", basis, required=True)
    description = checked_text("case_description", case_description, required=False, limit=20000)
    if needs_sign_offs(amount) and not description:
        raise ValidationError(
            "case_description",
            f"is missing for a claim of RMB {amount} (above {APPROVAL_THRESHOLD_RMB})",
            "write the case description the sales managers will approve",
        )
    row = Claim(
        complaint_id=complaint.id,
        complaint_number=complaint.number,
        amount_rmb=amount,
        basis=basis_text,
        settlement_way=way,
        case_description=description,
        status=ClaimStatus.OPEN.value,
        opened_at=at or datetime.now(UTC),
        opened_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "claim.opened", row)
    return row


def get_claim(session: Session, claim_id: int) -> Claim:
    row = session.get(Claim, claim_id, with_for_update=True)
    if row is None:
        raise NotFound("claim", claim_id)
    return row


def _refuse(row: Claim, target: ClaimStatus, why: str) -> InvalidTransition:
    allowed = [s.value for s in _NEXT[ClaimStatus(row.status)]]
    return InvalidTransition(
        f"claim {row.id} of complaint {row.complaint_number}",
        row.status,
        target.value,
        allowed,
        why,
    )


_NEXT: dict[ClaimStatus, tuple[ClaimStatus, ...]] = {
    ClaimStatus.OPEN: (ClaimStatus.APPROVED, ClaimStatus.SETTLED, ClaimStatus.REJECTED),
    ClaimStatus.APPROVED: (ClaimStatus.CONFIRMED, ClaimStatus.REJECTED),
    ClaimStatus.CONFIRMED: (ClaimStatus.SETTLED, ClaimStatus.REJECTED),
    ClaimStatus.SETTLED: (),
    ClaimStatus.REJECTED: (),
}


def _move(row: Claim, target: ClaimStatus) -> None:
    if target not in _NEXT[ClaimStatus(row.status)]:
        raise _refuse(row, target, "")


def approve_claim(session: Session, claim_id: int, *, actor: str) -> Claim:
    """The regional sales manager approves the written case description."""
    row = get_claim(session, claim_id)
    _move(row, ClaimStatus.APPROVED)
    user = user_with_role(session, actor, Role.REGIONAL_SALES_MANAGER, field="approved_by")
    if not row.case_description.strip():
        raise _refuse(row, ClaimStatus.APPROVED, "the written case description is missing")
    before = row_values(row)
    row.status = ClaimStatus.APPROVED.value
    row.approved_by = user.name
    row.approved_at = datetime.now(UTC)
    session.flush()
    _audit(session, user.name, "claim.approved", row, before)
    return row


def confirm_claim(session: Session, claim_id: int, *, actor: str) -> Claim:
    """The sales general manager confirms; never the same user who approved."""
    row = get_claim(session, claim_id)
    _move(row, ClaimStatus.CONFIRMED)
    if actor.strip() == row.approved_by:
        # Checked before the role: the approver trying the second sign-off is refused for
        # that, whatever role the store gives them today (roles are one per user and may change).
        # A ValidationError on confirmed_by like the role check's: the same field is wrong.
        raise ValidationError(
            "confirmed_by",
            f"{row.approved_by} approved claim {row.id} of complaint {row.complaint_number}",
            "the confirmation must come from a different user with role "
            f"{Role.SALES_GENERAL_MANAGER.value!r}",
        )
    user = user_with_role(session, actor, Role.SALES_GENERAL_MANAGER, field="confirmed_by")
    before = row_values(row)
    row.status = ClaimStatus.CONFIRMED.value
    row.confirmed_by = user.name
    row.confirmed_at = datetime.now(UTC)
    session.flush()
    _audit(session, user.name, "claim.confirmed", row, before)
    return row


SETTLE_REQUIREMENTS = {
    "case_description": "the written case description",
    "sales_approval": "the regional sales manager's approval",
    "general_manager_confirmation": "the sales general manager's confirmation",
}
"""What a claim above the threshold needs before settling, by code (pages translate the code,
``settle_blockers`` and the CLI say the English text)."""


def settle_blocker_codes(row: Claim) -> list[str]:
    """Codes of ``SETTLE_REQUIREMENTS`` the claim still lacks (empty: it may be settled)."""
    if not needs_sign_offs(row.amount_rmb):
        return []
    lacking = {
        "case_description": not row.case_description.strip(),
        "sales_approval": row.approved_by is None,
        "general_manager_confirmation": row.confirmed_by is None,
    }
    return [code for code in SETTLE_REQUIREMENTS if lacking[code]]


def settle_blockers(row: Claim) -> list[str]:
    """What the claim lacks before it may be settled (empty: it may)."""
    return [SETTLE_REQUIREMENTS[code] for code in settle_blocker_codes(row)]


def requirement_code(text: str) -> str:
    """The code of a ``missing_for_settlement`` text (a page translates by it)."""
    return next(code for code, said in SETTLE_REQUIREMENTS.items() if said == text)


def settle_claim(session: Session, claim_id: int, *, actor: str, reference: str) -> Claim:
    """Record the settlement (credit note, free-goods delivery...); ``reference`` names it."""
    actor = checked_actor(actor)
    row = get_claim(session, claim_id)
    missing = settle_blockers(row)
    if missing and row.status in (ClaimStatus.OPEN.value, ClaimStatus.APPROVED.value):
        raise _refuse(
            row,
            ClaimStatus.SETTLED,
            f"RMB {row.amount_rmb} is above {APPROVAL_THRESHOLD_RMB}; missing: "
            + ", ".join(missing),
        )
    _move(row, ClaimStatus.SETTLED)
    text = checked_text("reference", reference, required=True, limit=2000)
    before = row_values(row)
    row.status = ClaimStatus.SETTLED.value
    row.settled_by = actor
    row.settled_at = datetime.now(UTC)
    row.settlement_reference = text
    session.flush()
    _audit(session, actor, "claim.settled", row, before)
    return row


def reject_claim(session: Session, claim_id: int, *, actor: str, reason: str) -> Claim:
    actor = checked_actor(actor)
    row = get_claim(session, claim_id)
    _move(row, ClaimStatus.REJECTED)
    text = checked_text("reason", reason, required=True, limit=4000)
    before = row_values(row)
    row.status = ClaimStatus.REJECTED.value
    row.rejected_by = actor
    row.rejected_at = datetime.now(UTC)
    row.reject_reason = text
    session.flush()
    _audit(session, actor, "claim.rejected", row, before)
    return row


@dataclass(frozen=True)
class ClaimView:
    id: int
    complaint_number: str
    amount_rmb: Decimal
    basis: str
    settlement_way: str
    case_description: str
    status: str
    opened_at: datetime
    opened_by: str
    approved_by: str | None
    confirmed_by: str | None
    settled_by: str | None
    settlement_reference: str | None
    rejected_by: str | None
    reject_reason: str | None
    missing_for_settlement: tuple[str, ...]


def claims_of(session: Session, complaint_id: int) -> list[ClaimView]:
    """Every claim of a complaint, oldest first, with what each lacks before settling."""
    rows = session.scalars(
        select(Claim).where(Claim.complaint_id == complaint_id).order_by(Claim.id)
    )
    return [
        ClaimView(
            r.id,
            r.complaint_number,
            r.amount_rmb,
            r.basis,
            r.settlement_way,
            r.case_description,
            r.status,
            r.opened_at,
            r.opened_by,
            r.approved_by,
            r.confirmed_by,
            r.settled_by,
            r.settlement_reference,
            r.rejected_by,
            r.reject_reason,
            tuple(settle_blockers(r)),
        )
        for r in rows
    ]
