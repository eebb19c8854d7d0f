"""Stored outgoing inspection reports over the API: frozen by QA, listed and fetched by anyone,
approved by a second QA user only (the creator gets 403), final once approved."""

from __future__ import annotations

from documents import complaint_payload, run_document
from service_support import Service
from sqlalchemy import func, select

from results.models import AuditEvent


def _events(svc: Service) -> int:
    with svc.store.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_outgoing_report_freeze_list_fetch_approve(service: Service) -> None:
    c = service.client
    qa, other_qa, viewer = (service.auth(n) for n in ("zhao.min", "qian.li", "viewer"))
    r = c.post("/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei"))
    number = r.json()["number"]
    r = c.post(
        f"/api/complaints/{number}/units",
        json={"serial": "SN-0001", "lot": "L2511", "received_at": "2026-03-02T01:30:00Z"},
        headers=service.auth("wang.wei"),
    )
    unit = r.json()
    base = f"/api/complaints/{number}/outgoing-reports"
    before = _events(service)
    r = c.post(base, json={"serial": "SN-0001"}, headers=qa)
    assert r.status_code == 404 and "packbench run outgoing_inspection" in r.json()["detail"]
    assert _events(service) == before

    document = run_document(unit["id"], unit["serial"], number)
    document["info"]["procedure"] = "outgoing_inspection"
    r = c.post("/api/runs", json=document, headers=service.auth("bench-3"))
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    r = c.post(base, json={"serial": "SN-0001", "locale": "en"}, headers=qa)
    assert r.status_code == 201, r.text
    created = r.json()
    report_id = created["id"]
    assert (created["run_id"], created["status"], created["decision"]) == (run_id, "draft", "hold")
    assert created["created_by"] == "zhao.min" and created["report_no"].endswith("-OQC-SN-0001")
    again = c.post(base, json={"serial": "SN-0001"}, headers=other_qa)
    assert again.status_code == 409 and f"outgoing report {report_id}" in again.json()["detail"]

    listed = c.get(base, headers=viewer).json()
    assert [x["id"] for x in listed] == [report_id]
    assert c.get(f"/api/outgoing-reports/{report_id}", headers=viewer).json() == created
    html = c.get(f"/api/outgoing-reports/{report_id}/html", headers=viewer)
    assert html.status_code == 200 and "Not signed." in html.text
    assert c.get("/api/outgoing-reports/999999", headers=viewer).status_code == 404

    before = _events(service)
    assert c.post(f"/api/outgoing-reports/{report_id}/approve", headers=viewer).status_code == 403
    own = c.post(f"/api/outgoing-reports/{report_id}/approve", headers=qa)
    assert own.status_code == 403 and "separation of duties" in own.json()["detail"]
    assert _events(service) == before
    r = c.post(f"/api/outgoing-reports/{report_id}/approve", headers=other_qa)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["approved_by"]) == ("approved", "qian.li")
    twice = c.post(f"/api/outgoing-reports/{report_id}/approve", headers=other_qa)
    assert twice.status_code == 409, twice.text
    pdf = c.get(f"/api/outgoing-reports/{report_id}/pdf", headers=viewer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = c.get(f"/api/outgoing-reports/{report_id}/html", headers=viewer)
    assert "Qian Li" in html.text and "Not signed." not in html.text
    verified = c.get("/api/verify", headers=service.auth("admin"))
    assert verified.status_code == 200 and verified.json()["ok"], verified.text
