"""Issue 14 acceptance, results level: a general and a severe complaint from every intake channel
walked through the whole process, each gate first tried too early.

Every step is a real call of the store's API (no row is written by hand); the diagnosis and the
outgoing inspection are runs written by ``DatabaseRecorder`` as a bench writes them (the CLI walk
on the simulated station is ``tests/bench/test_complaint_process_cli.py``). At each gate the
refusal must name the missing piece and write nothing: the audit log is counted before and after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from closure_builders import QA_MANAGER, approved_report, check_all_areas, ensure_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form, run_info, step

from procedures.records import Conclusion, RunOutcome, Verdict
from results.accounts import Role
from results.claims import approve_claim, confirm_claim, open_claim, reject_claim, settle_claim
from results.clock_records import end_pause, pause_sentences, start_pause
from results.closure import closure_blockers
from results.complaint_form import Channel
from results.complaints import register_complaint, set_unit_status
from results.containment import (
    containment_completed_at,
    open_action,
    release_action,
)
from results.eightd_prefill import prefill_from_records
from results.eightd_versions import SeparationOfDuties, draft, sign
from results.errors import InvalidTransition, ResultsError, ValidationError
from results.feedback import approve_feedback, close_complaint, write_feedback
from results.models import AuditEvent, Complaint, ReturnedUnit, UnitStatus
from results.recorder import DatabaseRecorder
from results.returns import create_notice, create_request, receive
from results.unit_path import OUTGOING_INSPECTION
from results.workflow import transition

U = UnitStatus
RSM, SGM = "zhou.rsm", "wu.sgm"
SERIALS = ("SN-A", "SN-B")
CASE = "3 packs dead on the customer's line; line stopped 6 h; rework labour and freight"


def _events(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def refused(
    sessions: sessionmaker[Session],
    step_: Callable[[Session], object],
    *names: str,
    error: type[Exception] = ResultsError,
) -> str:
    """Run ``step_`` in its own transaction; it must be refused naming every one of ``names``
    and write nothing (same audit count before and after). The refusal's text is returned."""
    before = _events(sessions)
    with pytest.raises(error) as caught, sessions.begin() as session:
        step_(session)
    text = str(caught.value)
    for name in names:
        assert name in text, (name, text)
    assert _events(sessions) == before, text
    return text


def _recorded_run(
    sessions: sessionmaker[Session],
    complaint_id: int,
    unit_id: int,
    serial: str,
    procedure: str,
    verdict: Verdict,
) -> int:
    """A finished run of ``procedure`` on the unit, written by the recorder as the bench does."""
    started = datetime.now(UTC)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(
        dataclasses.replace(run_info(serial), procedure=procedure, started=started)
    )
    recorder.step_finished(step(0))
    conclusions = (
        (
            Conclusion(
                "root_cause",
                "bms_fault",
                "protection IC latched",
                (f"{step(0).name}/cell_voltage_0",),
            ),
        )
        if procedure == "diagnose_pack"
        else ()
    )
    recorder.run_finished(RunOutcome(verdict, started + timedelta(minutes=5), "", conclusions))
    assert recorder.run_id is not None
    return recorder.run_id


def _units(sessions: sessionmaker[Session], complaint_id: int) -> dict[str, int]:
    with sessions() as session:
        rows = session.scalars(
            select(ReturnedUnit).where(ReturnedUnit.complaint_id == complaint_id)
        )
        return {u.serial: u.id for u in rows}


