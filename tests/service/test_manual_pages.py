"""Pages of the manual's extras, and appearance runs with photos submitted through the API."""

from __future__ import annotations

import base64
import re

from catalogue_leaks import leaks, visible_text
from documents import T0, complaint_payload, png_bytes, run_document
from service_support import Service
from test_major_api import PDF_LETTER

from results.reports.labels import catalogue


def _login(svc: Service, user: str) -> str:
    return svc.login(user)


def _appearance_document(unit_id: int, number: str, photo: bytes) -> dict[str, object]:
    doc = run_document(unit_id, "U-9", number)
    info = doc["info"]
    assert isinstance(info, dict)
    info["procedure"] = "appearance_inspection"
    step = {
        "name": "dimensions",
        "index": 0,
        "started": T0.isoformat(),
        "ended": T0.isoformat(),
        "verdict": "FAIL",
        "measurements": [
            {
                "name": "thickness",
                "value": 19.4,
                "unit": "mm",
                "limits": {"low": 18.3, "high": 18.9},
                "verdict": "FAIL",
                "comparison": "18.3 <= 19.4 <= 18.9 mm",
                "timestamp": T0.isoformat(),
                "instrument": "caliper CAL-07",
            },
            {
                "name": "swelling",
                "value": None,
                "text_value": "visible",
                "unit": "",
                "verdict": "FAIL",
                "timestamp": T0.isoformat(),
            },
        ],
        "attachments": [
            {"name": "overall.png", "content_base64": base64.b64encode(photo).decode()}
        ],
    }
    doc["steps"] = [step]
    return doc


def _unit(svc: Service, number: str) -> int:
    r = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "U-9", "received_at": T0.isoformat()},
        headers=svc.auth("wang.wei"),
    )
    unit_id: int = r.json()["id"]
    return unit_id


def test_appearance_run_shows_its_photos_as_thumbnails(service: Service) -> None:
    c = service.client
    number = c.post(
        "/api/complaints",
        json=complaint_payload(symptom="appearance"),
        headers=service.auth("wang.wei"),
    ).json()["number"]
    unit_id = _unit(service, number)
    photo = png_bytes(40, 30)
    r = c.post(
        "/api/runs",
        json=_appearance_document(unit_id, number, photo),
        headers=service.auth("bench-3"),
    )
    assert r.status_code == 201, r.text
    run = c.get(r.json()["url"], headers=service.auth("viewer")).json()
    files = run["attachments"]
    assert [f["media_type"] for f in files] == ["image/png"]
    sha = files[0]["sha256"]
    _login(service, "viewer")
    page = c.get(f"/runs/{run['id']}")
    assert page.status_code == 200
    assert f'<img src="/files/{sha}"' in page.text and 'id="photos"' in page.text
    assert "19.4" in page.text and "caliper CAL-07" in page.text
    image = c.get(f"/files/{sha}")
    assert image.status_code == 200 and image.content == photo
    assert image.headers["content-type"] == "image/png"


def test_run_attachments_are_validated(service: Service) -> None:
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    unit_id = _unit(service, number)
    bad = _appearance_document(unit_id, number, png_bytes())
    for text in ("not base64!", "iVBORw0K\u00e9"):  # a non-ASCII letter: a 500 until fuzzed
        bad["steps"][0]["attachments"][0]["content_base64"] = text  # type: ignore[index]
        r = c.post("/api/runs", json=bad, headers=service.auth("bench-3"))
        assert r.status_code == 422 and "base64" in r.text, r.text
    big = _appearance_document(unit_id, number, png_bytes(200, 200) + b"\0" * 70_000)
    r = c.post("/api/runs", json=big, headers=service.auth("bench-3"))
    assert r.status_code == 413
    tech = c.post(
        "/api/runs",
        json=_appearance_document(unit_id, number, png_bytes()),
        headers=service.auth("wang.wei"),
    )
    assert tech.status_code == 403


