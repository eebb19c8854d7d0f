from __future__ import annotations

from decimal import Decimal

import pytest
from closure_builders import ensure_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import register

from results.accounts import Role
from results.claims import (
    SettlementWay,
    approve_claim,
    claims_of,
    confirm_claim,
    open_claim,
    reject_claim,
    settle_claim,
)
from results.containment_models import Claim
from results.errors import InvalidTransition, ValidationError
from results.models import AuditEvent
from results.service_models import ServiceUser

RSM = "zhou.rsm"
SGM = "wu.sgm"


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        session.scalar(select(func.count()).select_from(Claim)) or 0,
    )


def managers(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ensure_user(session, RSM, Role.REGIONAL_SALES_MANAGER)
        ensure_user(session, SGM, Role.SALES_GENERAL_MANAGER)


def big_claim(session: Session, number: str) -> int:
    return open_claim(
        session,
        number,
        amount_rmb="38000.50",
        basis="rework of 1,200 scanners at the customer's line, 31.67 RMB each",
        settlement_way=SettlementWay.FREE_GOODS_ZERO_PRICE,
        case_description="Line stop 2 days at Acme; 3 packs UV-locked; rework fee agreed.",
        actor="li.na",
    ).id


def test_settlement_ways_are_the_decks_five() -> None:
    assert [w.value for w in SettlementWay] == [
        "take_back_credit_then_replace",
        "replace_then_credit_on_return",
        "credit_to_zero",
        "free_goods_zero_price",
        "labour_paid_in_goods",
    ]


def test_a_large_claim_needs_approval_and_confirmation_by_two_users_before_settling(
    sessions: sessionmaker[Session],
) -> None:
    _cid, number, _unit = register(sessions)
    managers(sessions)
    with sessions.begin() as session:
        claim_id = big_claim(session, number)
    with pytest.raises(InvalidTransition) as refused, sessions.begin() as session:
        settle_claim(session, claim_id, actor="li.na", reference="CN-1")
    message = str(refused.value)
    assert "regional sales manager's approval" in message
    assert "sales general manager's confirmation" in message
    with sessions.begin() as session:
        approve_claim(session, claim_id, actor=RSM)
    with pytest.raises(InvalidTransition, match="confirmation"), sessions.begin() as session:
        settle_claim(session, claim_id, actor="li.na", reference="CN-1")
    with sessions.begin() as session:
        confirm_claim(session, claim_id, actor=SGM)
        settle_claim(session, claim_id, actor="li.na", reference="free goods DN-2026-0088")
    with sessions() as session:
        [view] = claims_of(session, _cid)
        assert view.status == "settled" and view.complaint_number == number
        assert view.amount_rmb == Decimal("38000.50") and view.missing_for_settlement == ()
        assert (view.approved_by, view.confirmed_by) == (RSM, SGM)
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == "claim")
                .order_by(AuditEvent.seq)
            )
        )
    assert actions == ["claim.opened", "claim.approved", "claim.confirmed", "claim.settled"]


def test_the_same_user_cannot_approve_and_confirm(sessions: sessionmaker[Session]) -> None:
    _cid, number, _unit = register(sessions)
    with sessions.begin() as session:
        # Even a user who somehow held both roles is refused by name: here the approver is
        # given the confirming role afterwards.
        ensure_user(session, RSM, Role.REGIONAL_SALES_MANAGER)
        claim_id = big_claim(session, number)
        approve_claim(session, claim_id, actor=RSM)
    with sessions.begin() as session:
        user = session.get(ServiceUser, RSM)
        assert user is not None
        user.role = Role.SALES_GENERAL_MANAGER.value
    with sessions() as session:
        before = counts(session)
    with pytest.raises(ValidationError, match="different user"), sessions.begin() as session:
        confirm_claim(session, claim_id, actor=RSM)
    with sessions() as session:
        assert counts(session) == before
        row = session.get(Claim, claim_id)
        assert row is not None and row.status == "approved" and row.confirmed_by is None


def test_sign_offs_need_the_documented_roles(sessions: sessionmaker[Session]) -> None:
    _cid, number, _unit = register(sessions)
    managers(sessions)
    with sessions.begin() as session:
        claim_id = big_claim(session, number)
    with sessions() as session:
        before = counts(session)
    with pytest.raises(ValidationError, match="regional_sales_manager"), sessions.begin() as s:
        approve_claim(s, claim_id, actor=SGM)
    with pytest.raises(ValidationError, match="not an active user"), sessions.begin() as s:
        approve_claim(s, claim_id, actor="nobody")
    with pytest.raises(InvalidTransition, match="'open' to 'confirmed'"), sessions.begin() as s:
        confirm_claim(s, claim_id, actor=SGM)
    with sessions() as session:
        assert counts(session) == before


def test_a_small_claim_settles_directly_and_a_rejected_one_is_final(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number, _unit = register(sessions)
    with sessions.begin() as session:
        small = open_claim(
            session,
            number,
            amount_rmb=25000,
            basis="3 packs at list price",
            settlement_way="credit_to_zero",
            actor="li.na",
        )
        settle_claim(session, small.id, actor="li.na", reference="CN-7")
        other = open_claim(
            session,
            number,
            amount_rmb="120.00",
            basis="freight",
            settlement_way="replace_then_credit_on_return",
            actor="li.na",
        )
        reject_claim(session, other.id, actor="li.na", reason="freight was the customer's")
    with pytest.raises(InvalidTransition, match="final status"), sessions.begin() as session:
        settle_claim(session, other.id, actor="li.na", reference="CN-8")
    with sessions() as session:
        assert [c.status for c in claims_of(session, complaint_id)] == ["settled", "rejected"]


@pytest.mark.parametrize(
    ("number", "changes", "field"),
    [
        ("", {}, "complaint_number: is missing"),
        ("CC-1999-0001", {}, "not a registered complaint"),
        (None, {"amount_rmb": 0.1}, "amount_rmb"),
        (None, {"amount_rmb": "-5"}, "amount_rmb"),
        (None, {"amount_rmb": "10.005"}, "two decimals"),
        (None, {"amount_rmb": "abc"}, "amount_rmb"),
        (None, {"settlement_way": "cash"}, "settlement_way"),
        (None, {"basis": " "}, "basis"),
        (None, {"amount_rmb": "25000.01", "case_description": ""}, "case_description"),
    ],
)
def test_bad_claims_name_the_field_and_write_nothing(
    sessions: sessionmaker[Session], number: str | None, changes: dict[str, object], field: str
) -> None:
    _cid, registered, _unit = register(sessions)
    values: dict[str, object] = {
        "amount_rmb": "100.00",
        "basis": "3 packs",
        "settlement_way": "credit_to_zero",
        "actor": "li.na",
    }
    values.update(changes)
    with sessions() as session:
        before = counts(session)
    with pytest.raises(ValidationError, match=field), sessions.begin() as session:
        open_claim(session, registered if number is None else number, **values)  # type: ignore[arg-type]
    with sessions() as session:
        assert counts(session) == before
