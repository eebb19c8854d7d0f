"""The store's refusals (problem and fix) beside the field, in the page's language: the
registration form's and the process page's, in English as the store wrote them and in Chinese
from the catalogue (no English catalogue sentence left)."""

from __future__ import annotations

import pytest
from process_support import add_managers, field_error, login, new_complaint
from service_support import Service
from test_chinese_complete import leaks
from test_eightd_pages import _editor_form, _with_run
from test_process_pages import _register_form

from results.claims import claims_of
from results.complaints import get_complaint
from results.store_words import store_messages
from service.i18n import translator
from service.store_errors import store_error_text

KIND = "test"

CASES = [
    ({"symptom": "explosion", "severity": "general"}, "severity", "store_error.safety_severity"),
    ({"defect_qty": "900", "shipped_qty": "10"}, "defect_qty", "store_error.defect_qty"),
    ({"usage_temperature": "500 degC"}, "usage_temperature", "store_error.temperature_range"),
]


@pytest.mark.parametrize(("overrides", "field", "key"), CASES)
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_store_refusal_on_the_register_form_is_said_in_the_page_s_language(
    service: Service, overrides: dict[str, str], field: str, key: str, lang: str
) -> None:
    csrf = login(service, "wang.wei")
    r = service.client.post(f"/complaints/new?lang={lang}", data=_register_form(csrf, **overrides))
    assert r.status_code == 422, r.text[:400]
    message = field_error(r.text, field)
    en_template, zh_template = store_messages("en")[key], store_messages("zh_CN")[key]
    english_tail = en_template.rsplit("; ", 1)[1].split("{")[0]
    chinese_tail = zh_template.rsplit("；", 1)[1].split("{")[0]
    if lang == "en":
        assert english_tail in message, message
    else:
        assert chinese_tail in message and english_tail not in message, message
        assert leaks(message) == {}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_store_refusal_on_the_process_page_is_said_in_the_page_s_language(
    service: Service, lang: str
) -> None:
    number = new_complaint(service)
    r = service.client.post(
        f"/api/complaints/{number}/pauses",
        json={
            "kind": KIND,
            "reason": "sample build",
            "started_at": "2026-03-05T08:00:00Z",
            "sales_informed": True,
            "customer_informed": True,
        },
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    csrf = login(service, "wang.wei")
    r = service.client.post(
        f"/complaints/{number}/process/pause_end?lang={lang}",
        data={"csrf_token": csrf, "ended_at": "2026-03-04T08:00"},
    )
    assert r.status_code in (409, 422), r.text[:400]
    message = field_error(r.text, "ended_at")
    tail = {"en": "give an end at or after the start", "zh_CN": "结束时间须不早于开始时间"}
    assert tail[lang] in message, message
    if lang == "zh_CN":
        assert tail["en"] not in message and leaks(message) == {}


def test_a_refusal_no_template_fits_is_shown_as_the_store_wrote_it() -> None:
    zh = translator("zh_CN")
    assert store_error_text("something new; do something", zh) == "something new; do something"
    text = "CC-1 has no running pause; start a pause before ending one"
    assert store_error_text(text, translator("en")) == text
    assert store_error_text(text, zh) == "CC-1 没有进行中的暂停；请先开始暂停再结束"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_sign_off_refusals_are_said_in_the_page_s_language(service: Service, lang: str) -> None:
    """The two refusals of a second signature by the same person: the 8D's author approving it,
    the claim's approver confirming it. In Chinese neither the store's English sentence nor a
    field's code (``confirmed_by``) is left."""
    add_managers(service)
    number, run_id = _with_run(service)
    csrf = login(service, "zhao.min")
    assert (
        service.client.post(
            f"/complaints/{number}/8d", data=_editor_form(csrf, run_id), follow_redirects=False
        ).status_code
        == 303
    )
    sign = f"/complaints/{number}/8d/sign?lang={lang}"
    assert service.client.post(sign, data={"csrf_token": csrf, "meaning": "authored"}).is_success
    r = service.client.post(sign, data={"csrf_token": csrf, "meaning": "approved"})
    assert r.status_code == 403, r.text[:400]
    said_8d = field_error(r.text, "_form")
    claim = {"amount_rmb": "38000.50", "basis": "rework", "settlement_way": "credit_to_zero"}
    claim["case_description"] = "Line stopped."
    r = service.client.post(
        f"/complaints/{number}/process/claim", data={"csrf_token": csrf, **claim},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:400]
    with service.store.sessions() as session:
        [row] = claims_of(session, get_complaint(session, number).id)
    csrf = login(service, "zhou.rsm")
    for step, status in (("claim_approve", 303), ("claim_confirm", 422)):
        r = service.client.post(
            f"/complaints/{number}/process/{step}?lang={lang}",
            data={"csrf_token": csrf, "row": str(row.id)},
            follow_redirects=False,
        )
        assert r.status_code == status, r.text[:400]
    said_claim = field_error(r.text, "_form")
    if lang == "en":
        assert said_8d.startswith("zhao.min wrote 8D version 1 and may not approve it")
        assert said_claim.startswith("Confirmed by: zhou.rsm approved claim")
        assert "sales_general_manager" in said_claim
    else:
        assert said_8d == "zhao.min 编写了8D第 1 版，不得自行批准（职责分离）；须由另一人批准"
        assert said_claim.startswith(f"确认人: zhou.rsm 已批准客诉 {number} 的索赔 {row.id}；")
        assert "销售总经理" in said_claim and "confirmed_by" not in said_claim
        assert leaks(said_8d + said_claim) == {}
