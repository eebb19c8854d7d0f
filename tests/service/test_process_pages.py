"""The process pages: register, returns and units, containment, pauses, claims, feedback and
closure. Each page renders in both languages; each form's happy path writes through the same
``results`` functions as the API (audited), and a refused form shows its message beside the
field, answers 422 (or the API's status) and writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import resources
from typing import Any

import pytest
from process_support import (
    add_managers,
    audit_events,
    field_error,
    login,
    new_complaint,
)
from service_support import Service
from sqlalchemy import func, select

from results.claims import claims_of
from results.clocks import complaint_clocks
from results.complaints import get_complaint
from results.containment import containment_actions
from results.models import Complaint
from results.reports.approval import approve, create_report
from service.i18n import translator


def _count_complaints(svc: Service) -> int:
    with svc.store.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def _register_form(csrf: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "customer": "Acme Scanners Ltd",
        "project": "HS-200",
        "product_model": "PB-1S2P-18650-5200",
        "product_spec": "3.6 V 5.2 Ah",
        "shipped_qty": "500",
        "defect_qty": "3",
        "stock_on_hand_qty": "",
        "symptom": "no_power_on",
        "symptom_other": "",
        "severity": "general",
        "received_at": "2026-03-02T01:30",
        "received_by": "li.na",
        "usage_temperature": "35 degC",
        "time_in_use": "3 month",
        "channel": "e-mail",
        "complaint_type": "product",
        "fault_stage": "field_use",
        "replacement_needed": "yes",
        "samples_returned": "",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_process_page_renders_in_both_languages(service: Service, lang: str) -> None:
    number = new_complaint(service)
    login(service, "zhao.min")
    t = translator(lang)
    pages = {
        "/complaints/new": t("proc.register"),
        f"/complaints/{number}/process": t("proc.title", number=number),
        f"/complaints/{number}/8d": t("eightd.editor"),
        f"/complaints/{number}": t("proc.link"),
    }
    for path, heading in pages.items():
        r = service.client.get(f"{path}?lang={lang}")
        assert r.status_code == 200, (path, r.text[:500])
        assert heading in r.text, path
        assert "proc." not in r.text and "eightd." not in r.text.replace('"eightd"', "")
    if lang == "zh_CN":  # a label from every section of the process page, in Chinese
        page = service.client.get(f"/complaints/{number}/process?lang=zh_CN").text
        for key in ("proc.returns", "proc.containment", "proc.pauses", "proc.claims"):
            assert t(key) in page and translator("en")(key) not in page


def test_register_writes_the_complaint_with_every_field(service: Service) -> None:
    csrf = login(service, "wang.wei")
    r = service.client.post("/complaints/new", data=_register_form(csrf), follow_redirects=False)
    assert r.status_code == 303, r.text
    number = r.headers["location"].split("/")[2].split("?")[0]
    with service.store.sessions() as session:
        c = get_complaint(session, number)
        assert (c.customer, c.defect_qty, c.channel, c.fault_stage) == (
            "Acme Scanners Ltd",
            3,
            "e-mail",
            "field_use",
        )
        assert c.usage_temperature_c == pytest.approx(35.0)
        assert c.replacement_needed is True and c.samples_returned is None
        assert c.received_at.replace(tzinfo=None).isoformat().startswith("2026-03-02T01:30")
    shown = service.client.get(r.headers["location"]).text
    assert "Complaint registered." in shown


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"customer": ""}, "customer", "required"),
        ({"usage_temperature": "35 parsecs"}, "usage_temperature", ""),
        ({"symptom": "explosion", "severity": "general"}, "severity", "safety symptom"),
        ({"defect_qty": "many"}, "defect_qty", "whole number"),
    ],
)
def test_register_refusal_is_shown_at_the_field_and_writes_nothing(
    service: Service, overrides: dict[str, str], field: str, words: str
) -> None:
    csrf = login(service, "wang.wei")
    before = (audit_events(service), _count_complaints(service))
    r = service.client.post("/complaints/new", data=_register_form(csrf, **overrides))
    assert r.status_code == 422, r.text[:400]
    message = field_error(r.text, field)
    assert message and words in message, (field, message)
    assert (audit_events(service), _count_complaints(service)) == before
    # what was typed stays in the form
    assert 'value="li.na"' in r.text


def _post(svc: Service, number: str, action: str, csrf: str, **fields: Any) -> Any:
    return svc.client.post(
        f"/complaints/{number}/process/{action}",
        data={"csrf_token": csrf, **fields},
        follow_redirects=False,
    )


def _returns(svc: Service, number: str) -> dict[str, Any]:
    r = svc.client.get(f"/api/complaints/{number}/returns", headers=svc.auth("zhao.min"))
    data: dict[str, Any] = r.json()
    return data


def _notice(svc: Service, number: str, csrf: str, qty: str, lots: str = "L2511") -> Any:
    return _post(
        svc,
        number,
        "notice",
        csrf,
        quantity_expected=qty,
        lots=lots,
        carrier_ref="SF-1",
        sales_person="li.na",
    )


def _received(svc: Service, number: str, csrf: str, qty: str) -> int:
    """A return notice of ``qty`` units and the warehouse's receipt of them; the notice's id."""
    assert _notice(svc, number, csrf, qty).status_code == 303
    notice_id: int = _returns(svc, number)["notices"][-1]["id"]
    r = _post(svc, number, "receipt", csrf, row=str(notice_id), quantity_received=qty)
    assert r.status_code == 303, r.text[:400]
    return notice_id


def test_units_from_an_inspection_request_typed_scanned_and_csv(service: Service) -> None:
    number = new_complaint(service, defect_qty=6)
    csrf = login(service, "wang.wei")
    notice_id = _received(service, number, csrf, "6")
    r = service.client.post(
        f"/complaints/{number}/process/request",
        data={
            "csrf_token": csrf,
            "row": str(notice_id),
            "units.0.serial": "U-1",
            "units.1.serial": "U-2",
            "units.1.lot": "L2511",
            "scanned": "U-3\r\n\r\n  U-4  \r\n",
            "analyses": "diagnosis, appearance",
        },
        files={"csv_file": ("units.csv", b"serial,lot\nU-5,L2511\nU-6,\n", "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:600]
    shown = service.client.get(r.headers["location"]).text
    for serial in ("U-1", "U-2", "U-3", "U-4", "U-5", "U-6"):
        assert f'data-serial="{serial}"' in shown
    [request] = _returns(service, number)["notices"][0]["requests"]
    assert request["analyses"] == ["diagnosis", "appearance"]


@pytest.mark.parametrize(
    ("fields", "file", "field"),
    [
        ({"units.0.serial": "U-1", "scanned": "U-1"}, None, "units"),
        ({"scanned": ",L2511"}, None, "scanned"),
        ({}, b"lot\nL2511\n", "csv_file"),
        ({"units.0.serial": "U-1", "analyses": ""}, None, "analyses"),
        (
            {"units.0.serial": "U-1", "units.1.serial": "U-2", "units.2.serial": "U-3"},
            None,
            "override_reason",
        ),
    ],
)
def test_inspection_request_refusals_name_the_field(
    service: Service, fields: dict[str, str], file: bytes | None, field: str
) -> None:
    number = new_complaint(service, defect_qty=2)
    csrf = login(service, "wang.wei")
    notice_id = _received(service, number, csrf, "2")
    before = audit_events(service)
    data = {"csrf_token": csrf, "row": str(notice_id), "analyses": "diagnosis"}
    data |= {"override_reason": "", "scanned": ""} | fields
    files = {"csv_file": ("u.csv", file, "text/csv")} if file is not None else None
    r = service.client.post(f"/complaints/{number}/process/request", data=data, files=files)
    assert r.status_code == 422, r.text[:400]
    assert field_error(r.text, field), (field, r.text[r.text.find("field-error") - 300 :][:900])
    assert audit_events(service) == before
    assert _returns(service, number)["units_logged"] == 0


def test_returns_forms_refuse_bad_counts(service: Service) -> None:
    number = new_complaint(service)
    csrf = login(service, "wang.wei")
    before = audit_events(service)
    r = _notice(service, number, csrf, "0")
    assert r.status_code == 422 and field_error(r.text, "quantity_expected")
    r = _notice(service, number, csrf, "2", lots="")
    assert r.status_code == 422 and field_error(r.text, "lots")
    assert audit_events(service) == before
    assert _notice(service, number, csrf, "2").status_code == 303
    notice_id = _returns(service, number)["notices"][0]["id"]
    before = audit_events(service)
    r = _post(service, number, "receipt", csrf, row=str(notice_id), quantity_received="-1")
    assert r.status_code == 422 and field_error(r.text, "quantity_received")
    assert audit_events(service) == before


def test_containment_check_action_and_release(service: Service) -> None:
    number = new_complaint(service)
    csrf = login(service, "zhao.min")
    r = _post(
        service,
        number,
        "check",
        csrf,
        area="finished_stock",
        qty_checked="40",
        qty_bad="1",
        note="",
    )
    assert r.status_code == 303, r.text[:400]
    before = audit_events(service)
    r = _post(service, number, "check", csrf, area="attic", qty_checked="40", qty_bad="0")
    assert r.status_code == 422 and field_error(r.text, "area")
    r = _post(service, number, "action", csrf, kind="seal", owner="", qty_affected="40")
    assert r.status_code == 422 and field_error(r.text, "owner")
    assert audit_events(service) == before
    r = _post(
        service,
        number,
        "action",
        csrf,
        kind="seal",
        owner="wu.wh",
        qty_affected="40",
        location="QA cage",
    )
    assert r.status_code == 303, r.text[:400]
    with service.store.sessions() as session:
        [action] = containment_actions(session, get_complaint(session, number).id)
    before = audit_events(service)
    r = _post(service, number, "release", csrf, row=str(action.id), note="")
    assert r.status_code == 422 and field_error(r.text, "note")
    assert 'id="form-release-' in r.text
    assert audit_events(service) == before
    r = _post(
        service,
        number,
        "release",
        csrf,
        row=str(action.id),
        note="sorted, 1 scrapped",
        qty_released="39",
    )
    assert r.status_code == 303
    page = service.client.get(r.headers["location"]).text
    assert 'data-open="no"' in page and "sorted, 1 scrapped" in page


def test_pause_start_and_end(service: Service) -> None:
    number = new_complaint(service)
    csrf = login(service, "wang.wei")
    before = audit_events(service)
    r = _post(
        service,
        number,
        "pause_start",
        csrf,
        kind="test",
        reason="",
        started_at="2026-03-03T08:00",
        sales_informed="on",
    )
    assert r.status_code == 422 and field_error(r.text, "reason")
    assert audit_events(service) == before
    r = _post(
        service,
        number,
        "pause_start",
        csrf,
        kind="test",
        reason="48 h cycling",
        started_at="2026-03-03T08:00",
        sales_informed="on",
        customer_informed="on",
    )
    assert r.status_code == 303, r.text[:400]
    page = service.client.get(r.headers["location"]).text
    assert "48 h cycling" in page and 'id="form-pause_end"' in page
    before = audit_events(service)
    r = _post(service, number, "pause_end", csrf, ended_at="2026-03-01T08:00")
    assert r.status_code == 422 and field_error(r.text, "ended_at")
    assert audit_events(service) == before
    r = _post(service, number, "pause_end", csrf, ended_at="2026-03-05T08:00")
    assert r.status_code == 303, r.text[:400]


def test_claim_with_both_sign_offs_then_settled(service: Service) -> None:
    add_managers(service)
    number = new_complaint(service)
    csrf = login(service, "zhao.min")
    before = audit_events(service)
    r = _post(
        service,
        number,
        "claim",
        csrf,
        amount_rmb="lots",
        basis="rework",
        settlement_way="credit_to_zero",
    )
    assert r.status_code == 422 and field_error(r.text, "amount_rmb")
    assert audit_events(service) == before
    r = _post(
        service,
        number,
        "claim",
        csrf,
        amount_rmb="38000.50",
        basis="rework fee",
        settlement_way="labour_paid_in_goods",
        case_description="Line stopped.",
    )
    assert r.status_code == 303, r.text[:400]
    with service.store.sessions() as session:
        [claim] = claims_of(session, get_complaint(session, number).id)
    row = str(claim.id)
    r = _post(service, number, "claim_settle", csrf, row=row, reference="CN-1")
    assert r.status_code == 409 and "regional sales manager" in field_error(r.text, "_form")
    assert _post(service, number, "claim_approve", csrf, row=row).status_code == 403
    csrf = login(service, "zhou.rsm")
    assert _post(service, number, "claim_approve", csrf, row=row).status_code == 303
    before = audit_events(service)
    same = _post(service, number, "claim_confirm", csrf, row=row)
    assert same.status_code == 422 and "sales_general_manager" in field_error(same.text, "_form")
    assert audit_events(service) == before
    csrf = login(service, "wu.sgm")
    assert _post(service, number, "claim_confirm", csrf, row=row).status_code == 303
    csrf = login(service, "zhao.min")
    r = _post(service, number, "claim_settle", csrf, row=row, reference="CN-1")
    assert r.status_code == 303
    page = service.client.get(r.headers["location"]).text
    assert 'data-status="settled"' in page
    r = _post(
        service, number, "claim", csrf, amount_rmb="10", basis="x", settlement_way="credit_to_zero"
    )
    with service.store.sessions() as session:
        second = max(c.id for c in claims_of(session, get_complaint(session, number).id))
    r = _post(service, number, "claim_reject", csrf, row=str(second), reason="")
    assert r.status_code == 422 and field_error(r.text, "reason")
    r = _post(service, number, "claim_reject", csrf, row=str(second), reason="duplicate")
    assert r.status_code == 303


def test_feedback_and_closure_show_every_blocker_by_name(service: Service) -> None:
    add_managers(service)
    number = new_complaint(service)
    csrf = login(service, "zhao.min")
    page = service.client.get(f"/complaints/{number}/process").text
    for kind in ("feedback", "containment", "report"):
        assert f'data-kind="{kind}"' in page
    for target in ("handling_reported", "under_analysis"):
        assert _post(service, number, "transition", csrf, target=target).status_code == 303
    before = audit_events(service)
    r = _post(service, number, "transition", csrf, target="decided", decision="replace")
    assert r.status_code == 409 and "rationale" in field_error(r.text, "_form")
    assert audit_events(service) == before
    r = _post(
        service,
        number,
        "transition",
        csrf,
        target="decided",
        decision="replace",
        rationale="cells out of spec",
    )
    assert r.status_code == 303, r.text[:400]
    before = audit_events(service)
    r = _post(service, number, "close", csrf, note="")
    assert r.status_code == 409, r.text[:400]
    assert "customer feedback handling form" in field_error(r.text, "_form")
    r = _post(service, number, "feedback", csrf, proposed_solution="")
    assert r.status_code == 422 and field_error(r.text, "proposed_solution")
    assert audit_events(service) == before
    r = _post(service, number, "feedback", csrf, proposed_solution="Replace the 3 packs.")
    assert r.status_code == 303
    assert _post(service, number, "feedback_approve", csrf).status_code == 403
    csrf_qam = login(service, "sun.qam")
    assert _post(service, number, "feedback_approve", csrf_qam).status_code == 303
    csrf = login(service, "zhao.min")
    for area in ("finished_stock", "work_in_progress", "incoming_material"):
        _post(service, number, "check", csrf, area=area, qty_checked="10", qty_bad="0")
    with service.store.sessions.begin() as session:
        complaint = get_complaint(session, number)
        report = create_report(session, complaint.id, locale="en", actor="zhao.min")
        approve(session, report.id, signer="qian.li", printed_name="Qian Li")
    page = service.client.get(f"/complaints/{number}/process").text
    assert "data-kind=" not in page and translator("en")("proc.no_blockers") in page
    r = _post(service, number, "close", csrf, note="replaced, customer agreed")
    assert r.status_code == 303, r.text[:600]
    with service.store.sessions() as session:
        assert get_complaint(session, number).status == "closed"


def test_process_forms_keep_the_roles_of_the_api(service: Service) -> None:
    number = new_complaint(service)
    csrf = login(service, "viewer")
    before = audit_events(service)
    for action in ("notice", "check", "pause_start", "claim", "feedback", "close"):
        assert _post(service, number, action, csrf).status_code == 403, action
    assert service.client.get("/complaints/new").status_code == 403
    assert _post(service, number, "nonsense", csrf).status_code == 404
    forged = service.client.post(
        f"/complaints/{number}/process/check",
        data={"area": "finished_stock", "qty_checked": "1", "qty_bad": "0"},
    )
    assert forged.status_code == 403  # no CSRF token
    assert audit_events(service) == before


def test_every_label_of_the_process_pages_is_in_both_catalogues() -> None:
    folder = resources.files("service.pages") / "templates"
    keys: set[str] = set()
    enums: set[str] = set()
    for name in ("register.html", "process.html", "eightd.html", "_forms.html"):
        text = (folder / name).read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bt\('([a-z_0-9.]+[a-z_0-9])'", text))
        enums |= set(re.findall(r"t\.enum\('([a-z_]+)'", text))
    en, zh = translator("en"), translator("zh_CN")
    assert set(en.own) == set(zh.own)
    for key in sorted(keys):
        assert (key in en.own or key in en.report.messages) and (
            key in zh.own or key in zh.report.messages
        ), key
    for group in sorted(enums):  # each choice group has entries in both languages
        assert any(k.startswith(group + ".") for k in (*zh.own, *zh.report.messages)), group


def test_a_refusal_is_said_in_the_pages_language(service: Service) -> None:
    csrf = login(service, "wang.wei")
    form = _register_form(csrf, customer="", shipped_qty="many")
    r = service.client.post("/complaints/new?lang=zh_CN", data=form)
    assert r.status_code == 422
    zh = translator("zh_CN")
    assert zh("form_error.missing") in field_error(r.text, "customer")
    assert zh("form_error.int_parsing") in field_error(r.text, "shipped_qty")
    assert field_error(r.text, "customer").startswith(zh("form.refused"))
    assert 'href="/complaints/new?lang=en"' in r.text  # the language switch leads to the form


def test_a_unit_moves_along_its_path_to_a_final_status(service: Service) -> None:
    number = new_complaint(service)
    unit = service.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "U-7", "received_at": "2026-03-02T02:00:00+00:00"},
        headers=service.auth("wang.wei"),
    ).json()
    row = str(unit["id"])
    csrf = login(service, "wang.wei")
    for status in ("on_bench", "analysed"):
        r = _post(service, number, "unit_status", csrf, row=row, status=status, reason="")
        assert r.status_code == 303, r.text[:400]
    assert (
        _post(service, number, "unit_status", csrf, row=row, status="dispositioned").status_code
        == 403
    )
    before = audit_events(service)
    r = _post(service, number, "unit_status", csrf, row=row, status="scrapped", reason="")
    assert r.status_code == 409 and "scrapped" in field_error(r.text, "_form")
    qa = login(service, "zhao.min")
    r = _post(
        service,
        number,
        "unit_status",
        qa,
        row=row,
        status="dispositioned",
        disposition="",
        reason="",
    )
    assert r.status_code == 422 and field_error(r.text, "disposition")
    assert audit_events(service) == before
    r = _post(
        service,
        number,
        "unit_status",
        qa,
        row=row,
        status="dispositioned",
        disposition="scrap",
        reason="cells swollen",
    )
    assert r.status_code == 303, r.text[:400]
    r = _post(service, number, "unit_status", qa, row=row, status="scrapped", reason="")
    assert r.status_code == 422 and "say why" in field_error(r.text, "reason")
    r = _post(service, number, "unit_status", qa, row=row, status="scrapped", reason="as decided")
    assert r.status_code == 303, re.findall(r'role="alert">([^<]*)<', r.text)
    page = service.client.get(r.headers["location"]).text
    assert 'data-serial="U-7" data-status="scrapped"' in page
    assert 'id="form-unit_status-' not in page  # nothing moves from a final status


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_deadline_of_the_process_page_is_named_in_the_pages_language(
    service: Service, lang: str
) -> None:
    """The process page lists ``results.clocks.complaint_clocks``, whose names are not the SLA
    summary's (``registered`` there is ``logged`` here; ``analysis_after_new_info_<n>`` is one per
    piece of new information): each row is labelled from the catalogue, never the bare code."""
    number = new_complaint(service)
    with service.store.sessions() as session:
        received = get_complaint(session, number).received_at
    for days in (1, 2):  # two pieces of new information from the customer: two clocks
        r = service.client.post(
            f"/api/complaints/{number}/clock-events",
            json={"kind": "new_customer_info", "at": (received + timedelta(days=days)).isoformat()},
            headers=service.auth("zhao.min"),
        )
        assert r.status_code == 201, r.text
    login(service, "zhao.min")
    page = service.client.get(f"/complaints/{number}/process?lang={lang}").text
    table = page.split('id="deadline-list"', 1)[1].split("</table>", 1)[0]
    names = re.findall(r'<tr class="sla-[a-z_]+" data-clock="[a-z_0-9]+"><td>([^<]*)</td>', table)
    with service.store.sessions() as session:
        clocks = complaint_clocks(session, get_complaint(session, number).id)
    assert len(names) == len(clocks) and sum("new_info" in c.name for c in clocks) == 2
    assert [n for n in names if re.fullmatch(r"[a-z0-9_]+", n)] == []
    if lang == "zh_CN":
        assert [n for n in names if not re.search(r"[\u4e00-\u9fff]", n)] == []
    assert len(set(names)) == len(names), names  # the two new-information clocks told apart
