"""The 8D pre-fill is written in the asked language: no store code (symptom, containment area,
action kind, conclusion kind) and, in zh_CN, no English sentence of any catalogue (the leak check
of ``test_chinese_complete``) in the draft the 8D page and the API offer."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from documents import T0, run_document
from process_support import login, new_complaint
from service_support import Service
from test_chinese_complete import leaks, visible_text

from procedures.phrases import messages as procedure_messages
from results.complaints import get_complaint
from results.containment import ActionKind, Area
from results.eightd_form import EightDForm
from results.eightd_prefill import prefill_from_records
from results.phrase_rules import find_phrases
from results.reports.labels import catalogue

EXPLANATION_KEY = "finding.fuse_open"
"""A recorded explanation from the procedures' record catalogue (stored as its English text)."""

ACTIONS = (ActionKind.FREEZE_OUTGOING_STOCK, ActionKind.STOP_PRODUCTION)
CONCLUSIONS = {"root_cause": "fuse_open", "disposition": "repair_board", "symptom": "no_power_on"}


def _complaint_with_everything(svc: Service) -> str:
    """Shipment date, time in use, a pause, every area checked, two actions (one described),
    a run whose conclusions carry a catalogue explanation and bare coded values."""
    c = svc.client
    number = new_complaint(svc, shipment_date="2026-01-15")
    qa, tech = svc.auth("zhao.min"), svc.auth("wang.wei")
    base = f"/api/complaints/{number}"
    start = {
        "kind": "sample_build",
        "reason": "10 samples with the new weld",
        "started_at": (T0 + timedelta(hours=1)).isoformat(),
        "sales_informed": True,
        "customer_informed": True,
    }
    assert c.post(f"{base}/pauses", json=start, headers=tech).status_code == 201
    end = {"ended_at": (T0 + timedelta(hours=3)).isoformat()}
    assert c.post(f"{base}/pauses/end", json=end, headers=tech).status_code == 200
    for area in Area:
        r = c.post(
            f"{base}/containment/checks",
            json={"area": area.value, "qty_checked": 40, "qty_bad": 1},
            headers=tech,
        )
        assert r.status_code == 201, r.text
    for i, kind in enumerate(ACTIONS):
        body = {"kind": kind.value, "owner": "wu.wh", "qty_affected": 40}
        if i:
            body["description"] = "线体 3"
        r = c.post(f"{base}/containment/actions", json=body, headers=qa)
        assert r.status_code == 201, r.text
    unit = c.post(
        f"{base}/units",
        json={"serial": "U-1", "received_at": T0.isoformat()},
        headers=tech,
    ).json()
    doc = run_document(unit["id"], "U-1", number)
    evidence = doc["outcome"]["conclusions"][0]["evidence"]
    explanation = procedure_messages("en")[EXPLANATION_KEY]
    doc["outcome"]["conclusions"] = [
        {
            "kind": kind,
            "value": value,
            "explanation": explanation if i == 0 else "",
            "evidence": evidence,
        }
        for i, (kind, value) in enumerate(CONCLUSIONS.items())
    ]
    r = c.post("/api/runs", json=doc, headers=svc.auth("bench-3"))
    assert r.status_code == 201, r.text
    return number


def _codes() -> set[str]:
    """Every code the draft must show by its label (a code with no ``_`` reads as a word)."""
    codes = {a.value for a in Area} | {k.value for k in ACTIONS}
    codes |= set(CONCLUSIONS) | set(CONCLUSIONS.values())
    return {code for code in codes if "_" in code}


def _text(form: EightDForm) -> str:
    return json.dumps(form.model_dump(mode="json"), ensure_ascii=False)


