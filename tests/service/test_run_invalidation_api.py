"""QA declares a run invalid through the API (other roles: 403); the run stays in the record,
shown struck through on the pages, and leaves the unit's summary."""

from __future__ import annotations

from service_support import Service
from test_api import _run
from test_manual_pages import _login


def test_only_qa_invalidates_a_run_and_it_is_shown_as_invalid(service: Service) -> None:
    c = service.client
    number, unit, run_id = _run(service)
    url = f"/api/runs/{run_id}/invalidate"
    body = {"reason": "fixture contact fault, pack not connected"}
    for user in ("bench-3", "wang.wei", "viewer", "admin"):
        r = c.post(url, json=body, headers=service.auth(user))
        assert r.status_code == 403, (user, r.text)
    assert c.post(url, json={"reason": ""}, headers=service.auth("zhao.min")).status_code == 422
    run = c.get(f"/api/runs/{run_id}", headers=service.auth("viewer")).json()
    assert run["standing"] == "valid" and run["invalidation"] is None

    r = c.post(url, json=body, headers=service.auth("zhao.min"))
    assert r.status_code == 200, r.text
    assert r.json()["standing"] == "invalid"
    assert r.json()["invalidation"]["by"] == "zhao.min"
    assert r.json()["invalidation"]["reason"] == body["reason"]
    again = c.post(url, json=body, headers=service.auth("qian.li"))
    assert again.status_code == 422 and "already declared invalid" in again.text

    shown = c.get(f"/api/complaints/{number}", headers=service.auth("viewer")).json()
    assert [(r["id"], r["standing"]) for r in shown["runs"]] == [(run_id, "invalid")]
    unit_view = c.get(f"/api/units/{unit['id']}", headers=service.auth("viewer")).json()
    assert unit_view["results"] == []  # the only run is no longer evidence
    assert [r["standing"] for r in unit_view["runs"]] == ["invalid"]

    events = c.get(
        "/api/audit?entity_type=run_invalidation", headers=service.auth("zhao.min")
    ).json()
    assert [(e["actor"], e["action"]) for e in events] == [("zhao.min", "run.invalidated")]
    verified = c.get("/api/verify", headers=service.auth("zhao.min")).json()
    assert verified["ok"], verified["problems"]

    _login(service, "zhao.min")
    page = c.get(f"/complaints/{number}")
    assert page.status_code == 200
    assert 'class="standing-invalid"' in page.text
    assert "no valid run yet" in page.text
    run_page = c.get(f"/runs/{run_id}")
    assert "declared invalid by zhao.min" in run_page.text
    assert body["reason"] in run_page.text


def test_qa_invalidates_from_the_run_page_and_others_cannot(service: Service) -> None:
    c = service.client
    _number, _unit, run_id = _run(service)
    csrf = _login(service, "wang.wei")
    assert "Declare invalid" not in c.get(f"/runs/{run_id}").text
    r = c.post(
        f"/runs/{run_id}/invalidate",
        data={"csrf_token": csrf, "reason": "not mine to decide"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    csrf = _login(service, "zhao.min")
    assert "Declare invalid" in c.get(f"/runs/{run_id}").text
    r = c.post(f"/runs/{run_id}/invalidate", data={"reason": "no csrf"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post(
        f"/runs/{run_id}/invalidate",
        data={"csrf_token": csrf, "reason": "cell tabs shorted by the fixture"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = c.get(f"/runs/{run_id}").text
    assert "cell tabs shorted by the fixture" in page and "Declare invalid" not in page
    run = c.get(f"/api/runs/{run_id}", headers=service.auth("viewer")).json()
    assert run["invalidation"]["by"] == "zhao.min"
