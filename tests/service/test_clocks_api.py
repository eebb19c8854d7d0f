"""Classes, pauses, clocks and KPIs over the QA API."""

from __future__ import annotations

from datetime import timedelta

from documents import T0, complaint_payload
from service_support import Service


def _complaint(svc: Service) -> str:
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def test_class_pause_clocks_and_kpi(service: Service) -> None:
    number = _complaint(service)
    qa, tech, viewer = (service.auth(n) for n in ("zhao.min", "wang.wei", "viewer"))
    base = f"/api/complaints/{number}"

    r = service.client.post(
        f"{base}/class/proposal", json={"formal_corrective_action_demand": True}, headers=viewer
    )
    assert r.status_code == 200, r.text
    assert (r.json()["proposed"], r.json()["deck_class"]) == ("severe", "major")

    bad = {"complaint_class": "gold", "reason": "x"}
    assert service.client.put(f"{base}/class", json=bad, headers=qa).status_code == 422
    good = {"complaint_class": "severe", "reason": "formal 8D demanded"}
    assert service.client.put(f"{base}/class", json=good, headers=tech).status_code == 403
    r = service.client.put(f"{base}/class", json=good, headers=qa)
    assert r.status_code == 200 and r.json()["class"] == "severe"

    end = {"ended_at": (T0 + timedelta(hours=3)).isoformat()}
    r = service.client.post(f"{base}/pauses/end", json=end, headers=tech)
    assert r.status_code == 422 and "no running pause" in r.text
    start = {
        "kind": "sample_build",
        "reason": "10 samples with the new weld",
        "started_at": (T0 + timedelta(hours=1)).isoformat(),
        "sales_informed": True,
        "customer_informed": True,
    }
    assert service.client.post(f"{base}/pauses", json=start, headers=tech).status_code == 201
    assert service.client.post(f"{base}/pauses/end", json=end, headers=tech).status_code == 200
    event = {"kind": "new_customer_info", "at": (T0 + timedelta(days=1)).isoformat()}
    assert service.client.post(f"{base}/clock-events", json=event, headers=tech).status_code == 201

    r = service.client.get(f"{base}/pauses?lang=zh_CN", headers=viewer)
    assert r.status_code == 200 and "样品制作" in r.json()["sentences"][0]
    r = service.client.get(f"{base}/clocks", headers=viewer)
    assert r.status_code == 200
    clocks = {c["name"]: c for c in r.json()["clocks"]}
    whole = clocks["whole_case"]
    assert whole["due_at"] is not None and "analysis_after_new_info_1" in clocks

    day = T0.date()
    r = service.client.get(f"/api/kpi?from={day}&to={day}&class=severe", headers=viewer)
    assert r.status_code == 200, r.text
    assert [c["class"] for c in r.json()["classes"]] == ["severe"]
    r = service.client.get(f"/api/kpi?from={day}&to={day}&class=gold", headers=viewer)
    assert r.status_code == 422
    for kind, classes in (("product", ["severe"]), ("non-product", [])):
        r = service.client.get(f"/api/kpi?from={day}&to={day}&type={kind}", headers=viewer)
        assert r.status_code == 200, r.text
        assert (r.json()["type"], [c["class"] for c in r.json()["classes"]]) == (kind, classes)
    r = service.client.get(f"/api/kpi?from={day}&to={day}&type=goods", headers=viewer)
    assert r.status_code == 422 and "non-product" in r.json()["detail"]
