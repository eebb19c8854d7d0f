"""Page controls: amending an approved report (QA, reason required) and the admin page."""

from __future__ import annotations

import re

from documents import complaint_payload, run_document
from service_support import Service
from sqlalchemy import select

from results.models import AuditEvent, Report


def _login(svc: Service, user: str) -> str:
    return svc.login(user)


def _approved_report(svc: Service) -> tuple[str, int]:
    c = svc.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei")
    ).json()["number"]
    unit = c.post(
        f"/api/complaints/{number}/units",
        json={"serial": "SN-7", "received_at": "2026-03-02T01:30:00Z"},
        headers=svc.auth("wang.wei"),
    ).json()
    doc = run_document(unit["id"], unit["serial"], number)
    assert c.post("/api/runs", json=doc, headers=svc.auth("bench-3")).status_code == 201
    rid = c.post(
        f"/api/complaints/{number}/reports", json={"locale": "en"}, headers=svc.auth("wang.wei")
    ).json()["id"]
    approved = c.post(f"/api/reports/{rid}/approve", headers=svc.auth("qian.li"))
    assert approved.status_code == 200, approved.text
    return number, rid


def _report_count(svc: Service) -> int:
    with svc.store.sessions() as session:
        return len(session.scalars(select(Report.id)).all())


def test_qa_amends_an_approved_report_from_the_page_with_a_reason(service: Service) -> None:
    c = service.client
    number, rid = _approved_report(service)
    action = f'action="/reports/{rid}/amend"'

    csrf = _login(service, "wang.wei")  # a technician sees no amend control and is refused
    assert action not in c.get(f"/complaints/{number}").text
    r = c.post(f"/reports/{rid}/amend", data={"csrf_token": csrf, "reason": "x"})
    assert r.status_code == 403

    csrf = _login(service, "zhao.min")
    page = c.get(f"/complaints/{number}").text
    assert action in page and csrf in page
    no_csrf = c.post(f"/reports/{rid}/amend", data={"reason": "lot number typo"})
    assert no_csrf.status_code == 403
    no_reason = c.post(f"/reports/{rid}/amend", data={"csrf_token": csrf, "reason": "  "})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    assert _report_count(service) == 1

    done = c.post(
        f"/reports/{rid}/amend",
        data={"csrf_token": csrf, "reason": "lot number typo"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/complaints/{number}?done=amended#reports"
    listed = c.get(f"/api/complaints/{number}/reports", headers=service.auth("viewer")).json()
    assert [(r["status"], r["amended_from"]) for r in listed] == [
        ("approved", None),
        ("draft", rid),
    ]
    with service.store.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.amended")
        ).one()
    assert event.actor == "zhao.min" and "lot number typo" in (
        event.reason + (event.after_json or "")
    )
    page = c.get(f"/complaints/{number}?done=amended").text
    assert "Amendment created" in page
    # the new version is a draft: it may be amended only once approved
    assert f'action="/reports/{listed[1]["id"]}/amend"' not in page


def test_admin_page_lists_creates_issues_and_revokes(service: Service) -> None:
    c = service.client
    _login(service, "viewer")
    assert c.get("/admin").status_code == 403
    csrf = _login(service, "admin")
    page = c.get("/admin")
    assert page.status_code == 200
    assert all(f'data-user="{name}"' in page.text for name in service.tokens)
    assert 'id="nav-admin"' in page.text

    form = {"name": "bench-9", "printed_name": "Bench 9", "role": "bench"}
    assert c.post("/admin/users", data=form).status_code == 403  # no CSRF token
    assert c.post("/admin/users", data=form | {"csrf_token": "0" * 64}).status_code == 403
    made = c.post("/admin/users", data=form | {"csrf_token": csrf}, follow_redirects=False)
    assert made.status_code == 303
    users = c.get("/api/admin/users", headers=service.auth("admin")).json()
    assert {"name": "bench-9", "role": "bench", "printed_name": "Bench 9", "active": True} in users
    bad_role = c.post("/admin/users", data=form | {"name": "x", "role": "boss", "csrf_token": csrf})
    assert bad_role.status_code == 422 and "role" in bad_role.text

    issued = c.post("/admin/tokens", data={"user": "bench-9", "label": "rig", "csrf_token": csrf})
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    match = re.search(r'<code id="new-token-text">(pbt_[^<]+)</code>', issued.text)
    assert match is not None
    token = match.group(1)
    me = c.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "bench"
    assert token not in c.get("/admin").text  # shown once only

    tokens = c.get("/api/admin/tokens", headers=service.auth("admin")).json()
    token_id = next(t["id"] for t in tokens if t["user"] == "bench-9")
    assert c.post(f"/admin/tokens/{token_id}/revoke", data={"reason": "x"}).status_code == 403
    revoked = c.post(
        f"/admin/tokens/{token_id}/revoke",
        data={"csrf_token": csrf, "reason": "rig scrapped"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with service.store.sessions() as session:
        actions = {
            (e.action, e.actor, e.reason)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.actor == "admin"))
        }
    assert ("service_user.created", "admin", "") in actions
    assert ("service_token.issued", "admin", "") in actions
    assert ("service_token.revoked", "admin", "rig scrapped") in actions
    qa_csrf = _login(service, "zhao.min")
    assert (
        c.post("/admin/users", data=form | {"name": "y", "csrf_token": qa_csrf}).status_code == 403
    )
