"""Outgoing inspection reports and clock events on pages, in both languages: the list, one
report with its versions and approval state, approval through the API's own path (QA only, not
the user who froze the version, audited); a complaint's deadlines and clock events on its
process page."""

from __future__ import annotations

import re

import pytest
from documents import complaint_payload, run_document
from service_support import Service
from sqlalchemy import func, select
from test_chinese_complete import leaks, visible_text

from results.models import AuditEvent


def _events(svc: Service) -> int:
    with svc.store.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _frozen_outgoing_report(svc: Service) -> tuple[str, int]:
    c = svc.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei")
    ).json()["number"]
    unit = c.post(
        f"/api/complaints/{number}/units",
        json={"serial": "SN-0001", "lot": "L2511", "received_at": "2026-03-02T01:30:00Z"},
        headers=svc.auth("wang.wei"),
    ).json()
    document = run_document(unit["id"], unit["serial"], number)
    document["info"]["procedure"] = "outgoing_inspection"
    assert c.post("/api/runs", json=document, headers=svc.auth("bench-3")).status_code == 201
    r = c.post(
        f"/api/complaints/{number}/outgoing-reports",
        json={"serial": "SN-0001"},
        headers=svc.auth("zhao.min"),
    )
    assert r.status_code == 201, r.text
    return number, int(r.json()["id"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("lang", "status", "own", "approved"),
    [
        (
            "en",
            "not approved",
            "another QA engineer approves it",
            "Approved: this version is final.",
        ),
        ("zh_CN", "未批准", "须由另一位质量工程师批准", "已批准：此版本为最终版本。"),
    ],
)
def test_outgoing_report_pages_list_show_and_approve(
    service: Service, lang: str, status: str, own: str, approved: str
) -> None:
    number, report_id = _frozen_outgoing_report(service)
    c = service.client
    csrf = service.login("zhao.min")
    listed = c.get(f"/complaints/{number}/outgoing?lang={lang}")
    assert listed.status_code == 200
    assert f'href="/outgoing/{report_id}"' in listed.text and status in listed.text
    assert f'href="/complaints/{number}/outgoing"' in c.get(f"/complaints/{number}").text
    shown = c.get(f"/outgoing/{report_id}?lang={lang}")
    assert shown.status_code == 200 and own in shown.text and 'id="outgoing-versions"' in shown.text
    assert c.get(f"/outgoing/{report_id}/pdf").content.startswith(b"%PDF")
    if lang == "zh_CN":
        assert leaks(visible_text(listed.text)) == {} and leaks(visible_text(shown.text)) == {}

    before = _events(service)
    refused = c.post(
        f"/outgoing/{report_id}/approve?lang={lang}",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and own in refused.text
    assert _events(service) == before  # refused: nothing written

    csrf = service.login("viewer")
    assert c.post(f"/outgoing/{report_id}/approve", data={"csrf_token": csrf}).status_code == 403
    csrf = service.login("qian.li")
    assert (
        c.post(f"/outgoing/{report_id}/approve", data={}, follow_redirects=False).status_code == 403
    )
    done = c.post(
        f"/outgoing/{report_id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert _events(service) > before  # audited, as the API's approval is
    api = c.get(f"/api/outgoing-reports/{report_id}", headers=service.auth("viewer")).json()
    assert (api["status"], api["approved_by"]) == ("approved", "qian.li")
    page = c.get(f"/outgoing/{report_id}?lang={lang}").text
    assert approved in page and 'id="approve-outgoing"' not in page
    twice = c.post(f"/outgoing/{report_id}/approve?lang={lang}", data={"csrf_token": csrf})
    assert twice.status_code == 409 and approved in twice.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("lang", "event", "deadline"),
    [
        ("en", "sales feedback received", "QA decision (3 working days)"),
        ("zh_CN", "已收到销售反馈", "品质判定（3 个工作日）"),
    ],
)
def test_clock_events_and_deadlines_on_the_process_page(
    service: Service, lang: str, event: str, deadline: str
) -> None:
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    service.login("zhao.min")
    empty = c.get(f"/complaints/{number}/process?lang={lang}").text
    assert 'id="clock-event-list"' in empty and 'class="clock-event"' not in empty
    r = c.post(
        f"/api/complaints/{number}/clock-events",
        json={"kind": "sales_feedback_received", "at": "2026-03-03T02:00:00Z", "note": "by mail"},
        headers=service.auth("zhao.min"),
    )
    assert r.status_code == 201, r.text
    page = c.get(f"/complaints/{number}/process?lang={lang}")
    assert page.status_code == 200
    [row] = re.findall(r'<tr class="clock-event">(.*?)</tr>', page.text, re.S)
    assert event in row and "2026-03-03 02:00" in row and "by mail" in row
    assert deadline in page.text and 'id="deadline-list"' in page.text
    if lang == "zh_CN":
        assert leaks(visible_text(page.text)) == {}
        assert "sales_feedback_received" not in visible_text(page.text)
