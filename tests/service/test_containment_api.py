"""Containment, claims and closure over the API: sign-offs by role, refusals that name the
missing piece and write nothing, closing answered with every blocker."""

from __future__ import annotations

from documents import complaint_payload
from service_support import Service
from sqlalchemy import func, select

from results.accounts import Role, create_user, issue_token
from results.complaints import get_complaint
from results.models import AuditEvent
from results.reports.approval import approve, create_report

MANAGERS = {
    "zhou.rsm": Role.REGIONAL_SALES_MANAGER,
    "wu.sgm": Role.SALES_GENERAL_MANAGER,
    "sun.qam": Role.QA_MANAGER,
}


def _managers(svc: Service) -> None:
    with svc.store.sessions.begin() as session:
        for name, role in MANAGERS.items():
            create_user(session, name, role=role.value, printed_name=name, actor="test")
            svc.tokens[name], _ = issue_token(session, name, actor="test")


def _events(svc: Service) -> int:
    with svc.store.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _complaint(svc: Service) -> str:
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def test_containment_claims_and_closure_over_the_api(service: Service) -> None:
    _managers(service)
    number = _complaint(service)
    qa, tech = service.auth("zhao.min"), service.auth("wang.wei")
    for area in ("finished_stock", "work_in_progress", "incoming_material"):
        r = service.client.post(
            f"/api/complaints/{number}/containment/checks",
            json={"area": area, "qty_checked": 40, "qty_bad": 1 if area == "finished_stock" else 0},
            headers=tech,
        )
        assert r.status_code == 201, r.text
    assert r.json()["completed_at"] is None  # bad units found, nothing done yet
    r = service.client.post(
        f"/api/complaints/{number}/containment/actions",
        json={"kind": "seal", "owner": "wu.wh", "qty_affected": 40, "location": "QA cage"},
        headers=qa,
    )
    assert r.status_code == 201, r.text
    shown = r.json()
    assert shown["completed_at"] is not None and shown["actions"][0]["open"] is True
    action_id = shown["actions"][0]["id"]

    before = _events(service)
    never = service.client.post(
        "/api/containment/actions/999999/release", json={"note": "done"}, headers=qa
    )
    assert never.status_code == 422 and "never opened" in never.json()["detail"]
    bad_kind = service.client.post(
        f"/api/complaints/{number}/containment/actions",
        json={"kind": "pray", "owner": "x", "qty_affected": 1},
        headers=qa,
    )
    assert bad_kind.status_code == 422
    orphan = service.client.post(
        "/api/claims",
        json={
            "complaint_number": "CC-1999-0001",
            "amount_rmb": "100",
            "basis": "freight",
            "settlement_way": "credit_to_zero",
        },
        headers=qa,
    )
    assert orphan.status_code == 422 and "complaint_number" in orphan.json()["detail"]
    assert _events(service) == before

    r = service.client.post(
        "/api/claims",
        json={
            "complaint_number": number,
            "amount_rmb": "38000.50",
            "basis": "rework fee, 1,200 units",
            "settlement_way": "labour_paid_in_goods",
            "case_description": "Line stopped two days at the customer.",
        },
        headers=qa,
    )
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["amount_rmb"] == "38000.50" and claim["complaint_number"] == number
    claim_id = claim["id"]
    early = service.client.post(
        f"/api/claims/{claim_id}/settle", json={"reference": "CN-1"}, headers=qa
    )
    assert early.status_code == 409 and "regional sales manager" in early.json()["detail"]
    assert service.client.post(f"/api/claims/{claim_id}/approve", headers=qa).status_code == 403
    r = service.client.post(f"/api/claims/{claim_id}/approve", headers=service.auth("zhou.rsm"))
    assert r.status_code == 200 and r.json()["status"] == "approved"
    before = _events(service)
    same = service.client.post(f"/api/claims/{claim_id}/confirm", headers=service.auth("zhou.rsm"))
    assert same.status_code == 422, same.text
    assert f"zhou.rsm approved claim {claim_id}" in same.json()["detail"]
    assert "a different user with role 'sales_general_manager'" in same.json()["detail"]
    assert _events(service) == before
    r = service.client.post(f"/api/claims/{claim_id}/confirm", headers=service.auth("wu.sgm"))
    assert r.status_code == 200 and r.json()["confirmed_by"] == "wu.sgm"

    r = service.client.put(
        f"/api/complaints/{number}/feedback", json={"proposed_solution": "replace"}, headers=qa
    )
    assert r.status_code == 200, r.text
    assert (
        service.client.post(f"/api/complaints/{number}/feedback/approve", headers=qa).status_code
        == 403
    )
    r = service.client.post(
        f"/api/complaints/{number}/feedback/approve", headers=service.auth("sun.qam")
    )
    assert r.status_code == 200 and r.json()["feedback"]["approved_by"] == "sun.qam"
    for body in (
        {"target": "handling_reported"},
        {"target": "under_analysis"},
        {"target": "decided", "decision": "replace", "rationale": "UV-locked cells"},
    ):
        r = service.client.post(f"/api/complaints/{number}/transition", json=body, headers=qa)
        assert r.status_code == 200, r.text
    before = _events(service)
    closing = service.client.post(f"/api/complaints/{number}/close", json={}, headers=qa)
    assert closing.status_code == 409
    detail = closing.json()["detail"]
    assert f"containment action {action_id} (seal, owner wu.wh) is still open" in detail
    assert f"claim {claim_id} (RMB 38000.50) is confirmed" in detail
    assert "report: no approved report" in detail
    assert _events(service) == before
    r = service.client.get(f"/api/complaints/{number}/closure", headers=service.auth("viewer"))
    assert r.status_code == 200 and len(r.json()["blockers"]) == 3
    r = service.client.post(
        f"/api/containment/actions/{action_id}/release",
        json={"note": "sorted, 1 scrapped", "qty_released": 39},
        headers=qa,
    )
    assert r.status_code == 200 and r.json()["actions"][0]["released_by"] == "zhao.min"
    r = service.client.post(
        f"/api/claims/{claim_id}/settle", json={"reference": "DN-2026-0088"}, headers=qa
    )
    assert r.status_code == 200 and r.json()["status"] == "settled"
    r = service.client.get(f"/api/complaints/{number}/claims", headers=service.auth("viewer"))
    assert [c["status"] for c in r.json()["claims"]] == ["settled"]
    with service.store.sessions.begin() as session:  # the report has its own API and tests
        complaint = get_complaint(session, number)
        report = create_report(session, complaint.id, locale="en", actor="zhao.min")
        approve(session, report.id, signer="qian.li", printed_name="Qian Li")
    r = service.client.post(f"/api/complaints/{number}/close", json={}, headers=qa)
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["blockers"] == []


