"""The major-complaint API: escalation (QA), records, acceptance via upload, guarded closure."""

from __future__ import annotations

from documents import complaint_payload, png_bytes
from service_support import EMERGENCY_GROUP, Service

from results.notifications import LogChannel

PDF_LETTER = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MEETING = {
    "held_at": "2026-03-02T06:00:00+00:00",
    "attendees": ["Zhao Min", "Qian Li"],
    "decisions": [{"text": "Recall lot L2511 from the customer's line", "owner": "Qian Li"}],
}


def _complaint(svc: Service, symptom: str = "leakage") -> str:
    r = svc.client.post(
        "/api/complaints",
        json=complaint_payload(
            symptom=symptom, severity="severe" if symptom != "appearance" else "general"
        ),
        headers=svc.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def _upload(svc: Service, number: str, name: str, data: bytes) -> str:
    r = svc.client.post(
        f"/api/complaints/{number}/attachments",
        files={"file": (name, data)},
        headers=svc.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    sha: str = r.json()["sha256"]
    return sha


def test_leakage_complaint_end_to_end(service: Service) -> None:
    number = _complaint(service)
    base = f"/api/complaints/{number}/major"
    assert service.client.get(base, headers=service.auth("viewer")).status_code == 404

    r = service.client.post(base, json={}, headers=service.auth("zhao.min"))
    assert r.status_code == 201, r.text
    major = r.json()
    assert major["category"] == "leakage"
    assert major["clock"][0]["stage"] == "emergency_group_notified"
    assert major["clock"][0]["done_at"] is not None  # the alert went out at escalation
    channel = service.client.app.state.channel  # type: ignore[attr-defined]
    assert isinstance(channel, LogChannel)
    alert = channel.sent[-1]
    assert alert.recipients == EMERGENCY_GROUP and number in alert.subject

    again = service.client.post(base, json={}, headers=service.auth("qian.li"))
    assert again.status_code == 409

    refused = service.client.post(f"{base}/close", headers=service.auth("zhao.min"))
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    for blocker in ("containment", "emergency meeting", "written acceptance"):
        assert blocker in detail

    r = service.client.post(
        f"{base}/containment",
        json={"stock_frozen_qty": 480, "locations": "WH-2 rack 7", "production_hold": True},
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    # the complaint's own containment actions: stock frozen and production stopped, both open
    assert [
        (a["kind"], a["qty_affected"], a["location"], a["released_at"])
        for a in r.json()["containment"]
    ] == [
        ("freeze_outgoing_stock", 480, "WH-2 rack 7", None),
        ("stop_production", 0, "WH-2 rack 7", None),
    ]
    dup = service.client.post(
        f"{base}/containment",
        json={"stock_frozen_qty": 1, "locations": "x", "production_hold": False},
        headers=service.auth("wang.wei"),
    )
    assert dup.status_code == 409
    r = service.client.post(f"{base}/meetings", json=MEETING, headers=service.auth("zhao.min"))
    assert r.status_code == 201 and r.json()["meetings"][0]["decisions"][0]["owner"] == "Qian Li"
    r = service.client.post(
        f"{base}/supplier",
        json={
            "supplier": "CellCo",
            "reference": "QN-7",
            "content": "Leakage at crimp seal, lot L2511",
            "address": "quality@cellco.example",
        },
        headers=service.auth("zhao.min"),
    )
    assert r.status_code == 201
    assert channel.sent[-1].recipients == ("quality@cellco.example",)

    still = service.client.post(f"{base}/close", headers=service.auth("zhao.min"))
    assert still.status_code == 409
    assert "written acceptance" in still.json()["detail"]
    assert "containment" not in still.json()["detail"]

    csv_sha = _upload(service, number, "notes.csv", b"a,b\n1,2\n")
    wrong = service.client.post(
        f"{base}/acceptance", json={"sha256": csv_sha}, headers=service.auth("zhao.min")
    )
    assert wrong.status_code == 422 and "PDF" in wrong.json()["detail"]
    letter = _upload(service, number, "acceptance.pdf", PDF_LETTER)
    r = service.client.post(
        f"{base}/acceptance", json={"sha256": letter}, headers=service.auth("wang.wei")
    )
    assert r.status_code == 200 and r.json()["acceptance"]["sha256"] == letter
    assert r.json()["blockers"] == []

    tech_close = service.client.post(f"{base}/close", headers=service.auth("wang.wei"))
    assert tech_close.status_code == 403
    closed = service.client.post(f"{base}/close", headers=service.auth("zhao.min"))
    assert closed.status_code == 200 and closed.json()["closed_by"] == "zhao.min"
    shown = service.client.get(base, headers=service.auth("viewer")).json()
    assert shown["clock"][-1]["done_at"] is not None
    late = service.client.post(f"{base}/meetings", json=MEETING, headers=service.auth("zhao.min"))
    assert late.status_code == 409


def test_escalation_needs_qa_and_the_rule(service: Service) -> None:
    number = _complaint(service, symptom="appearance")
    base = f"/api/complaints/{number}/major"
    assert service.client.post(base, json={}).status_code == 401
    assert service.client.post(base, json={}, headers=service.auth("wang.wei")).status_code == 403
    assert service.client.post(base, json={}, headers=service.auth("viewer")).status_code == 403
    not_major = service.client.post(base, json={}, headers=service.auth("zhao.min"))
    assert not_major.status_code == 422 and "not a major complaint" in not_major.json()["detail"]
    bad = service.client.post(base, json={"category": "flood"}, headers=service.auth("zhao.min"))
    assert bad.status_code == 422
    key = service.client.post(base, json={"key_customer": True}, headers=service.auth("zhao.min"))
    assert key.status_code == 201 and key.json()["category"] == "key_customer_severe"
    shown = service.client.get(f"/api/complaints/{number}", headers=service.auth("viewer"))
    assert shown.json()["severity"] == "severe"
    missing = service.client.post(
        "/api/complaints/NOPE-1/major", json={}, headers=service.auth("zhao.min")
    )
    assert missing.status_code == 404


def test_records_validate_and_need_a_major_record(service: Service) -> None:
    number = _complaint(service)
    base = f"/api/complaints/{number}/major"
    assert (
        service.client.post(f"{base}/meetings", json=MEETING, headers=service.auth("zhao.min"))
    ).status_code == 404
    service.client.post(base, json={}, headers=service.auth("zhao.min"))
    for path, body in (
        ("containment", {"stock_frozen_qty": -1, "locations": "x", "production_hold": True}),
        ("meetings", MEETING | {"attendees": []}),
        ("meetings", MEETING | {"held_at": "2026-03-02T06:00:00"}),  # no zone
        ("supplier", {"supplier": "CellCo", "content": "x", "address": "not-an-address"}),
        ("acceptance", {"sha256": "abc"}),
    ):
        r = service.client.post(f"{base}/{path}", json=body, headers=service.auth("zhao.min"))
        assert r.status_code == 422, (path, r.text)
    viewer = service.client.post(f"{base}/meetings", json=MEETING, headers=service.auth("viewer"))
    assert viewer.status_code == 403
    unknown = service.client.post(
        f"{base}/acceptance", json={"sha256": "0" * 64}, headers=service.auth("zhao.min")
    )
    assert unknown.status_code == 404
    # A photo of the signed letter is acceptance too.
    photo = _upload(service, number, "letter.png", png_bytes())
    r = service.client.post(
        f"{base}/acceptance", json={"sha256": photo}, headers=service.auth("zhao.min")
    )
    assert r.status_code == 200 and r.json()["acceptance"]["media_type"] == "image/png"


def test_complaint_transition_to_closed_is_guarded(service: Service) -> None:
    number = _complaint(service)
    service.client.post(f"/api/complaints/{number}/major", json={}, headers=service.auth("qian.li"))
    r = service.client.post(
        f"/api/complaints/{number}/transition",
        json={"target": "closed", "reason": "done"},
        headers=service.auth("zhao.min"),
    )
    assert r.status_code == 409
