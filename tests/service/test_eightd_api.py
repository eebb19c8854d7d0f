"""8D over the API: pre-fill, draft, edit, sign, approval by QA but not the author, amend."""

from __future__ import annotations

from documents import complaint_payload
from service_support import Service


def _complaint(svc: Service) -> str:
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    number: str = r.json()["number"]
    return number


def test_eightd_lifecycle(service: Service) -> None:
    c, tech, qa = service.client, service.auth("wang.wei"), service.auth("zhao.min")
    number = _complaint(service)
    base = f"/api/complaints/{number}/eightd"
    proposed = c.get(f"{base}/prefill", headers=tech)
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["problem"]["how_many"]
    r = c.post(base, json=proposed.json(), headers=tech)
    assert r.status_code == 201, r.text
    assert c.post(base, json={}, headers=tech).status_code == 409  # one draft; edit it
    content = {"problem": {"what": "no power"}, "team": [{"name": "Wang Wei"}]}
    r = c.put(base, json={"content": content, "reason": "first pass"}, headers=tech)
    assert r.status_code == 200 and r.json()["content"]["problem"]["what"] == "no power"
    bad = {"content": {"causes": [{"kind": "guess", "description": "x"}]}}
    assert c.put(base, json=bad, headers=tech).status_code == 422
    foreign = {
        "content": {
            "causes": [
                {
                    "kind": "occurrence",
                    "description": "x",
                    "evidence": [{"kind": "run", "ref": "987654"}],
                }
            ]
        }
    }
    refused = c.put(base, json=foreign, headers=tech)
    assert refused.status_code == 422 and "not a run of this complaint" in refused.text
    assert c.get(base, headers=tech).json()["content"]["problem"]["what"] == "no power"
    r = c.post(f"{base}/sign", json={"meaning": "authored"}, headers=tech)
    assert r.status_code == 200 and r.json()["signatures"][0]["printed_name"] == "Wang Wei"
    assert c.post(f"{base}/approve", headers=tech).status_code == 403  # not QA
    ok = c.post(f"{base}/approve", headers=qa)
    assert ok.status_code == 200 and ok.json()["status"] == "signed"
    assert c.put(base, json={"content": content}, headers=tech).status_code == 409
    amended = c.post(f"{base}/amend", json={"reason": "customer feedback"}, headers=qa)
    assert amended.status_code == 201 and amended.json()["version"] == 2
    assert c.post(f"{base}/approve", headers=qa).status_code == 403  # zhao.min wrote v2
    assert c.get(f"{base}?version=1", headers=tech).json()["status"] == "signed"