def test_containment_clocks_show_overdue_then_missed(service: Service) -> None:
    number = _complaint(service)  # received at T0, long past: the 24 h containment is overdue
    viewer = service.auth("viewer")
    shown = service.client.get(f"/api/complaints/{number}/containment", headers=viewer).json()
    states = {c["name"]: c["state"] for c in shown["clocks"]}
    assert states == {"containment_check": "not_started", "containment": "overdue"}
    assert shown["overdue"] == ["containment"]
    r = service.client.post(
        f"/api/complaints/{number}/transition",
        json={"target": "handling_reported"},
        headers=service.auth("zhao.min"),
    )
    assert r.status_code == 200, r.text
    shown = service.client.get(f"/api/complaints/{number}/containment", headers=viewer).json()
    assert {c["name"]: c["state"] for c in shown["clocks"]}["containment_check"] == "running"
    for area in ("finished_stock", "work_in_progress", "incoming_material"):
        r = service.client.post(
            f"/api/complaints/{number}/containment/checks",
            json={"area": area, "qty_checked": 10, "qty_bad": 0},
            headers=service.auth("wang.wei"),
        )
        assert r.status_code == 201, r.text
    states = {c["name"]: c["state"] for c in r.json()["clocks"]}
    assert states == {"containment_check": "met", "containment": "missed"}
    assert r.json()["overdue"] == []
    clocks = service.client.get(f"/api/complaints/{number}/clocks", headers=viewer).json()
    assert {c["name"]: c["state"] for c in clocks["clocks"]}["containment"] == "missed"
