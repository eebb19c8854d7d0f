"""Every API endpoint, with its refusals (401/403/404/409/413/415/422), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from documents import CSV_LOG, complaint_payload, png_bytes, run_document
from service_support import Service
from sqlalchemy import select

from results.accounts import ServiceToken, token_hash
from results.models import Attachment


def H(svc: Service, user: str) -> dict[str, str]:
    return svc.auth(user)


def _complaint(svc: Service) -> dict[str, Any]:
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    assert r.status_code == 201, r.text
    return r.json()


def _unit(svc: Service, number: str, serial: str = "SN-0001") -> dict[str, Any]:
    r = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": serial, "lot": "L2511", "received_at": "2026-03-02T01:30:00Z"},
        headers=svc.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _run(svc: Service) -> tuple[str, dict[str, Any], int]:
    number = _complaint(svc)["number"]
    unit = _unit(svc, number)
    r = svc.client.post(
        "/api/runs",
        json=run_document(unit["id"], unit["serial"], number),
        headers=svc.auth("bench-3"),
    )
    assert r.status_code == 201, r.text
    return number, unit, r.json()["id"]


def test_no_token_is_401_and_a_bad_token_too(service: Service) -> None:
    c = service.client
    assert c.get("/api/complaints").status_code == 401
    r = c.get("/api/complaints", headers={"Authorization": "Bearer pbt_nope"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_tokens_are_stored_only_as_hashes(service: Service) -> None:
    with service.store.sessions() as session:
        stored = {t.sha256 for t in session.scalars(select(ServiceToken))}
    assert token_hash(service.tokens["zhao.min"]) in stored
    assert not any(token in stored for token in service.tokens.values())


def test_register_list_filter_and_show_a_complaint(service: Service) -> None:
    c = service.client
    created = _complaint(service)
    assert created["number"].startswith("CC-")
    assert created["sla"]["state"] in ("overdue", "running")
    r = c.get("/api/complaints?customer=Acme Scanners Ltd", headers=H(service, "viewer"))
    assert [c["number"] for c in r.json()["items"]] == [created["number"]]
    none = c.get("/api/complaints?customer=Other", headers=H(service, "viewer"))
    assert none.json()["total"] == 0
    # received 2026-03-02 with no handling report: the 4-hour clock is long overdue
    overdue = c.get("/api/complaints?sla=overdue", headers=H(service, "viewer"))
    assert overdue.json()["total"] == 1
    shown = c.get(f"/api/complaints/{created['number']}", headers=H(service, "viewer"))
    assert shown.json()["allowed_transitions"] == ["handling_reported", "cancelled"]


def test_a_viewer_may_not_register_403(service: Service) -> None:
    c = service.client
    r = c.post("/api/complaints", json=complaint_payload(), headers=H(service, "viewer"))
    assert r.status_code == 403
    assert "viewer" in r.json()["detail"]


def test_invalid_form_is_422_with_the_field(service: Service) -> None:
    c = service.client
    r = c.post(
        "/api/complaints",
        json=complaint_payload(defect_qty=600),
        headers=H(service, "wang.wei"),
    )
    assert r.status_code == 422
    assert r.json()["field"] == "defect_qty"
    r = c.post("/api/complaints", json={"customer": "x"}, headers=H(service, "wang.wei"))
    assert r.status_code == 422


def test_unknown_complaint_is_404(service: Service) -> None:
    c = service.client
    r = c.get("/api/complaints/CC-1999-0001", headers=H(service, "viewer"))
    assert r.status_code == 404


def test_transitions_follow_the_workflow_and_only_qa_decides(service: Service) -> None:
    c = service.client
    number = _complaint(service)["number"]
    url = f"/api/complaints/{number}/transition"
    tech = service.auth("wang.wei")
    bad = c.post(url, json={"target": "closed"}, headers=tech)
    assert bad.status_code == 409
    for target in ("handling_reported", "under_analysis"):
        assert c.post(url, json={"target": target}, headers=tech).status_code == 200
    decision = {"target": "decided", "decision": "replace", "rationale": "cells aged"}
    assert c.post(url, json=decision, headers=tech).status_code == 403
    r = c.post(url, json=decision, headers=H(service, "zhao.min"))
    assert r.status_code == 200 and r.json()["status"] == "decided"


def test_units_and_unit_status(service: Service) -> None:
    c = service.client
    number = _complaint(service)["number"]
    unit = _unit(service, number)
    duplicate = c.post(
        f"/api/complaints/{number}/units",
        json={"serial": "SN-0001", "received_at": "2026-03-02T01:30:00Z"},
        headers=H(service, "wang.wei"),
    )
    assert duplicate.status_code == 422
    r = c.post(
        f"/api/units/{unit['id']}/status",
        json={"status": "on_bench"},
        headers=H(service, "wang.wei"),
    )
    assert r.json()["status"] == "on_bench"
    r = c.post(
        f"/api/units/{unit['id']}/status",
        json={"status": "dispositioned", "disposition": "scrap"},
        headers=H(service, "wang.wei"),
    )
    assert r.status_code == 403
    assert c.get("/api/units/999999", headers=H(service, "viewer")).status_code == 404
    assert (
        c.get(f"/api/units/{unit['id']}", headers=H(service, "viewer")).json()["serial"]
        == "SN-0001"
    )


def test_run_submission_round_trips_and_verifies(service: Service) -> None:
    c = service.client
    _number, _unit_row, run_id = _run(service)
    run = c.get(f"/api/runs/{run_id}", headers=H(service, "viewer")).json()
    assert run["verdict"] == "FAIL" and run["status"] == "finished"
    assert [s["name"] for s in run["steps"]] == ["voltage_check", "wake_recharge"]
    assert run["steps"][0]["measurements"][0]["value"] == 0.12
    trace = run["steps"][1]["traces"][0]
    samples = c.get(f"/api/traces/{trace['id']}", headers=H(service, "viewer"))
    assert samples.json()["channels"]["voltage"]["values"] == [2.1, 3.6, 3.9, 4.2]
    svg = c.get(f"/api/traces/{trace['id']}/svg", headers=H(service, "viewer"))
    assert svg.headers["content-type"] == "image/svg+xml" and "<polyline" in svg.text
    verified = c.get("/api/verify", headers=H(service, "zhao.min")).json()
    assert verified["ok"], verified["problems"]
    assert verified["steps"] == 2


def test_only_benches_submit_runs_and_a_bad_run_leaves_nothing(service: Service) -> None:
    c = service.client
    number = _complaint(service)["number"]
    unit = _unit(service, number)
    doc = run_document(unit["id"], unit["serial"], number)
    assert c.post("/api/runs", json=doc, headers=H(service, "zhao.min")).status_code == 403
    doc["steps"][1]["started"] = "2026-03-02T04:00:00"  # naive: refused by the recorder
    r = c.post("/api/runs", json=doc, headers=H(service, "bench-3"))
    assert r.status_code == 422
    shown = c.get(f"/api/units/{unit['id']}", headers=H(service, "viewer")).json()
    assert shown["runs"] == []  # the first step was not kept: one transaction
    doc = run_document(unit["id"], "WRONG-SERIAL", number)
    assert c.post("/api/runs", json=doc, headers=H(service, "bench-3")).status_code == 422
    doc = run_document(999999, "SN-0001", number)
    assert c.post("/api/runs", json=doc, headers=H(service, "bench-3")).status_code == 404


def _upload(svc: Service, url: str, name: str, data: bytes, ctype: str, user: str = "wang.wei"):  # type: ignore[no-untyped-def]
    return svc.client.post(url, files={"file": (name, data, ctype)}, headers=svc.auth(user))


def test_uploads_are_typed_by_content_and_stored_under_their_hash(service: Service) -> None:
    c = service.client
    number, unit, run_id = _run(service)
    r = _upload(
        service, f"/api/complaints/{number}/attachments", "../../etc/log.csv", CSV_LOG, "text/csv"
    )
    assert r.status_code == 201, r.text
    csv = r.json()
    assert csv["media_type"] == "text/csv"
    stored = service.settings.evidence_dir / csv["sha256"][:2] / csv["sha256"]
    assert stored.read_bytes() == CSV_LOG
    assert not (service.settings.evidence_dir / "log.csv").exists()
    photo = _upload(
        service, f"/api/runs/{run_id}/attachments", "photo.png", png_bytes(), "image/png"
    )
    assert photo.status_code == 201 and photo.json()["run_id"] == run_id
    by_unit = _upload(
        service, f"/api/units/{unit['id']}/attachments", "u.txt", b"note\n", "text/plain"
    )
    assert by_unit.status_code == 201
    listed = c.get(f"/api/complaints/{number}/attachments", headers=H(service, "viewer"))
    assert len(listed.json()) == 2
    down = c.get(f"/api/attachments/{csv['sha256']}", headers=H(service, "viewer"))
    assert down.content == CSV_LOG and down.headers["content-type"].startswith("text/csv")
    missing = c.get(f"/api/attachments/{'0' * 64}", headers=H(service, "viewer"))
    assert missing.status_code == 404


def test_upload_refusals_413_415_422_403(service: Service) -> None:
    c = service.client
    number = _complaint(service)["number"]
    url = f"/api/complaints/{number}/attachments"
    too_big = b"a,b\n" * (service.settings.max_upload_bytes // 4 + 10)
    assert _upload(service, url, "big.csv", too_big, "text/csv").status_code == 413
    assert _upload(service, url, "photo.png", CSV_LOG, "image/png").status_code == 415
    assert (
        _upload(
            service, url, "x.bin", b"\x00\x01\x02binary", "application/octet-stream"
        ).status_code
        == 415
    )
    assert _upload(service, url, "log.png", CSV_LOG, "text/csv").status_code == 422
    assert _upload(service, url, "empty.csv", b"", "text/csv").status_code == 422
    assert _upload(service, url, "a.csv", CSV_LOG, "text/csv", user="viewer").status_code == 403
    not_multipart = c.post(url, content=CSV_LOG, headers=H(service, "wang.wei"))
    assert not_multipart.status_code == 415
    with service.store.sessions() as session:
        assert session.scalars(select(Attachment)).all() == []
    assert not any(p.is_file() for p in service.settings.evidence_dir.rglob("*"))


def test_report_lifecycle_author_cannot_approve_and_approved_is_locked(service: Service) -> None:
    c = service.client
    number, _unit_row, _run_id = _run(service)
    r = c.post(
        f"/api/complaints/{number}/reports",
        json={"locale": "zh_CN"},
        headers=H(service, "wang.wei"),
    )
    assert r.status_code == 201, r.text
    report = r.json()
    rid = report["id"]
    html = c.get(f"/api/reports/{rid}/html", headers=H(service, "viewer"))
    assert html.status_code == 200 and number in html.text
    pdf = c.get(f"/api/reports/{rid}/pdf", headers=H(service, "viewer"))
    assert pdf.content.startswith(b"%PDF")
    signed = c.post(
        f"/api/reports/{rid}/sign", json={"meaning": "reviewed"}, headers=H(service, "qian.li")
    )
    assert signed.status_code == 200
    # the technician authored it; a QA who signed "authored" may not approve either: 403
    c.post(f"/api/reports/{rid}/sign", json={"meaning": "authored"}, headers=H(service, "zhao.min"))
    assert c.post(f"/api/reports/{rid}/approve", headers=H(service, "wang.wei")).status_code == 403
    own = c.post(f"/api/reports/{rid}/approve", headers=H(service, "zhao.min"))
    assert own.status_code == 403 and "authored" in own.json()["detail"]
    ok = c.post(f"/api/reports/{rid}/approve", headers=H(service, "qian.li"))
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = c.post(f"/api/reports/{rid}/approve", headers=H(service, "qian.li"))
    assert again.status_code == 409
    refresh = c.post(f"/api/reports/{rid}/refresh", json={}, headers=H(service, "wang.wei"))
    assert refresh.status_code == 409
    no_reason = c.post(
        f"/api/reports/{rid}/amend", json={"reason": " "}, headers=H(service, "qian.li")
    )
    assert no_reason.status_code == 422
    amended = c.post(
        f"/api/reports/{rid}/amend", json={"reason": "typo in lot"}, headers=H(service, "qian.li")
    )
    assert amended.status_code == 201 and amended.json()["amended_from"] == rid
    listed = c.get(f"/api/complaints/{number}/reports", headers=H(service, "viewer"))
    assert [r["status"] for r in listed.json()] == ["approved", "draft"]
    assert c.get("/api/reports/424242", headers=H(service, "viewer")).status_code == 404
    bad_locale = c.post(
        f"/api/complaints/{number}/reports", json={"locale": "xx"}, headers=H(service, "wang.wei")
    )
    assert bad_locale.status_code == 422


def test_pareto_audit_and_admin(service: Service) -> None:
    c = service.client
    _number, _unit_row, _run_id = _run(service)
    pareto = c.get("/api/analytics/pareto", headers=H(service, "viewer"))
    assert pareto.json()[0]["category"] == "no_power_on"
    assert (
        c.get("/api/analytics/pareto?dimension=colour", headers=H(service, "viewer")).status_code
        == 422
    )
    naive = c.get(
        "/api/analytics/pareto?received_from=2026-01-01T00:00:00", headers=H(service, "viewer")
    )
    assert naive.status_code == 422
    events = c.get("/api/audit?entity_type=complaint", headers=H(service, "zhao.min"))
    assert events.json()[0]["action"] == "complaint.registered"
    assert events.json()[0]["actor"] == "wang.wei"
    assert c.get("/api/audit", headers=H(service, "viewer")).status_code == 403
    admin = service.auth("admin")
    assert c.get("/api/admin/users", headers=H(service, "zhao.min")).status_code == 403
    created = c.post(
        "/api/admin/users",
        json={"name": "sun.qi", "role": "qa", "printed_name": "Sun Qi"},
        headers=admin,
    )
    assert created.status_code == 201
    bad_role = c.post(
        "/api/admin/users", json={"name": "x", "role": "boss", "printed_name": "X"}, headers=admin
    )
    assert bad_role.status_code == 422
    token = c.post("/api/admin/users/sun.qi/tokens", json={}, headers=admin).json()
    me = c.get("/api/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.json() == {"name": "sun.qi", "printed_name": "Sun Qi", "role": "qa"}
    assert c.delete(f"/api/admin/tokens/{token['id']}", headers=admin).status_code == 204
    revoked = c.get("/api/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert revoked.status_code == 401
    tokens = c.get("/api/admin/tokens", headers=admin).json()
    assert all("token" not in t and "sha256" not in t for t in tokens)
    day = c.put(
        "/api/admin/calendar/2026-10-01",
        json={"is_workday": False, "note": "National Day"},
        headers=admin,
    )
    assert day.status_code == 200
    assert c.get("/api/admin/users/nobody", headers=admin).status_code in (404, 405)
    trail = c.get("/api/audit?entity_type=service_token", headers=H(service, "admin")).json()
    assert {e["action"] for e in trail} >= {"service_token.issued", "service_token.revoked"}
    assert c.get("/api/verify", headers=H(service, "admin")).json()["ok"]
