from __future__ import annotations

from datetime import UTC, datetime

import pytest
from closure_builders import (
    QA_MANAGER,
    approved_feedback,
    approved_report,
    check_all_areas,
    ensure_user,
    make_closable,
    units_final,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import register

from results.accounts import Role
from results.claims import open_claim, settle_claim
from results.clock_records import record_clock_event, start_pause
from results.closure import closure_blockers
from results.containment import open_action, release_action
from results.errors import InvalidTransition, ValidationError
from results.feedback import approve_feedback, close_complaint, write_feedback
from results.models import AuditEvent, Complaint, UnitStatus
from results.returns import create_notice, create_request, receive
from results.workflow import transition


def decided(sessions: sessionmaker[Session]) -> tuple[int, str]:
    complaint_id, number, _unit = register(sessions)
    with sessions.begin() as session:
        transition(session, complaint_id, "handling_reported", actor="li.na")
        transition(session, complaint_id, "under_analysis", actor="zhao.qa")
        transition(
            session, complaint_id, "decided", actor="zhao.qa", decision="replace", rationale="UV"
        )
    return complaint_id, number


def events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_closing_lists_every_blocker_by_name_and_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number = decided(sessions)
    with sessions.begin() as session:
        action = open_action(
            session,
            complaint_id,
            kind="stop_production",
            owner="ma.prod",
            qty_affected=0,
            actor="zhao.qa",
        )
        claim = open_claim(
            session,
            number,
            amount_rmb="900.00",
            basis="freight",
            settlement_way="credit_to_zero",
            actor="li.na",
        )
        action_id, claim_id = action.id, claim.id
    with sessions() as session:
        blockers = closure_blockers(session, complaint_id)
        before = events(session)
    assert blockers == [
        "customer feedback handling form: not written (proposed solution)",
        "containment check: finished_stock, work_in_progress, incoming_material not checked",
        f"containment action {action_id} (stop_production, owner ma.prod) is still open: "
        "release it",
        "report: no approved report",
        f"claim {claim_id} (RMB 900.00) is open: settle or reject it",
        "unit SN-0001 is received: move it to a final status (back_to_stock, "
        "returned_to_customer, scrapped, shipped)",
    ]
    with pytest.raises(InvalidTransition) as refused, sessions.begin() as session:
        close_complaint(session, complaint_id, actor="zhao.qa", note="done")
    for blocker in blockers:
        assert blocker in str(refused.value)
    with sessions() as session:
        assert events(session) == before
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None and complaint.status == "decided"

    # each piece removes exactly its own blocker; the last one lets the complaint close
    with sessions.begin() as session:
        check_all_areas(session, complaint_id)
        release_action(session, action_id, actor="zhao.qa", note="line restarted after 8D D3")
        approved_report(session, complaint_id)
        settle_claim(session, claim_id, actor="li.na", reference="CN-2026-031")
        units_final(session, complaint_id, UnitStatus.SCRAPPED)
        assert closure_blockers(session, complaint_id) == [
            "customer feedback handling form: not written (proposed solution)"
        ]
        write_feedback(session, complaint_id, proposed_solution="credit 3 packs", actor="li.na")
        assert closure_blockers(session, complaint_id) == [
            "customer feedback handling form: not approved by the QA manager"
        ]
    with sessions.begin() as session:
        approve_feedback(
            session, complaint_id, actor=ensure_user(session, QA_MANAGER, Role.QA_MANAGER)
        )
        closed = close_complaint(session, complaint_id, actor="zhao.qa")
        assert closed.status == "closed" and closed.closure_note == "credit 3 packs"


def test_feedback_needs_the_qa_manager_and_is_fixed_once_approved(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _number = decided(sessions)
    with sessions.begin() as session:
        ensure_user(session, "zhao.qa", Role.QA)
        write_feedback(session, complaint_id, proposed_solution="replace", actor="li.na")
    with sessions() as session:
        before = events(session)
    with pytest.raises(ValidationError, match="qa_manager"), sessions.begin() as session:
        approve_feedback(session, complaint_id, actor="zhao.qa")
    with sessions() as session:
        assert events(session) == before
    with sessions.begin() as session:
        approved_feedback(session, complaint_id, "replace all 3 packs")
    with pytest.raises(ValidationError, match="cannot change"), sessions.begin() as session:
        write_feedback(session, complaint_id, proposed_solution="credit", actor="li.na")
    with pytest.raises(ValidationError, match="proposed_solution"), sessions.begin() as session:
        write_feedback(session, complaint_id, proposed_solution=" ", actor="li.na")


def test_a_closed_complaint_takes_no_return_notice_receipt_request_pause_or_clock_event(
    sessions: sessionmaker[Session],
) -> None:
    """The pages offered these forms after closure, and the store wrote them (a closed
    complaint's record must stay as it was closed): each is refused, naming the complaint, and
    nothing is written."""
    complaint_id, number = decided(sessions)
    notice_form = {
        "quantity_expected": 1,
        "lots": ["L1"],
        "carrier_ref": "SF1",
        "sales_person": "s",
    }
    with sessions.begin() as session:
        notice_id = create_notice(session, number, notice_form, actor="zhao.min").id
        make_closable(session, complaint_id)
        close_complaint(session, complaint_id, actor="zhao.qa")
    with sessions() as session:
        before = events(session)
    later = datetime.now(UTC)
    attempts = {
        "notice": lambda s: create_notice(s, number, notice_form, actor="zhao.min"),
        "receipt": lambda s: receive(s, notice_id, {"quantity_received": 1}, actor="pmc"),
        "request": lambda s: create_request(
            s,
            notice_id,
            {"units": [{"serial": "SN-9"}], "analyses": ["diagnose_pack"]},
            actor="pmc",
        ),
        "clock event": lambda s: record_clock_event(
            s, complaint_id, "qa_reacted", later, actor="q"
        ),
        "pause": lambda s: start_pause(
            s,
            complaint_id,
            kind="test",
            reason="cycle test",
            started_at=later,
            sales_informed=True,
            customer_informed=True,
            actor="zhao.qa",
        ),
    }
    for name, attempt in attempts.items():
        with (
            pytest.raises(ValidationError, match=f"{number} is closed") as refused,
            sessions.begin() as session,
        ):
            attempt(session)
        assert refused.value.field == "complaint", name
    with sessions() as session:
        assert events(session) == before
