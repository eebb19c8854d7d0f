"""The store's refusals (problem and fix) beside the field, in the page's language: the
registration form's and the process page's, in English as the store wrote them and in Chinese
from the catalogue (no English catalogue sentence left)."""

from __future__ import annotations

import pytest
from process_support import field_error, login, new_complaint
from service_support import Service
from test_chinese_complete import leaks
from test_process_pages import _register_form

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
    en_template, zh_template = translator("en").own[key], translator("zh_CN").own[key]
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
