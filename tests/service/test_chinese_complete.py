"""Chinese is complete: every catalogue has every key in both languages, and no page or report
rendered in zh_CN shows an English sentence taken from a catalogue's English side."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest
from catalogue_leaks import (
    CATALOGUES,
    english_sentences,
    leaks,
    load_catalogue,
    raw_codes,
    visible_text,
)
from documents import run_document
from process_support import new_complaint
from pypdf import PdfReader
from service_support import Service
from test_manual_pages import _login

from bench.cli_common import station
from bench.demo import ANSWERS as DEMO_ANSWERS
from bench.demo import register_demo_complaint
from bench.runner import run_unit
from bench.store_setting import DATABASE_ENV
from procedures.prompts import ScriptedPrompts
from results.closure import closure_blocker_messages
from results.complaints import get_complaint
from results.models import Run
from results.store_words import store_messages
from service.i18n import translator
from simulators.faults import CATALOGUE

__all__ = ["leaks", "visible_text"]  # other "Chinese is complete" tests import them from here


@pytest.mark.parametrize("name", sorted(CATALOGUES))
def test_every_catalogue_has_every_key_in_both_languages(name: str) -> None:
    package, folder = CATALOGUES[name]
    en, zh = load_catalogue(package, folder, "en"), load_catalogue(package, folder, "zh_CN")
    assert sorted(set(en) - set(zh)) == [], f"{name}: keys missing in zh_CN"
    assert sorted(set(zh) - set(en)) == [], f"{name}: keys missing in en"
    empty = sorted(k for k in en if not en[k].strip() or not zh[k].strip())
    assert empty == [], f"{name}: empty texts"


def test_the_raw_code_check_catches_a_category_code() -> None:
    assert raw_codes("充电结束：cut_off；电压类别 normal") == {"cut_off", "normal"}
    assert raw_codes("充电结束：提前切断 [wake_recharge/charge_end]") == set()
    assert raw_codes("pack_tests/pack_path") == set()  # a reference, not a category


def test_the_leak_check_catches_an_english_sentence() -> None:
    key, sentence = next(iter(english_sentences().items()))
    assert key in leaks(f"<p>前文 {sentence} 后文</p>")
    assert leaks("<p>全是中文</p>") == {}


def _embedded_fonts(reader: PdfReader) -> set[str]:
    """Base names of the fonts whose program travels in the PDF (FontFile2: TrueType), so a
    reader without CJK fonts draws the glyphs; pdftoppm is not on every bench for a pixel check."""
    names: set[str] = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]))
    return names


def _store_with_everything(svc: Service) -> tuple[str, int, int]:
    c = svc.client
    number = new_complaint(svc)
    unit = c.post(
        f"/api/complaints/{number}/units",
        json={"serial": "U-1", "lot": "L2511", "received_at": "2026-03-02T01:30:00Z"},
        headers=svc.auth("wang.wei"),
    ).json()
    r = c.post(
        "/api/runs",
        json=run_document(unit["id"], unit["serial"], number),
        headers=svc.auth("bench-3"),
    )
    assert r.status_code in (200, 201), r.text
    run_id = r.json()["id"]
    r = c.post(
        "/api/claims",
        json={
            "complaint_number": number,
            "amount_rmb": "38000.50",
            "basis": "rework fee",
            "settlement_way": "labour_paid_in_goods",
            "case_description": "Line stopped two days at the customer.",
        },
        headers=svc.auth("zhao.min"),
    )
    assert r.status_code == 201, r.text
    r = c.post(
        f"/api/complaints/{number}/reports",
        json={"locale": "zh_CN"},
        headers=svc.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    return number, run_id, r.json()["id"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pages_and_reports_in_chinese_show_no_english_catalogue_sentence(
    service: Service, tmp_path: Path
) -> None:
    number, run_id, report_id = _store_with_everything(service)
    c = service.client
    found: dict[str, dict[str, str]] = {}
    shown_codes: dict[str, set[str]] = {}
    for user, paths in (
        (
            "zhao.min",
            [
                "/",
                "/complaints/new",
                f"/complaints/{number}",
                f"/complaints/{number}/process",
                f"/complaints/{number}/8d",
                f"/runs/{run_id}",
            ],
        ),
        ("admin", ["/admin"]),
    ):
        _login(service, user)
        for path in paths:
            page = c.get(f"{path}?lang=zh_CN")
            assert page.status_code == 200, (path, page.text[:300])
            found[path] = leaks(visible_text(page.text))
            shown_codes[path] = raw_codes(visible_text(page.text))
            if path.endswith("/process"):
                assert "区域销售经理批准" in page.text and "销售总经理确认" in page.text
    _login(service, "zhao.min")
    run_page = c.get(f"/runs/{run_id}?lang=zh_CN").text
    plots = re.findall(r'src="(/traces/\d+\.svg[^"]*)"', run_page)
    assert plots
    for src in plots:
        svg = c.get(html.unescape(src)).text
        assert "时间" in svg and "voltage (" not in svg and "电压 (V)" in svg, src
    report_html = c.get(f"/reports/{report_id}")
    assert report_html.status_code == 200
    found["report.html"] = leaks(visible_text(report_html.text))
    shown_codes["report.html"] = raw_codes(visible_text(report_html.text))
    assert "电压 (V)" in report_html.text
    report_pdf = c.get(f"/reports/{report_id}?format=pdf")
    assert report_pdf.status_code == 200
    pdf_text = "\n".join(
        p.extract_text() or "" for p in PdfReader(io.BytesIO(report_pdf.content)).pages
    )
    found["report.pdf"] = leaks(pdf_text)
    shown_codes["report.pdf"] = raw_codes(pdf_text)
    assert "电压" in pdf_text
    assert _embedded_fonts(PdfReader(io.BytesIO(report_pdf.content))), "the PDF embeds no font"
    assert {k: v for k, v in found.items() if v} == {}
    assert {k: v for k, v in shown_codes.items() if v} == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_closure_blockers_read_the_same_from_the_catalogue_and_translate(
    service: Service,
) -> None:
    """The English catalogue text, formatted with a blocker's values, is the text the CLI
    prints; the Chinese one is a different sentence."""
    number, _run, _report = _store_with_everything(service)
    zh = translator("zh_CN")
    with service.store.sessions() as session:
        complaint = get_complaint(session, number)
        messages = closure_blocker_messages(session, complaint.id)
    assert {m.key for m in messages} >= {
        "closure.feedback_missing",
        "closure.report_missing",
        "closure.unit_open",
        "closure.containment_unchecked",
        "closure.claim_open",
    }
    for m in messages:
        assert store_messages("en")[m.key].format(**m.values) == m.text
        shown = zh.message(m)
        assert shown != m.text
        for name, group in m.codes.items():
            for code in str(m.values[name]).split(", "):
                assert zh.enum(group, code) in shown and code not in shown, (code, shown)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_major_complaint_blockers_are_translated_on_the_page(service: Service) -> None:
    number = new_complaint(service, symptom="leakage", severity="severe")
    r = service.client.post(
        f"/api/complaints/{number}/major", json={}, headers=service.auth("zhao.min")
    )
    assert r.status_code == 201, r.text
    en, zh = translator("en"), translator("zh_CN")
    with service.store.sessions() as session:
        complaint = get_complaint(session, number)
        messages = closure_blocker_messages(session, complaint.id)
    majors = [m for m in messages if m.key == "closure.major"]
    assert majors
    for m in majors:
        assert store_messages("en")[m.key].format(**m.values) == m.text
        assert en.message(m) == m.text  # the nested major blocker reads the same
        assert zh.message(m).startswith("重大客诉：") and m.text not in zh.message(m)
    _login(service, "zhao.min")
    for path in (f"/complaints/{number}", f"/complaints/{number}/process"):
        page = service.client.get(f"{path}?lang=zh_CN")
        assert page.status_code == 200
        assert leaks(visible_text(page.text)) == {}, path
        assert "未附客户书面认可" in page.text, path


def _diagnose_every_fault(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, int]]:
    """One complaint with a unit per catalogue fault, each diagnosed in full on the built-in
    simulated station into the service's store (as ``packbench demo`` does); fault -> run id.
    A fault the station's pack cannot carry (imbalance needs cells in series) runs on the spec
    the fault matrix gives it."""
    monkeypatch.setenv(DATABASE_ENV, service.settings.database_url)
    config = station(None)
    sessions = service.store.sessions
    faults = sorted(CATALOGUE)
    number, serials = register_demo_complaint(sessions, faults)
    prompts = ScriptedPrompts(DEMO_ANSWERS)
    runs: dict[str, int] = {}
    for serial, fault in zip(serials, faults, strict=True):
        outcome = run_unit(
            config,
            procedure="diagnosis",
            complaint=number,
            unit=serial,
            prompts=prompts,
            sim_fault=fault,
            spec=SPEC_FOR.get(fault),
            sessions=sessions,
            handle_signals=False,
        )
        assert outcome.run_id is not None, fault
        runs[fault] = int(outcome.run_id)
    return number, runs


SPEC_FOR = {"series_imbalance": "PB-2S1P-18650-2600"}


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_fault_s_diagnosis_reads_in_chinese_on_pages_report_and_letter(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Explanations, advice, skip reasons and step messages the procedures recorded, over every
    catalogue fault: no English sentence of any catalogue (the procedures' included) on the
    zh_CN run pages, in the zh_CN report (HTML and PDF) or in the zh_CN reply letter; and the
    English pages still show the recorded English."""
    number, runs = _diagnose_every_fault(service, monkeypatch)
    c = service.client
    _login(service, "zhao.min")
    found: dict[str, dict[str, str]] = {}
    codes: dict[str, set[str]] = {}
    explained = 0
    english_keys: set[str] = set()
    for fault, run_id in runs.items():
        page = c.get(f"/runs/{run_id}?lang=zh_CN")
        assert page.status_code == 200, (fault, page.text[:300])
        found[f"run {fault}"] = leaks(visible_text(page.text))
        codes[f"run {fault}"] = raw_codes(visible_text(page.text))
        with service.store.sessions() as session:
            run = session.get(Run, run_id)
            assert run is not None
            conclusions = list(run.conclusions or [])
        explained += len(conclusions)
        english = c.get(f"/runs/{run_id}?lang=en").text
        for conclusion in conclusions:
            assert conclusion["explanation"] in visible_text(english), fault
        # the check would see them: the English page shows the procedures' catalogue sentences
        english_keys |= set(leaks(visible_text(english)))
    assert explained > 4 * len(runs)
    procedure_keys = set(load_catalogue("procedures", "locale", "en"))
    assert len(english_keys & procedure_keys) > 10, english_keys
    r = c.post(
        f"/api/complaints/{number}/reports",
        json={"locale": "zh_CN"},
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    report_id = r.json()["id"]
    report_html = c.get(f"/reports/{report_id}")
    assert report_html.status_code == 200
    found["report.html"] = leaks(visible_text(report_html.text))
    codes["report.html"] = raw_codes(visible_text(report_html.text))
    report_pdf = c.get(f"/reports/{report_id}?format=pdf")
    assert report_pdf.status_code == 200
    reader = PdfReader(io.BytesIO(report_pdf.content))
    pdf_text = "\n".join(p.extract_text() or "" for p in reader.pages)
    found["report.pdf"] = leaks(pdf_text)
    codes["report.pdf"] = raw_codes(pdf_text)
    page = c.get(f"/complaints/{number}/8d?lang=zh_CN")
    assert page.status_code == 200
    codes["8d"] = raw_codes(visible_text(page.text))
    r = c.post(
        f"/api/complaints/{number}/replies",
        json={"language": "zh_CN"},
        headers=service.auth("zhao.min"),
    )
    assert r.status_code == 201, r.text
    found["reply"] = leaks(json.dumps(r.json(), ensure_ascii=False))
    codes["reply"] = raw_codes(r.json()["body"])

    assert {k: v for k, v in found.items() if v} == {}
    assert {k: v for k, v in codes.items() if v} == {}, "category codes shown raw in zh_CN"
