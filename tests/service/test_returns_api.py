"""Returns and the unit path through the API: notice, receipt, request from scanned lines, the
reconciliation refusal, moves refused with the allowed ones named, and verify still clean."""

from __future__ import annotations

from typing import Any

from service_support import Service
from test_api import _complaint


def _post(service: Service, url: str, body: dict[str, Any], user: str = "wang.wei") -> Any:
    return service.client.post(url, json=body, headers=service.auth(user))


def test_returns_flow_and_unit_path(service: Service) -> None:
    c = service.client
    number = _complaint(service)["number"]  # 3 defective
    notice = {"quantity_expected": 3, "lots": ["L2511"], "carrier_ref": "SF1", "sales_person": "z"}
    r = _post(service, f"/api/complaints/{number}/return-notices", notice)
    assert r.status_code == 201, r.text
    notice_id = r.json()["id"]
    assert _post(service, "/api/complaints/CC-1999-0001/return-notices", notice).status_code == 404
    bad = _post(service, f"/api/complaints/{number}/return-notices", notice | {"lots": []})
    assert bad.status_code == 422

    url = f"/api/return-notices/{notice_id}"
    early = _post(service, f"{url}/inspection-requests", {"scanned": "A", "analyses": ["x"]})
    assert early.status_code == 422 and "no receipt" in early.text
    r = _post(service, f"{url}/receipt", {"quantity_received": 4, "discrepancies": "one extra"})
    assert r.status_code == 201, r.text

    body = {"scanned": "SN-1\nSN-2\nSN-3\nSN-4\n", "analyses": ["diagnose_pack"]}
    refused = _post(service, f"{url}/inspection-requests", body)
    assert refused.status_code == 422 and "4 units under" in refused.text
    assert "override_reason" in refused.text
    empty = _post(service, f"{url}/inspection-requests", {"analyses": ["x"]})
    assert empty.status_code == 422 and "empty" in empty.text
    r = _post(service, f"{url}/inspection-requests", body | {"override_reason": "one extra"})
    assert r.status_code == 201, r.text
    units = r.json()["units"]
    assert [(u["serial"], u["lot"]) for u in units] == [(f"SN-{i}", "L2511") for i in range(1, 5)]
    shown = c.get(f"/api/complaints/{number}/returns", headers=service.auth("viewer")).json()
    assert shown["units_logged"] == 4 and shown["notices"][0]["requests"][0]["warnings"]

    unit_id = units[0]["unit_id"]
    move = _post(service, f"/api/units/{unit_id}/move", {"step": "scrap", "reason": "swollen"})
    assert move.status_code == 409 and "allowed from 'received'" in move.text
    r = _post(
        service,
        f"/api/units/{unit_id}/status",
        {"status": "dispositioned", "disposition": "scrap", "reason": "swollen"},
        user="zhao.min",
    )
    assert r.status_code == 200, r.text
    r = _post(service, f"/api/units/{unit_id}/move", {"step": "scrap", "reason": "swollen"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["allowed_next"]) == ("scrapped", [])
    assert [h["status"] for h in r.json()["history"]] == ["received", "dispositioned", "scrapped"]
    again = _post(service, f"/api/units/{unit_id}/move", {"step": "ship", "reason": "x"})
    assert again.status_code == 409 and "none (final status)" in again.text
    unknown = _post(service, f"/api/units/{unit_id}/move", {"step": "burn", "reason": "x"})
    assert unknown.status_code == 422 and "rework" in unknown.text

    verified = c.get("/api/verify", headers=service.auth("zhao.min")).json()
    assert verified["ok"], verified["problems"]
