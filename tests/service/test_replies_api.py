"""Customer replies over the API: draft, edit, check, approve a promise, export, send, follow up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from documents import complaint_payload
from service_support import Service

from results.manual_models import CustomerReply
from results.notifications import LogChannel
from results.replies import record_follow_up, send_reply

BAD_ZH = "尊敬的客户：\n很抱歉给您带来不便。这是公司规定，我们没办法。我们将赔偿人民币500元。"
GOOD_ZH = "尊敬的客户：\n很抱歉给您带来不便。我们已完成分析，并将按期跟进。"


def _complaint(svc: Service) -> str:
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    number: str = r.json()["number"]
    return number


def test_draft_check_fix_export_send_follow_up(service: Service) -> None:
    number = _complaint(service)
    r = service.client.post(
        f"/api/complaints/{number}/replies",
        json={"language": "zh_CN", "body": BAD_ZH},
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    reply = r.json()
    rules = {i["rule"] for i in reply["issues"]}
    assert "company_policy" in rules and len(reply["issues"]) >= 2
    hit = next(i for i in reply["issues"] if i["rule"] == "company_policy")
    assert "公司规定" in hit["sentence"] and hit["why"]
    rid = reply["id"]

    refused = service.client.get(f"/api/replies/{rid}/export", headers=service.auth("wang.wei"))
    assert refused.status_code == 409
    assert {i["rule"] for i in refused.json()["issues"]} == rules

    # QA approves the amount: the money hit goes, the forbidden phrase stays.
    tech = service.client.post(
        f"/api/complaints/{number}/promises",
        json={"amount": 500, "currency": "CNY"},
        headers=service.auth("wang.wei"),
    )
    assert tech.status_code == 403
    ok = service.client.post(
        f"/api/complaints/{number}/promises",
        json={"amount": 500, "currency": "CNY", "note": "goodwill"},
        headers=service.auth("zhao.min"),
    )
    assert ok.status_code == 201 and ok.json()["kind"] == "amount"
    checked = service.client.get(f"/api/replies/{rid}/check", headers=service.auth("viewer"))
    assert {i["rule"] for i in checked.json()["issues"]} == {"company_policy"}

    fixed = service.client.put(
        f"/api/replies/{rid}", json={"body": GOOD_ZH}, headers=service.auth("wang.wei")
    )
    assert fixed.status_code == 200 and fixed.json()["issues"] == []
    text = service.client.get(f"/api/replies/{rid}/export", headers=service.auth("wang.wei"))
    assert text.status_code == 200 and text.text == GOOD_ZH

    early = service.client.post(
        f"/api/replies/{rid}/follow-up", json={"note": "ok"}, headers=service.auth("wang.wei")
    )
    assert early.status_code == 409  # not sent yet
    assert (
        service.client.post(
            f"/api/replies/{rid}/send",
            json={"address": "buyer@acme.example"},
            headers=service.auth("wang.wei"),
        ).status_code
        == 403
    )
    sent = service.client.post(
        f"/api/replies/{rid}/send",
        json={"address": "buyer@acme.example"},
        headers=service.auth("zhao.min"),
    )
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    channel = service.client.app.state.channel  # type: ignore[attr-defined]
    assert isinstance(channel, LogChannel) and channel.sent[-1].body == GOOD_ZH
    after = service.client.put(
        f"/api/replies/{rid}", json={"body": BAD_ZH}, headers=service.auth("wang.wei")
    )
    assert after.status_code == 409
    done = service.client.post(
        f"/api/replies/{rid}/follow-up",
        json={"note": "customer satisfied"},
        headers=service.auth("wang.wei"),
    )
    assert done.status_code == 200 and done.json()["follow_up_note"] == "customer satisfied"
    listed = service.client.get(f"/api/complaints/{number}/replies", headers=service.auth("viewer"))
    assert [r["id"] for r in listed.json()] == [rid]


def test_drafted_letter_and_error_paths(service: Service) -> None:
    number = _complaint(service)
    base = f"/api/complaints/{number}/replies"
    assert service.client.post(base, json={"language": "en"}).status_code == 401
    assert (
        service.client.post(base, json={"language": "en"}, headers=service.auth("viewer"))
    ).status_code == 403
    assert (
        service.client.post(base, json={"language": "fr"}, headers=service.auth("wang.wei"))
    ).status_code == 422
    assert (
        service.client.post(
            "/api/complaints/NOPE-1/replies",
            json={"language": "en"},
            headers=service.auth("wang.wei"),
        )
    ).status_code == 404
    drafted = service.client.post(base, json={"language": "en"}, headers=service.auth("wang.wei"))
    assert drafted.status_code == 201
    letter = drafted.json()
    assert "Acme Scanners Ltd" in letter["body"] and letter["issues"] == []
    assert (
        service.client.get("/api/replies/999999", headers=service.auth("viewer")).status_code == 404
    )
    bad_promise = service.client.post(
        f"/api/complaints/{number}/promises",
        json={"amount": 10, "currency": "CNY", "days": 3},
        headers=service.auth("zhao.min"),
    )
    assert bad_promise.status_code == 422
    empty = service.client.put(
        f"/api/replies/{letter['id']}", json={"body": ""}, headers=service.auth("wang.wei")
    )
    assert empty.status_code == 422


def test_overdue_follow_ups_are_listed(service: Service) -> None:
    number = _complaint(service)
    past = (datetime.now(UTC) - timedelta(days=3)).date()
    r = service.client.post(
        f"/api/complaints/{number}/replies",
        json={
            "language": "en",
            "body": "Dear customer, we are sorry.",
            "follow_up_due": past.isoformat(),
        },
        headers=service.auth("wang.wei"),
    )
    rid = r.json()["id"]
    with service.store.sessions.begin() as session:
        send_reply(session, rid, channel=LogChannel(), address="b@acme.example", actor="zhao.min")
    due = service.client.get("/api/follow-ups/overdue", headers=service.auth("viewer")).json()
    assert due == [{"complaint": number, "reply_id": rid, "due": past.isoformat(), "days_late": 3}]
    service.login("viewer")
    page = service.client.get("/")
    assert f'data-reply="{rid}"' in page.text
    with service.store.sessions.begin() as session:
        record_follow_up(session, rid, note="called", actor="wang.wei")
        assert session.get(CustomerReply, rid) is not None
    assert (
        service.client.get("/api/follow-ups/overdue", headers=service.auth("viewer")).json() == []
    )


def test_a_chinese_reply_is_checked_with_chinese_explanations(service: Service) -> None:
    number = _complaint(service)
    r = service.client.post(
        f"/api/complaints/{number}/replies",
        json={"language": "zh_CN", "body": BAD_ZH},
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    checked = service.client.get(
        f"/api/replies/{r.json()['id']}/check", headers=service.auth("viewer")
    ).json()
    why = {i["rule"]: i["why"] for i in checked["issues"]}
    assert why["company_policy"].startswith("禁用语") and "手册" in why["company_policy"]
    assert why["unapproved_amount"].startswith("承诺了CNY 500.00")
    service.login("viewer")
    page = service.client.get(f"/complaints/{number}")
    assert page.status_code == 200, page.text
    assert why["company_policy"] in page.text


def test_an_approved_offer_in_kind_allows_a_free_replacement(service: Service) -> None:
    number = _complaint(service)
    r = service.client.post(
        f"/api/complaints/{number}/replies",
        json={
            "language": "en",
            "body": "Dear customer,\nWe will replace the packs free of charge.",
        },
        headers=service.auth("wang.wei"),
    )
    assert [i["rule"] for i in r.json()["issues"]] == ["unapproved_compensation"]
    offer = service.client.post(
        f"/api/complaints/{number}/promises",
        json={"offer": "free replacement of the returned packs"},
        headers=service.auth("zhao.min"),
    )
    assert offer.status_code == 201, offer.text
    assert offer.json()["kind"] == "offer"
    assert offer.json()["note"] == "free replacement of the returned packs"
    checked = service.client.get(
        f"/api/replies/{r.json()['id']}/check", headers=service.auth("viewer")
    )
    assert checked.json() == {"ok": True, "issues": []}