def _users(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ensure_user(session, RSM, Role.REGIONAL_SALES_MANAGER)
        ensure_user(session, SGM, Role.SALES_GENERAL_MANAGER)
        ensure_user(session, QA_MANAGER, Role.QA_MANAGER)
        ensure_user(session, "qian.qa", Role.QA)


@pytest.mark.parametrize("severity", ["general", "severe"])
@pytest.mark.parametrize("channel", list(Channel))
def test_a_complaint_walks_from_intake_to_closure(
    sessions: sessionmaker[Session], channel: Channel, severity: str
) -> None:
    _users(sessions)
    # --- intake -----------------------------------------------------------------------------
    with sessions.begin() as session:
        complaint = register_complaint(
            session,
            form(
                channel=channel,
                severity=severity,
                defect_qty=len(SERIALS),
                complaint_type="product",
                fault_stage="customer_line",
                customer_tests="OCV on the line tester",
                assembly_process="spot-welded into the handle",
                replacement_needed=True,
                samples_returned=True,
            ),
            actor="li.na",
            now=T0 + timedelta(minutes=5),
        )
        complaint_id, number = complaint.id, complaint.number
        assert (complaint.channel, complaint.severity) == (channel.value, severity)
        transition(session, complaint_id, "handling_reported", actor="li.na")

    # --- return notice, receipt, inspection request, units ----------------------------------
    with sessions.begin() as session:
        notice_id = create_notice(
            session,
            number,
            {
                "quantity_expected": len(SERIALS),
                "lots": ["L2511"],
                "carrier_ref": "SF-1234567",
                "sales_person": "li.na",
            },
            actor="li.na",
        ).id
    request = {"units": [{"serial": s} for s in SERIALS], "analyses": ["diagnosis"]}
    refused(
        sessions,
        lambda s: create_request(s, notice_id, request, actor="wu.wh"),
        "has no receipt yet",
        "record the warehouse's receipt first",
        error=ValidationError,
    )
    refused(
        sessions,
        lambda s: receive(s, notice_id, {"quantity_received": 1}, actor="wu.wh"),
        "discrepancies",
        "1 received but 2 expected",
        error=ValidationError,
    )
    with sessions.begin() as session:
        receive(session, notice_id, {"quantity_received": len(SERIALS)}, actor="wu.wh")
    too_many = {"units": [{"serial": s} for s in (*SERIALS, "SN-C")], "analyses": ["diagnosis"]}
    refused(
        sessions,
        lambda s: create_request(s, notice_id, too_many, actor="wu.wh"),
        "override_reason",
        "3 units under complaint",
        "2 defective were reported",
        error=ValidationError,
    )
    with sessions.begin() as session:
        create_request(session, notice_id, request, actor="wu.wh")
    units = _units(sessions, complaint_id)
    assert sorted(units) == list(SERIALS)

    # --- a pause for the customer's test: stops the clocks, goes into the 8D's D2 -----------
    with sessions.begin() as session:
        start_pause(
            session,
            complaint_id,
            kind="test",
            reason="customer's line test on 20 packs",
            started_at=T0 + timedelta(hours=2),
            sales_informed=True,
            customer_informed=True,
            actor="zhao.qa",
        )
        end_pause(session, complaint_id, ended_at=T0 + timedelta(days=1), actor="zhao.qa")

    # --- diagnosis ----------------------------------------------------------------------------
    with sessions.begin() as session:
        transition(session, complaint_id, "under_analysis", actor="zhao.qa")
    for serial, unit_id in units.items():
        with sessions.begin() as session:
            set_unit_status(session, unit_id, U.ON_BENCH, actor="bench")
        _recorded_run(sessions, complaint_id, unit_id, serial, "diagnose_pack", Verdict.FAIL)
        with sessions.begin() as session:
            set_unit_status(session, unit_id, U.ANALYSED, actor="bench", disposition="repair_board")

    # --- containment --------------------------------------------------------------------------
    refused(
        sessions,
        lambda s: release_action(s, 999_999, actor="zhao.qa", note="never opened"),
        "999999",
    )
    with sessions.begin() as session:
        check_all_areas(session, complaint_id, bad=4)  # 4 bad in finished stock: act on them
        assert containment_completed_at(session, complaint_id) is None
        action_id = open_action(
            session,
            complaint_id,
            kind="freeze_outgoing_stock",
            owner="wu.wh",
            qty_affected=120,
            actor="zhao.qa",
        ).id
        assert containment_completed_at(session, complaint_id) is not None

    # --- 8D, pre-filled from the records --------------------------------------------------------
    with sessions.begin() as session:
        eightd = prefill_from_records(session, complaint_id)
        pauses = pause_sentences(session, complaint_id, "en")
        assert len(pauses) == 1 and pauses[0] in eightd.problem.when  # the pause is in D2
        assert {line.qty_ng for line in eightd.containment} >= {4}  # the check is in D3
        assert [c.description for c in eightd.causes] == ["protection IC latched"] * 2  # D4
        draft(session, complaint_id, eightd, actor="zhao.qa")
    refused(
        sessions,
        lambda s: sign(s, complaint_id, signer="zhao.qa", printed_name="Zhao", meaning="approved"),
        "zhao.qa",
        error=SeparationOfDuties,
    )
    with sessions.begin() as session:
        sign(session, complaint_id, signer=QA_MANAGER, printed_name="Sun", meaning="approved")

    # --- claims: one above RMB 25,000 with both sign-offs, one refused to a single user ---------
    refused(
        sessions,
        lambda s: open_claim(
            s,
            number,
            amount_rmb="38000.50",
            basis="rework",
            settlement_way="credit_to_zero",
            actor="li.na",
        ),
        "case_description",
    )
    with sessions.begin() as session:
        big = open_claim(
            session,
            number,
            amount_rmb="38000.50",
            basis="rework labour and freight",
            settlement_way="labour_paid_in_goods",
            case_description=CASE,
            actor="li.na",
        ).id
        lone = open_claim(
            session,
            number,
            amount_rmb="26000.00",
            basis="line stop",
            settlement_way="credit_to_zero",
            case_description=CASE,
            actor="li.na",
        ).id
    refused(
        sessions,
        lambda s: settle_claim(s, big, actor="li.na", reference="DN-1"),
        "the regional sales manager's approval",
        "the sales general manager's confirmation",
    )
    refused(sessions, lambda s: approve_claim(s, big, actor=SGM), "regional_sales_manager")
    with sessions.begin() as session:
        approve_claim(session, big, actor=RSM)
    refused(
        sessions,
        lambda s: settle_claim(s, big, actor="li.na", reference="DN-1"),
        "the sales general manager's confirmation",
    )
    with sessions.begin() as session:
        confirm_claim(session, big, actor=SGM)
        settle_claim(session, big, actor="li.na", reference="DN-2026-0088")
    with sessions.begin() as session:
        approve_claim(session, lone, actor=RSM)
    refused(
        sessions,
        lambda s: confirm_claim(s, lone, actor=RSM),
        f"{RSM} approved claim {lone}",
        "different user",
        "sales_general_manager",
        error=ValidationError,
    )
    refused(
        sessions,
        lambda s: settle_claim(s, lone, actor="li.na", reference="DN-3"),
        "the sales general manager's confirmation",
    )
    with sessions.begin() as session:
        reject_claim(session, lone, actor="li.na", reason="one sign-off only; resubmit")

    # --- decision, rework with outgoing inspection, scrap -------------------------------------
    with sessions.begin() as session:
        transition(
            session, complaint_id, "decided", actor="zhao.qa", decision="repair", rationale="BMS"
        )
        for unit_id in units.values():
            set_unit_status(
                session, unit_id, U.DISPOSITIONED, actor="zhao.qa", disposition="repair_board"
            )
    reworked, scrapped = units[SERIALS[0]], units[SERIALS[1]]
    with sessions.begin() as session:
        set_unit_status(session, reworked, U.REWORKED, actor="zhao.qa", reason="board replaced")
        set_unit_status(session, scrapped, U.SCRAPPED, actor="zhao.qa", reason="cells swollen")
    refused(
        sessions,
        lambda s: set_unit_status(s, reworked, U.SHIPPED, actor="zhao.qa", reason="ship"),
        "outgoing inspection",
        error=InvalidTransition,
    )
    _recorded_run(sessions, complaint_id, reworked, SERIALS[0], OUTGOING_INSPECTION, Verdict.FAIL)
    refused(
        sessions,
        lambda s: set_unit_status(s, reworked, U.SHIPPED, actor="zhao.qa", reason="ship"),
        "did not pass",
        error=InvalidTransition,
    )
    _recorded_run(sessions, complaint_id, reworked, SERIALS[0], OUTGOING_INSPECTION, Verdict.PASS)

    # --- closure: every missing piece named, then each supplied ---------------------------------
    text = refused(
        sessions,
        lambda s: close_complaint(s, complaint_id, actor="zhao.qa"),
        "customer feedback handling form: not written",
        f"containment action {action_id}",
        "report: no approved report",
        f"unit {SERIALS[0]} is reworked",
        error=InvalidTransition,
    )
    assert "claim" not in text  # both claims are finished (settled, rejected)
    with sessions.begin() as session:
        set_unit_status(session, reworked, U.SHIPPED, actor="zhao.qa", reason="to the customer")
        release_action(session, action_id, actor="zhao.qa", note="re-inspected, 4 scrapped")
        approved_report(session, complaint_id)
        write_feedback(
            session, complaint_id, proposed_solution="repaired pack shipped", actor="li.na"
        )
    refused(
        sessions,
        lambda s: approve_feedback(s, complaint_id, actor="qian.qa"),
        "qa_manager",
        error=ValidationError,
    )
    with sessions() as session:
        left = closure_blockers(session, complaint_id)
    assert "customer feedback handling form: not approved by the QA manager" in left
    refused(
        sessions,
        lambda s: close_complaint(s, complaint_id, actor="zhao.qa"),
        *left,
        error=InvalidTransition,
    )
    with sessions.begin() as session:
        approve_feedback(session, complaint_id, actor=QA_MANAGER)
        assert closure_blockers(session, complaint_id) == []
        close_complaint(session, complaint_id, actor="zhao.qa")
    with sessions() as session:
        closed = session.get(Complaint, complaint_id)
        assert closed is not None
        assert (closed.status, closed.closure_note) == ("closed", "repaired pack shipped")
        finals = {u.serial: u.status for u in closed.units}
    assert finals == {SERIALS[0]: "shipped", SERIALS[1]: "scrapped"}