def test_major_section_on_the_pages(service: Service) -> None:
    c = service.client
    number = c.post(
        "/api/complaints",
        json=complaint_payload(symptom="leakage", severity="severe"),
        headers=service.auth("wang.wei"),
    ).json()["number"]
    other = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    csrf = _login(service, "wang.wei")
    page = c.get(f"/complaints/{number}")
    assert 'id="escalate"' not in page.text  # escalation is QA's
    refused = c.post(f"/complaints/{number}/major/escalate", data={"csrf_token": csrf})
    assert refused.status_code == 403

    csrf = _login(service, "zhao.min")
    assert 'id="escalate"' in c.get(f"/complaints/{number}").text
    forged = c.post(f"/complaints/{number}/major/escalate", data={}, follow_redirects=False)
    assert forged.status_code == 403
    r = c.post(
        f"/complaints/{number}/major/escalate", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    page = c.get(f"/complaints/{number}?lang=zh_CN")
    assert "重大客诉" in page.text and 'id="major-clock"' in page.text
    assert len(re.findall(r'<tr class="stage', page.text)) == 5
    listing = c.get("/")
    assert f'data-number="{number}" data-major="yes"' in listing.text
    assert f'data-number="{other}" data-major="no"' in listing.text

    closed = c.post(f"/complaints/{number}/major/close", data={"csrf_token": csrf})
    assert closed.status_code == 409 and "written acceptance" in closed.text
    for path, form in (
        ("containment", {"stock_frozen_qty": "12", "locations": "WH-1", "production_hold": "on"}),
        (
            "meeting",
            {
                "held_at": "2026-03-02T07:00",
                "attendees": "Zhao Min, Qian Li",
                "decisions": "Stop shipments of lot L2511 | Qian Li",
            },
        ),
        ("supplier", {"supplier": "CellCo", "reference": "QN-1", "content": "seal leak"}),
    ):
        r = c.post(f"/complaints/{number}/major/{path}", data={"csrf_token": csrf} | form)
        assert r.status_code == 200, (path, r.text[:300])
    no_owner = c.post(
        f"/complaints/{number}/major/meeting",
        data={
            "csrf_token": csrf,
            "held_at": "2026-03-02T08:00",
            "attendees": "x",
            "decisions": "a decision without owner",
        },
    )
    assert no_owner.status_code == 422
    upload = c.post(
        f"/complaints/{number}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("acceptance.pdf", PDF_LETTER, "application/pdf")},
    )
    assert upload.status_code == 200
    page = c.get(f"/complaints/{number}")
    sha = re.search(r'<option value="([0-9a-f]{64})">acceptance.pdf', page.text)
    assert sha is not None
    c.post(f"/complaints/{number}/major/acceptance", data={"csrf_token": csrf, "sha256": sha[1]})
    r = c.post(f"/complaints/{number}/major/close", data={"csrf_token": csrf})
    assert r.status_code == 200 and 'data-closed="yes"' in r.text
    assert 'id="close-major"' not in r.text


def test_reply_section_on_the_page(service: Service) -> None:
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    csrf = _login(service, "wang.wei")
    r = c.post(
        f"/complaints/{number}/replies",
        data={
            "csrf_token": csrf,
            "language": "en",
            "body": "Dear customer. That is impossible. We will refund USD 80.",
        },
    )
    assert r.status_code == 200
    assert 'data-hits="3"' in r.text and "That is impossible." in r.text  # + unapproved refund
    rid = re.search(r'id="reply-(\d+)"', r.text)
    assert rid is not None
    export = c.get(f"/replies/{rid[1]}/export")
    assert export.status_code == 409 and "impossible" in export.text
    r = c.post(
        f"/replies/{rid[1]}/edit",
        data={"csrf_token": csrf, "body": "Dear customer. We are sorry and will call you."},
    )
    assert 'data-hits="0"' in r.text
    export = c.get(f"/replies/{rid[1]}/export")
    assert export.status_code == 200 and export.text.startswith("Dear customer.")
    _login(service, "viewer")
    assert c.get(f"/replies/{rid[1]}/export").status_code == 403


def test_a_reply_s_broken_rules_read_by_their_labels_in_the_page_s_language(
    service: Service,
) -> None:
    """Each hit names its rule by the report catalogue's ``reply_rule.*`` label (the code stays
    in ``data-rule`` for scripts), in Chinese on a Chinese page, with no English sentence."""
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    csrf = _login(service, "wang.wei")
    body = "尊敬的客户：\n很抱歉给您带来不便。这是公司规定，我们没办法。"
    data = {"csrf_token": csrf, "language": "zh_CN", "body": body}
    assert c.post(f"/complaints/{number}/replies", data=data).status_code == 200
    zh = c.get(f"/complaints/{number}?lang=zh_CN").text
    hits = re.findall(r'<span class="muted rule" data-rule="(\w+)">([^<]*)</span>', zh)
    assert ("company_policy", catalogue("zh_CN").enum("reply_rule", "company_policy")) in hits
    shown = visible_text(zh[zh.index('id="replies"') : zh.index('id="draft-reply"')])
    assert "company_policy" not in shown and leaks(shown) == {}, shown
    en = c.get(f"/complaints/{number}?lang=en").text
    label = catalogue("en").enum("reply_rule", "company_policy")
    assert f'data-rule="company_policy">{label}</span>' in en