def _draft(svc: Service, number: str, lang: str) -> EightDForm:
    with svc.store.sessions() as session:
        return prefill_from_records(session, get_complaint(session, number).id, lang)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_prefill_shows_labels_not_codes(service: Service, lang: str) -> None:
    number = _complaint_with_everything(service)
    draft = _draft(service, number, lang)
    text = _text(draft)
    t = catalogue(lang)
    assert sorted(code for code in _codes() if code in text) == []
    assert t.enum("symptom", "no_power_on") in draft.problem.what
    assert {line.location for line in draft.containment} >= {t.enum("area", a) for a in Area}
    methods = " ".join(line.method for line in draft.containment)
    assert all(t.enum("action_kind", k.value) in methods for k in ACTIONS)
    descriptions = [cause.description for cause in draft.causes]
    assert procedure_messages(lang)[EXPLANATION_KEY] in descriptions
    assert t.enum("disposition", "repair_board") in descriptions
    assert draft.problem.when.count("2026") >= 2  # shipped, received (and the pause)
    if lang == "zh_CN":
        assert leaks(text) == {}
        assert re.search(r"\b(received|shipped|days in use)\b", text) is None, text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_8d_page_prefills_in_chinese(service: Service) -> None:
    number = _complaint_with_everything(service)
    login(service, "zhao.min")
    page = service.client.get(f"/complaints/{number}/8d?lang=zh_CN")
    assert page.status_code == 200, page.text[:300]
    values = " ".join(re.findall(r'value="([^"]*)"', page.text))
    values += " ".join(re.findall(r"<textarea[^>]*>([^<]*)</textarea>", page.text))
    assert sorted(code for code in _codes() if code in values) == []
    assert leaks(visible_text(page.text) + " " + values) == {}
    assert catalogue("zh_CN").enum("area", "finished_stock") in values


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_run_page_shows_step_and_measurement_labels_then_codes(service: Service) -> None:
    """The measurement table reads in the page's language; the recorded names stay visible
    under the labels (QA searches the records by them)."""
    number = _complaint_with_everything(service)
    login(service, "zhao.min")
    with service.store.sessions() as session:
        run_id = get_complaint(session, number).units[0].runs[0].id
    zh = catalogue("zh_CN")
    page = service.client.get(f"/runs/{run_id}?lang=zh_CN").text
    for label, code in (
        (zh["step_name.voltage_check"], "voltage_check"),
        (zh["measurement_name.wake_response"], "wake_response"),
    ):
        assert re.search(rf'<td[^>]*>{label}<br><small class="why code">{code}</small>', page)
    english = service.client.get(f"/runs/{run_id}?lang=en").text
    assert catalogue("en")["step_name.wake_recharge"] in english


QUOTED = "wake_recharge/wake_response"
"""A measurement a recorded explanation quotes by its code (a step/name reference)."""


def _quoting_complaint(svc: Service) -> tuple[str, int]:
    """A complaint whose run's conclusion explanation names a failed measurement by its code
    (``finding.unexplained``, as the diagnosis records it); its number and the run id."""
    number = new_complaint(svc)
    tech = svc.auth("wang.wei")
    unit = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "U-9", "received_at": T0.isoformat()},
        headers=tech,
    ).json()
    doc = run_document(unit["id"], "U-9", number)
    first = doc["outcome"]["conclusions"][0]
    first["explanation"] = procedure_messages("en")["finding.unexplained"].format(named=QUOTED)
    doc["outcome"]["conclusions"] = [first]
    r = svc.client.post("/api/runs", json=doc, headers=svc.auth("bench-3"))
    assert r.status_code == 201, r.text
    return number, int(r.json()["id"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_chinese_draft_names_quoted_records_in_words_and_cites_them_as_evidence(
    service: Service,
) -> None:
    """The editable draft carries words only (no ``label [code]``); the quoted measurement is
    cited as evidence (``<run>/<step>/<name>``), in both languages alike; English keeps the
    recorded sentence."""
    number, run_id = _quoting_complaint(service)
    zh = _draft(service, number, "zh_CN")
    en = _draft(service, number, "en")
    (zh_cause,) = zh.causes
    (en_cause,) = en.causes
    assert catalogue("zh_CN")["measurement_name.wake_response"] in zh_cause.description
    assert "[" not in zh_cause.description and QUOTED not in zh_cause.description
    words = " ".join(_strings(zh.model_dump(mode="json", exclude={"causes": {0: {"evidence"}}})))
    assert re.search(r"[a-z]_[a-z]", words) is None, words
    assert QUOTED in en_cause.description  # the record itself, as recorded
    cited = [(e.kind, e.ref) for e in zh_cause.evidence]
    assert cited == [("run", str(run_id)), ("measurement", f"{run_id}/{QUOTED}")]
    assert [(e.kind, e.ref) for e in en_cause.evidence] == cited


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_draft_proposes_no_forbidden_phrase(service: Service, lang: str) -> None:
    """The draft is prose QA signs and the customer's 8D shows: the pre-fill itself must never
    put one of the manual's forbidden phrases (records-and-reports.md 0.2) into it."""
    number = _complaint_with_everything(service)
    quoting, _run = _quoting_complaint(service)
    for each in (number, quoting):
        form = _draft(service, each, lang).model_dump(mode="json")
        texts = [v for v in _strings(form) if v.strip()]
        assert texts
        assert {t: find_phrases(t) for t in texts if find_phrases(t)} == {}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
