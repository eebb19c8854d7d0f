"""Return notice, receipt and inspection request: the units they create and the reconciliation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form

from results import audit
from results.complaints import register_complaint
from results.errors import NotFound, ValidationError
from results.models import AuditEvent, ReturnedUnit
from results.returns import (
    ReconciliationRefused,
    create_notice,
    create_request,
    receive,
    returns_of,
    serials_from_csv,
    serials_from_lines,
)
from results.returns_models import InspectionRequest
from results.verify import verify_store

NOW = T0 + timedelta(hours=2)
NOTICE: dict[str, Any] = {
    "quantity_expected": 3,
    "lots": ["L2511", "L2512"],
    "carrier_ref": "SF1234567890",
    "sales_person": "zhao.min",
}


def _complaint(sessions: sessionmaker[Session], defect_qty: int = 3) -> str:
    with sessions.begin() as session:
        complaint = register_complaint(
            session, form(defect_qty=defect_qty), actor="li.na", now=T0 + timedelta(minutes=5)
        )
        return complaint.number


def _received_notice(sessions: sessionmaker[Session], number: str, received: int = 3) -> int:
    with sessions.begin() as session:
        notice = create_notice(session, number, NOTICE, actor="zhao.min", now=NOW)
        extra = {} if received == 3 else {"discrepancies": f"{received} in the box"}
        receive(session, notice.id, {"quantity_received": received, **extra}, actor="pmc", now=NOW)
        return notice.id


def _units(*serials: str, lot: str = "L2511") -> list[dict[str, str]]:
    return [{"serial": s, "lot": lot} for s in serials]


def _events(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_request_creates_the_units_audited_and_verify_knows_the_records(
    sessions: sessionmaker[Session], evidence_dir: Any
) -> None:
    number = _complaint(sessions)
    notice_id = _received_notice(sessions, number)
    with sessions.begin() as session:
        request = create_request(
            session,
            notice_id,
            {"units": _units("SN-1", "SN-2", "SN-3"), "analyses": ["diagnose_pack"]},
            actor="pmc",
            now=NOW,
        )
        assert request.warnings == [] and request.override_reason == ""
        units = session.scalars(select(ReturnedUnit).order_by(ReturnedUnit.id)).all()
        assert [(u.serial, u.lot, u.status) for u in units] == [
            ("SN-1", "L2511", "received"),
            ("SN-2", "L2511", "received"),
            ("SN-3", "L2511", "received"),
        ]
        assert [u["unit_id"] for u in request.units] == [u.id for u in units]
        [event] = audit.history(session, "inspection_request", request.id)
        assert event.action == "inspection_request.created" and event.actor == "pmc"
        shown = returns_of(session, number)
        assert shown["units_logged"] == 3
        assert shown["notices"][0]["receipt"]["quantity_received"] == 3
        assert shown["notices"][0]["requests"][0]["analyses"] == ["diagnose_pack"]
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems


def test_verify_catches_an_edited_notice(
    sessions: sessionmaker[Session], evidence_dir: Any
) -> None:
    number = _complaint(sessions)
    notice_id = _received_notice(sessions, number)
    with sessions.begin() as session:
        notice = create_notice(session, number, NOTICE, actor="zhao.min", now=NOW)
        notice.quantity_expected = 30  # behind the store's back
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert any(f"return_notice id={notice.id}" in p.ref for p in report.problems)
    assert notice_id != notice.id


def test_more_units_than_defective_needs_a_reason(sessions: sessionmaker[Session]) -> None:
    number = _complaint(sessions, defect_qty=2)
    notice_id = _received_notice(sessions, number)
    before = _events(sessions)
    body = {"units": _units("SN-1", "SN-2", "SN-3"), "analyses": ["diagnose_pack"]}
    refusal = pytest.raises(ReconciliationRefused, match="2 defective")
    with refusal as refused, sessions.begin() as session:
        create_request(session, notice_id, body, actor="pmc", now=NOW)
    assert refused.value.field == "override_reason"
    assert _events(sessions) == before  # nothing written, not even the units
    with sessions.begin() as session:
        request = create_request(
            session,
            notice_id,
            body | {"override_reason": "customer sent a third unit of the same lot"},
            actor="pmc",
            now=NOW,
        )
        assert request.warnings == [
            f"3 units under complaint {number} but 2 defective were reported"
        ]
        [event] = audit.history(session, "inspection_request", request.id)
        assert event.reason == "customer sent a third unit of the same lot"


def test_more_than_received_and_foreign_lots_are_findings(sessions: sessionmaker[Session]) -> None:
    number = _complaint(sessions, defect_qty=5)
    notice_id = _received_notice(sessions, number, received=2)
    body = {
        "units": [*_units("SN-1", "SN-2"), {"serial": "SN-3", "lot": "L9999"}],
        "analyses": ["diagnose_pack"],
    }
    with pytest.raises(ReconciliationRefused) as refused, sessions.begin() as session:
        create_request(session, notice_id, body, actor="pmc", now=NOW)
    assert refused.value.warnings == (
        f"3 units requested against notice {notice_id} but the warehouse received 2",
        "lot(s) L9999 not in the notice (L2511, L2512)",
    )


def test_a_second_request_counts_the_first(sessions: sessionmaker[Session]) -> None:
    number = _complaint(sessions, defect_qty=10)
    notice_id = _received_notice(sessions, number)
    with sessions.begin() as session:
        create_request(
            session, notice_id, {"units": _units("A", "B"), "analyses": ["x"]}, actor="p", now=NOW
        )
    with pytest.raises(ReconciliationRefused, match="4 units requested"), sessions.begin() as s:
        create_request(
            s, notice_id, {"units": _units("C", "D"), "analyses": ["x"]}, actor="p", now=NOW
        )


@pytest.mark.parametrize(
    ("units", "field", "match"),
    [
        ([], "units", "empty"),
        (_units("SN-1", "SN-1"), "units", "listed twice"),
        (_units("SN-0"), "units", "already logged"),
        ([{"serial": "  "}], "units.0.serial", "at least 1 character"),
        ([{"serial": "S", "colour": "red"}], "units.0.colour", "Extra inputs"),
    ],
)
def test_bad_unit_lists_are_refused_and_nothing_is_written(
    sessions: sessionmaker[Session], units: list[dict[str, str]], field: str, match: str
) -> None:
    number = _complaint(sessions, defect_qty=5)
    notice_id = _received_notice(sessions, number)
    with sessions.begin() as session:
        create_request(
            session, notice_id, {"units": _units("SN-0"), "analyses": ["x"]}, actor="p", now=NOW
        )
    before = _events(sessions)
    with pytest.raises(ValidationError, match=match) as refused, sessions.begin() as session:
        create_request(session, notice_id, {"units": units, "analyses": ["x"]}, actor="p", now=NOW)
    assert refused.value.field == field
    assert _events(sessions) == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InspectionRequest)) == 1


def test_notice_and_receipt_refusals(sessions: sessionmaker[Session]) -> None:
    number = _complaint(sessions)
    with pytest.raises(NotFound, match="CC-1999-0001"), sessions.begin() as session:
        create_notice(session, "CC-1999-0001", NOTICE, actor="s", now=NOW)
    with pytest.raises(ValidationError) as refused, sessions.begin() as session:
        create_notice(session, number, NOTICE | {"lots": []}, actor="s", now=NOW)
    assert refused.value.field == "lots"
    with sessions.begin() as session:
        notice_id = create_notice(session, number, NOTICE, actor="s", now=NOW).id
    with pytest.raises(ValidationError, match="no receipt"), sessions.begin() as session:
        create_request(
            session, notice_id, {"units": _units("A"), "analyses": ["x"]}, actor="p", now=NOW
        )
    refusal = pytest.raises(ValidationError, match="2 received but 3")
    with refusal as refused, sessions.begin() as session:
        receive(session, notice_id, {"quantity_received": 2}, actor="pmc", now=NOW)
    assert refused.value.field == "discrepancies"
    with sessions.begin() as session:
        receive(session, notice_id, {"quantity_received": 3}, actor="pmc", now=NOW)
    with pytest.raises(ValidationError, match="received once"), sessions.begin() as session:
        receive(session, notice_id, {"quantity_received": 3}, actor="pmc", now=NOW)


def test_serials_from_scanned_lines_and_csv() -> None:
    lines = serials_from_lines("SN-1\r\n\n  SN-2 ,L2512\nSN-3\n")
    assert [(u.serial, u.lot) for u in lines] == [("SN-1", ""), ("SN-2", "L2512"), ("SN-3", "")]
    rows = serials_from_csv("Serial,Lot\nSN-1,L2511\nSN-2,\n")
    assert [(u.serial, u.lot) for u in rows] == [("SN-1", "L2511"), ("SN-2", "")]
    with pytest.raises(ValidationError, match="no 'serial' column"):
        serials_from_csv("sn,lot\nA,B\n")
    with pytest.raises(ValidationError, match="has no serial") as refused:
        serials_from_csv("serial,lot\n,L1\n")
    assert refused.value.field == "csv line 2"
    with pytest.raises(ValidationError, match="has no serial"):
        serials_from_lines("SN-1\n,L2511\n")
