"""The 8D editor page: pre-filled D0-D8, evidence picked from the complaint's runs and
measurements (links that open them), saved as a draft, signed, approved by QA but not its author,
amended as a new version; refusals shown beside the field with nothing written."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from documents import CSV_LOG, T0, run_document
from process_support import audit_events, field_error, login, new_complaint
from service_support import Service

from service.i18n import translator


def _with_run(svc: Service) -> tuple[str, int]:
    number = new_complaint(svc)
    unit = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "U-1", "received_at": T0.isoformat()},
        headers=svc.auth("wang.wei"),
    ).json()
    r = svc.client.post(
        "/api/runs", json=run_document(unit["id"], "U-1", number), headers=svc.auth("bench-3")
    )
    assert r.status_code == 201, r.text
    run_id: int = r.json()["id"]
    return number, run_id


def _content(svc: Service, number: str) -> dict[str, Any]:
    r = svc.client.get(f"/api/complaints/{number}/eightd", headers=svc.auth("zhao.min"))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _editor_form(csrf: str, run_id: int, **extra: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "op": "save",
        "team.0.name": "Wang Wei",
        "team.0.department": "QA",
        "team.0.role": "leader",
        "team.1.name": "",
        "team.1.role": "member",
        "problem.what": "pack does not power on",
        "problem.how_many": "3 of 500",
        "containment.0.location": "finished stock",
        "containment.0.qty_checked": "40",
        "containment.0.qty_ng": "0",
        "containment.0.frozen": "on",
        "containment.1.location": "",
        "causes.0.kind": "occurrence",
        "causes.0.status": "verified",
        "causes.0.description": "cells deep-discharged in storage",
        f"causes.0.evidence.run:{run_id}": "on",
        f"causes.0.evidence.measurement:{run_id}/voltage_check/pack_voltage": "on",
        "causes.1.kind": "occurrence",
        "causes.1.status": "hypothesis",
        "causes.1.description": "",
        "actions.0.phase": "d5",
        "actions.0.description": "recharge stock older than 6 months",
        "actions.0.owner": "li.na",
        "actions.1.phase": "d6",
        "actions.1.description": "",
        "actions.1.owner": "",
        "closure.criteria": "",
        "reason": "",
    }
    form.update(extra)
    return form


def test_editor_prefills_and_offers_the_complaints_evidence(service: Service) -> None:
    number, run_id = _with_run(service)
    login(service, "wang.wei")
    page = service.client.get(f"/complaints/{number}/8d").text
    assert 'id="prefilled"' in page
    for d in ("d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"):
        assert f'id="{d}"' in page, d
    assert 'href="/runs/' + str(run_id) + '"' in page
    assert f'name="causes.0.evidence.measurement:{run_id}/voltage_check/pack_voltage"' in page
    assert 'name="problem.how_many"' in page and "500" in page  # from the registration
    zh = service.client.get(f"/complaints/{number}/8d?lang=zh_CN").text
    assert translator("zh_CN")("eightd.d4") in zh and translator("zh_CN")("eightd.save") in zh


def test_save_sign_approve_amend_and_the_complaint_page_shows_the_version(
    service: Service,
) -> None:
    number, run_id = _with_run(service)
    csrf = login(service, "wang.wei")
    r = service.client.post(
        f"/complaints/{number}/8d", data=_editor_form(csrf, run_id), follow_redirects=False
    )
    assert r.status_code == 303, r.text[:800]
    saved = _content(service, number)
    assert saved["version"] == 1 and saved["status"] == "draft"
    content = saved["content"]
    assert [m["name"] for m in content["team"]] == ["Wang Wei"]  # the blank row is dropped
    assert content["containment"][0]["frozen"] is True
    [cause] = content["causes"]
    assert {(e["kind"], e["ref"]) for e in cause["evidence"]} == {
        ("run", str(run_id)),
        ("measurement", f"{run_id}/voltage_check/pack_voltage"),
    }
    assert [a["phase"] for a in content["actions"]] == ["d5"]
    # what was saved comes back into the editor (not the proposal any more)
    page = service.client.get(f"/complaints/{number}/8d").text
    assert 'id="prefilled"' not in page and "cells deep-discharged in storage" in page
    assert f'name="causes.0.evidence.run:{run_id}" checked' in page
    # edit the draft
    form = _editor_form(csrf, run_id, **{"problem.what": "no power at all", "reason": "typo"})
    assert service.client.post(f"/complaints/{number}/8d", data=form).status_code == 200
    assert _content(service, number)["content"]["problem"]["what"] == "no power at all"

    r = service.client.post(
        f"/complaints/{number}/8d/sign", data={"csrf_token": csrf, "meaning": "authored"}
    )
    assert r.status_code == 200 and "Wang Wei" in r.text
    forbidden = service.client.post(
        f"/complaints/{number}/8d/sign", data={"csrf_token": csrf, "meaning": "approved"}
    )
    assert forbidden.status_code == 403  # approval is QA's
    qa = login(service, "zhao.min")
    r = service.client.post(
        f"/complaints/{number}/8d/sign",
        data={"csrf_token": qa, "meaning": "approved"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _content(service, number)["status"] == "signed"
    r = service.client.post(
        f"/complaints/{number}/reports",
        data={"csrf_token": qa, "locale": "en"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    reports = service.client.get(
        f"/api/complaints/{number}/reports", headers=service.auth("zhao.min")
    )
    report_id = reports.json()[0]["id"]
    report = service.client.get(f"/reports/{report_id}").text
    assert "cells deep-discharged in storage" in report and "no power at all" in report
    before = audit_events(service)
    refused = service.client.post(f"/complaints/{number}/8d", data=_editor_form(qa, run_id))
    assert refused.status_code == 409 and "amend" in field_error(refused.text, "_form")
    no_reason = service.client.post(
        f"/complaints/{number}/8d", data=_editor_form(qa, run_id, op="amend")
    )
    assert no_reason.status_code == 422 and field_error(no_reason.text, "reason")
    assert audit_events(service) == before
    amend_form = _editor_form(
        qa, run_id, op="amend", reason="customer data", **{"problem.why": "long storage"}
    )
    r = service.client.post(f"/complaints/{number}/8d", data=amend_form, follow_redirects=False)
    assert r.status_code == 303, r.text[:600]
    latest = _content(service, number)
    assert (latest["version"], latest["status"], latest["amended_from_version"]) == (2, "draft", 1)
    assert latest["content"]["problem"]["why"] == "long storage"
    # zhao.min wrote version 2 and may not approve it: the form says why, nothing is written
    before = audit_events(service)
    own = service.client.post(
        f"/complaints/{number}/8d/sign", data={"csrf_token": qa, "meaning": "approved"}
    )
    assert own.status_code == 403 and "separation of duties" in field_error(own.text, "_form")
    assert audit_events(service) == before
    complaint_page = service.client.get(f"/complaints/{number}").text
    assert 'id="eightd-current" data-version="2" data-status="draft"' in complaint_page


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"causes.0.kind": "guess"}, "causes.0.kind", "occurrence"),
        ({"causes.1.method": "5 why"}, "causes.1.description", "required"),
        ({"containment.0.qty_ng": "41"}, "containment.0", "qty_ng is larger"),
        ({"actions.0.owner": ""}, "actions.0.owner", "required"),
        ({"actions.0.due": "next week"}, "actions.0.due", "date"),
    ],
)
def test_a_refused_8d_shows_the_message_at_the_field_and_writes_nothing(
    service: Service, extra: dict[str, str], field: str, words: str
) -> None:
    number, run_id = _with_run(service)
    csrf = login(service, "wang.wei")
    before = audit_events(service)
    r = service.client.post(f"/complaints/{number}/8d", data=_editor_form(csrf, run_id, **extra))
    assert r.status_code == 422, r.text[:400]
    message = field_error(r.text, field)
    assert words in message, (field, message)
    assert "cells deep-discharged in storage" in r.text  # the typed content stays
    assert audit_events(service) == before
    missing = service.client.get(
        f"/api/complaints/{number}/eightd", headers=service.auth("zhao.min")
    )
    assert missing.status_code == 404


def test_a_cited_run_of_another_complaint_is_refused_at_the_cause(service: Service) -> None:
    number, _run = _with_run(service)
    other, foreign_run = _with_run(service)
    csrf = login(service, "wang.wei")
    form = _editor_form(csrf, foreign_run)
    r = service.client.post(f"/complaints/{number}/8d", data=form)
    assert r.status_code == 422
    assert "not a run of this complaint" in field_error(r.text, "causes.0")
    assert other != number


def test_an_uploaded_file_is_offered_and_cited_with_its_hash(service: Service) -> None:
    number, run_id = _with_run(service)
    csrf = login(service, "wang.wei")
    r = service.client.post(
        f"/complaints/{number}/attachments",
        data={"csrf_token": csrf, "target": "complaint"},
        files={"file": ("recharge_log.csv", CSV_LOG, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:400]
    page = service.client.get(f"/complaints/{number}/8d").text
    found = re.search(r'name="causes\.0\.evidence\.attachment:(\d+)"', page)
    assert found is not None
    attachment_id = found.group(1)
    sha = hashlib.sha256(CSV_LOG).hexdigest()
    assert f'href="/files/{sha}"' in page and "recharge_log.csv" in page
    form = _editor_form(csrf, run_id, **{f"causes.0.evidence.attachment:{attachment_id}": "on"})
    assert service.client.post(f"/complaints/{number}/8d", data=form).status_code == 200
    [cause] = _content(service, number)["content"]["causes"]
    cited = {e["ref"]: e["sha256"] for e in cause["evidence"] if e["kind"] == "attachment"}
    assert cited == {attachment_id: sha}
