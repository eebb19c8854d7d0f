"""Issue 15's acceptance path, whole, in the system Chromium and in each language: a complaint is
registered on the page, its units come from an inspection request, containment is recorded and
released, the clocks are paused for a test, a simulated bench diagnoses a unit and submits the run
with its bench token, the 8D is written, signed by its author and approved by a second QA user, a
claim above RMB 25,000 gets both sales sign-offs (two other users) and is settled, a report is
created by one QA user and approved by another, the customer feedback form is written and approved
by the QA manager, the units reach final statuses and the complaint is closed.

Every step goes through a page (no API shortcut for anything a page offers); only the diagnosis
arrives over ``POST /api/runs``, as a bench without database access sends it. After each step the
page's state is asserted (the row, its status, the flash said in the page's language) and a
screenshot is kept under ``$PACKBENCH_ARTIFACTS/service/full-path-<lang>/`` (docs/ci.md).

Chromium runs with fontconfig limited to one Latin font (``bare_browser``), as on a machine without
CJK fonts; in Chinese the report page, a plot of the run and the PDF of the approved report are
then checked pixel by pixel for real glyphs (two different strings must not draw alike).
"""

from __future__ import annotations

import base64
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from latin_only_chromium import cjk_pair, two_strings
from process_support import add_managers
from service_support import Service
from test_browser import _login, artifacts, live  # noqa: F401 - the shared fixtures
from test_chinese_fonts_browser import bare_browser  # noqa: F401
from test_pdf_chinese_glyphs import CJK, DPI, _read_pgm, _words, glyph_cells, tofu_pairs
from test_pdf_chinese_glyphs import pytestmark as NEEDS_POPPLER

from bench.pytest_plugin import DEFAULT_ANSWERS, simulated_bench
from bench.runner import diagnosis_options
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from results.models import RunStatus
from results.readback import RecordedRun
from results.run_transfer import run_json
from service.i18n import Translator, translator

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAULT = "deep_discharge_uv"
"""A fault the diagnosis names (root cause and disposition), so the run shows conclusions."""
CLAIM_RMB = "38000.50"
"""Above the RMB 25,000 threshold: both sales sign-offs are needed before settling."""


class Walk:
    """One user's browser tab on the path: it submits forms, checks the flash the page answers
    with in its language, and keeps a numbered screenshot per step."""

    def __init__(self, page: Any, base: str, lang: str, shots: Path, counter: list[int]) -> None:
        self.page = page
        self.base = base
        self.lang = lang
        self.t: Translator = translator(lang)
        self.shots = shots
        self.counter = counter

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        assert self.page.get_attribute("html", "lang") == (
            "zh-CN" if self.lang == "zh_CN" else "en"
        )

    def submit(self, form: str, *, refused: bool = False) -> None:
        """Post ``#form-<form>`` and wait for the page it lands on (post/redirect/get); unless
        ``refused``, no message beside any field (a refusal re-renders the page with them)."""
        with self.page.expect_navigation():
            self.page.click(f"#form-{form} button[type=submit]")
        shown = self.page.locator(".field-error, .form-error")
        assert (shown.count() > 0) == refused, shown.all_inner_texts()

    def refusal(self) -> str:
        """The one refusal the page shows, checked to be in the page's language: in Chinese no
        English store sentence and no bare code (``confirmed_by``, ``sales_general_manager``)."""
        shown = self.page.locator(".form-error, .field-error")
        assert shown.count() == 1, shown.all_inner_texts()
        text: str = shown.inner_text()
        if self.lang == "zh_CN":
            assert CJK.search(text) and not re.search(
                r"[a-z]+_[a-z]+|[a-z]+ [a-z]+ [a-z]+", text
            ), text
        return text

    def flash(self, group: str, action: str) -> None:
        assert self.page.inner_text(".flash") == self.t.enum(group, action)

    def shot(self, name: str) -> None:
        self.counter[0] += 1
        self.page.screenshot(path=self.shots / f"{self.counter[0]:02d}-{name}.png", full_page=True)


def _utc_field(at: datetime) -> str:
    """A ``datetime-local`` value (the forms take UTC)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _open(
    browser: Any, base: str, svc: Service, user: str, lang: str, shots: Path, n: list[int]
) -> Walk:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, base, user, svc.tokens[user])
    walk = Walk(page, base, lang, shots, n)
    walk.go(f"/?lang={lang}")  # the language cookie: every later page of this user follows it
    return walk


def _bench_submits_diagnosis(base: str, token: str, number: str, unit_id: int) -> dict[str, Any]:
    """The simulated bench diagnoses unit U-1 and posts the finished run with its bench token,
    as a bench that records locally does (``POST /api/runs``)."""
    recorder = MemoryRecorder()
    with simulated_bench(FAULT, seed=1) as sim:
        procedure = build_diagnosis(sim.station.fixtures, diagnosis_options(sim.station.config))
        run_procedure(
            procedure,
            instruments=sim.station.instruments,
            recorder=recorder,
            prompts=ScriptedPrompts(DEFAULT_ANSWERS),
            clock=sim.station.clock,
            spec=sim.spec,
            run_info=procedure.run_info(
                station="sim-bench-1",
                operator="wang.wei",
                spec=sim.spec.model,
                unit_serial="U-1",
                complaint_number=number,
            ),
            handle_signals=False,
        )
    memory = recorder.last
    recorded = RecordedRun(0, RunStatus.FINISHED, False, memory.info, memory.steps, memory.outcome)
    document = run_json(recorded) | {"unit_id": unit_id}
    answer = httpx.post(
        f"{base}/api/runs",
        json=document,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text[:500]
    return {c.kind: c.value for c in memory.outcome.conclusions} if memory.outcome else {}


def _no_tofu_on_page(walk: Walk, path: str) -> None:
    """Two different Chinese strings taken from the page draw differently in its own font, and
    alike (boxes) in a font without CJK: the check can fail."""
    walk.go(path)
    first, second = cjk_pair(walk.page.inner_text("body"))
    boxes = two_strings(walk.page, first, second, "font-family:monospace")
    assert boxes[0] == boxes[1], "control: without the served font the glyphs are boxes"
    walk.go(path)
    glyphs = two_strings(walk.page, first, second)
    assert glyphs[0] != glyphs[1], f"{path}: Chinese renders as boxes"


def _no_tofu_in_plot(walk: Walk, src: str, shots: Path) -> None:
    """The run's plot as the page serves it (an ``<img>``, which inherits no page font) draws
    its Chinese label as glyphs: the plot and a copy with two of the label's characters swapped
    render differently, and alike once the SVG's own font is removed (the control: boxes)."""
    svg = walk.page.request.get(f"{walk.base}{src}").text()
    (shots / "plot-zh.svg").write_text(svg, encoding="utf-8")
    labels = re.findall(r">([^<>]*[\u4e00-\u9fff][^<>]*)</text>", svg)
    assert labels, "the zh_CN plot carries no Chinese label"
    label = next((x for x in labels if len(set(CJK.findall(x))) >= 2), "")
    assert label, labels
    a, b = list(dict.fromkeys(CJK.findall(label)))[:2]
    swapped = label.replace(a, "\0").replace(b, a).replace("\0", b)
    other = svg.replace(f">{label}</text>", f">{swapped}</text>", 1)

    def drawn(text: str, keep_font: bool) -> bytes:
        if not keep_font:
            text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
        uri = "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode()
        walk.page.set_content(
            f'<body style="margin:0;background:#fff"><img id="plot" src="{uri}"></body>'
        )
        walk.page.wait_for_function("document.getElementById('plot').complete")
        return bytes(walk.page.locator("#plot").screenshot())

    assert drawn(svg, False) == drawn(other, False), "control: without the font, boxes alike"
    assert drawn(svg, True) != drawn(other, True), f"the plot's label {label!r} renders as boxes"


def _no_tofu_in_pdf(walk: Walk, report_path: str, tmp_path: Path, shots: Path) -> None:
    """The approved report's PDF, fetched as the page's PDF link does, draws its Chinese words
    as distinct glyphs (poppler rasterises it; ``test_pdf_chinese_glyphs`` shows the check fails
    on boxes)."""
    answer = walk.page.request.get(f"{walk.base}{report_path}?format=pdf")
    assert answer.status == 200 and answer.body().startswith(b"%PDF")
    pdf = tmp_path / "report-zh.pdf"
    pdf.write_bytes(answer.body())
    (shots / "report-zh.pdf").write_bytes(answer.body())
    first_page = ["-f", "1", "-l", "1"]
    bbox = subprocess.run(
        ["pdftotext", "-bbox", *first_page, "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = [
        (word, box)
        for page, word, box in _words(bbox)
        if page == 0
        and len(word) >= 3
        and all(CJK.match(ch) for ch in word)
        and len(set(word)) >= 3
    ]
    assert len(words) >= 3, "too little Chinese on the PDF's first page to check"
    prefix = tmp_path / "page1"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(DPI), *first_page, "-singlefile", str(pdf), str(prefix)],
        check=True,
    )
    raster = _read_pgm(prefix.with_suffix(".pgm"))
    for word, box in words[:8]:
        assert tofu_pairs(word, glyph_cells(raster, box, len(word))) == [], word


@pytest.mark.parametrize("lang", ["en", pytest.param("zh_CN", marks=NEEDS_POPPLER)])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_whole_complaint_path_in_chromium(  # type: ignore[no-untyped-def]
    service: Service,
    live: str,  # noqa: F811
    bare_browser,  # noqa: F811
    lang: str,
    tmp_path: Path,
) -> None:
    add_managers(service)  # zhou.rsm (regional sales), wu.sgm (sales GM), sun.qam (QA manager)
    shots = artifacts() / f"full-path-{lang}"
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    n = [0]
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    def tab(user: str) -> Walk:
        return _open(bare_browser, live, service, user, lang, shots, n)

    # ---- register (QA): a refusal beside its field first, then the complaint
    qa = tab("zhao.min")
    t = qa.t
    p = qa.page
    p.click("#nav-register")
    p.fill("#register-customer", "Acme Scanners Ltd")
    p.fill("#register-product_model", "PB-1S2P-18650-5200")
    p.fill("#register-shipped_qty", "500")
    p.fill("#register-defect_qty", "600")
    p.select_option("#register-symptom", "no_power_on")
    p.select_option("#register-severity", "severe")
    p.fill("#register-received_at", _utc_field(now - timedelta(days=1)))
    p.fill("#register-received_by", "li.na")
    p.fill("#register-usage_temperature", "35 degC")
    with p.expect_navigation():
        p.click("#register-submit")
    assert p.locator("[data-field=defect_qty]").count() == 1  # refused beside the field
    qa.shot("register-refused")
    p.fill("#register-defect_qty", "2")
    with p.expect_navigation():
        p.click("#register-submit")
    number = p.url.split("/complaints/")[1].split("?")[0]
    assert re.fullmatch(r"CC-\d{4}-\d{4}", number), p.url
    assert p.inner_text("h1 .status") == t.enum("status", "registered")
    assert "Acme Scanners Ltd" in p.inner_text("table.kv")
    qa.shot("registered")

    # ---- units from an inspection request (return notice, receipt, request: typed and scanned)
    p.click("#link-process")
    assert p.inner_text("h1").startswith(t("proc.title", number=number))
    p.fill("#notice-quantity_expected", "2")
    p.fill("#notice-lots", "L2511")
    p.fill("#notice-carrier_ref", "SF-1")
    p.fill("#notice-sales_person", "li.na")
    qa.submit("notice")
    qa.flash("proc_done", "notice")
    notice = p.get_attribute(".notice", "data-notice")
    p.fill(f"#receipt-{notice}-quantity_received", "2")
    qa.submit(f"receipt-{notice}")
    qa.flash("proc_done", "receipt")
    assert p.locator(".notice .receipt").count() == 1
    p.fill(f"#request-{notice}-units\\.0\\.serial", "U-1")
    p.fill(f"#request-{notice}-units\\.0\\.lot", "L2511")
    p.fill(f"#request-{notice}-scanned", "U-2\n")
    qa.submit(f"request-{notice}")
    qa.flash("proc_done", "request")
    rows = p.locator("tr.unit-row")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.serial, r.dataset.status])") == [
        ["U-1", "received"],
        ["U-2", "received"],
    ]
    qa.shot("units")

    # ---- containment: every area checked, stock sealed, then released
    areas = (("finished_stock", "1"), ("work_in_progress", "0"), ("incoming_material", "0"))
    for area, bad in areas:
        p.select_option("#check-area", area)
        p.fill("#check-qty_checked", "40")
        p.fill("#check-qty_bad", bad)
        qa.submit("check")
        qa.flash("proc_done", "check")
    assert p.locator("#checks tbody tr").count() == 3
    p.select_option("#action-kind", "seal")
    p.fill("#action-owner", "wu.wh")
    p.fill("#action-qty_affected", "40")
    p.fill("#action-location", "WH-2 rack 7")
    qa.submit("action")
    qa.flash("proc_done", "action")
    assert p.get_attribute("tr.containment-action", "data-open") == "yes"
    qa.shot("containment-open")
    p.fill(".release [name=note]", "sorted, one scrapped")
    with p.expect_navigation():
        p.click(".release button[type=submit]")
    qa.flash("proc_done", "release")
    assert p.get_attribute("tr.containment-action", "data-open") == "no"
    assert p.locator("#blockers [data-kind=containment]").count() == 0
    qa.shot("containment-released")

    # ---- pause: a test the customer and sales were told about, started and ended
    p.select_option("#pause_start-kind", "test")
    p.fill("#pause_start-reason", "cell ageing test at the cell maker")
    p.fill("#pause_start-started_at", _utc_field(now - timedelta(hours=20)))
    p.check("#pause_start-sales_informed")
    p.check("#pause_start-customer_informed")
    qa.submit("pause_start")
    qa.flash("proc_done", "pause_start")
    assert p.locator("tr.pause").count() == 1
    assert t("proc.open") in p.inner_text("tr.pause")
    p.fill("#pause_end-ended_at", _utc_field(now - timedelta(hours=2)))
    qa.submit("pause_end")
    qa.flash("proc_done", "pause_end")
    assert t("proc.open") not in p.inner_text("tr.pause")
    assert p.locator(".pause-sentence").count() == 1
    pause_sentence = p.inner_text(".pause-sentence")
    assert "cell ageing test at the cell maker" in pause_sentence
    qa.shot("pause")

    # ---- status: handling report sent, analysis started (the transition form)
    for target in ("handling_reported", "under_analysis"):
        p.select_option("#transition-target", target)
        qa.submit("transition")
        qa.flash("proc_done", "transition")
        assert p.inner_text("h1 .status") == t.enum("status", target)

    # ---- the simulated bench diagnoses U-1 and submits the run with its bench token
    unit_id = int(p.get_attribute("tr.unit-row[data-serial='U-1'] input[name=row]", "value") or 0)
    found = _bench_submits_diagnosis(live, service.tokens["bench-3"], number, unit_id)
    assert found.get("root_cause") and found.get("disposition"), found
    qa.go(f"/complaints/{number}")
    runs = p.locator(".unit[data-serial='U-1'] table.runs tbody tr")
    assert runs.count() == 1
    run_id = (runs.locator("a").get_attribute("href") or "").removeprefix("/runs/")
    assert run_id.isdigit()
    assert t.enum("root_cause", found["root_cause"]) in runs.inner_text()
    assert "sim-bench-1" in runs.inner_text()
    assert p.locator(".plots img").count() >= 1
    qa.shot("diagnosis-received")

    # ---- 8D written (pre-filled from the records) and signed by its author
    p.click("#link-8d")
    p.wait_for_selector("#prefilled")
    assert p.get_attribute("#eightd-current", "data-status") == "none"
    # pre-filled: the pause is written into D2 (the maker's rule), the diagnosis into D4 with
    # its run picked as evidence (a link that opens the run)
    assert pause_sentence in p.input_value('[name="problem.when"]')
    cause = p.locator("#d4 .cause-row").first
    picked = cause.locator("label.evidence[data-kind=run]", has=p.locator("input:checked"))
    assert picked.count() == 1
    assert picked.locator("a").get_attribute("href") == f"/runs/{run_id}"
    p.fill('[name="team.0.name"]', "Zhao Min")
    p.fill('[name="team.0.department"]', "QA")
    p.fill('[name="causes.0.description"]', "cells deep-discharged in storage below 2.5 V")
    p.select_option('[name="causes.0.status"]', "verified")
    with p.expect_navigation():
        p.click("#eightd-save")
    qa.flash("eightd_done", "saved")
    assert p.get_attribute("#eightd-current", "data-status") == "draft"
    assert p.input_value('[name="causes.0.description"]').startswith("cells deep-discharged")
    p.select_option("#sign-meaning", "authored")
    with p.expect_navigation():
        p.click("#eightd-sign")
    qa.flash("eightd_done", "signed")
    assert p.locator("tr.signature[data-meaning=authored]").count() == 1
    qa.shot("8d-authored")
    p.select_option("#sign-meaning", "approved")  # the author may not approve their own 8D
    with p.expect_navigation():
        p.click("#eightd-sign")
    assert "zhao.min" in qa.refusal()  # names who wrote it
    assert p.get_attribute("#eightd-current", "data-status") == "draft"

    # ---- claim above the threshold, opened by QA; settling is refused until both sign-offs
    qa.go(f"/complaints/{number}/process#claims")
    p.fill("#claim-amount_rmb", CLAIM_RMB)
    p.fill("#claim-basis", "rework fee for the customer's line stop")
    p.select_option("#claim-settlement_way", "labour_paid_in_goods")
    p.fill("#claim-case_description", "Line stopped two shifts; 2 packs dead on arrival.")
    qa.submit("claim")
    qa.flash("proc_done", "claim")
    claim = p.locator("tr.claim")
    assert claim.get_attribute("data-status") == "open"
    assert t("claim_missing.sales_approval") in claim.inner_text()
    claim_id = claim.locator("td").first.inner_text().strip()
    qa.shot("claim-open")

    # ---- a second QA user approves the 8D (the author may not) and the report later
    qa2 = tab("qian.li")
    qa2.go(f"/complaints/{number}/8d")
    qa2.page.select_option("#sign-meaning", "approved")
    with qa2.page.expect_navigation():
        qa2.page.click("#eightd-sign")
    qa2.flash("eightd_done", "signed")
    assert qa2.page.get_attribute("#eightd-current", "data-status") == "signed"
    assert qa2.page.locator("tr.signature[data-meaning=approved]").count() == 1
    assert qa2.page.locator("#eightd-sign").count() == 0  # signed: nothing left to sign
    qa2.shot("8d-approved")

    # ---- the claim's two sign-offs: regional sales manager approves, sales GM confirms
    rsm = tab("zhou.rsm")
    rsm.go(f"/complaints/{number}/process#claims")
    rsm.submit(f"claim_approve-{claim_id}")
    rsm.flash("proc_done", "claim_approve")
    assert rsm.page.get_attribute("tr.claim", "data-status") == "approved"
    rsm.submit(f"claim_confirm-{claim_id}", refused=True)  # nor confirm what they approved
    said = rsm.refusal()
    assert (t("role.sales_general_manager") if lang == "zh_CN" else "sales_general_manager") in said
    assert "zhou.rsm" in said
    assert rsm.page.get_attribute("tr.claim", "data-status") == "approved"
    rsm.shot("claim-approved")
    rsm.page.context.close()
    sgm = tab("wu.sgm")
    sgm.go(f"/complaints/{number}/process#claims")
    sgm.submit(f"claim_confirm-{claim_id}")
    sgm.flash("proc_done", "claim_confirm")
    assert sgm.page.get_attribute("tr.claim", "data-status") == "confirmed"
    assert "wu.sgm" in sgm.page.inner_text("tr.claim") and "zhou.rsm" in sgm.page.inner_text(
        "tr.claim"
    )
    sgm.shot("claim-confirmed")
    sgm.page.context.close()
    qa.go(f"/complaints/{number}/process#claims")
    p.fill(f"#claim_settle-{claim_id}-reference", "credit note CN-2026-17")
    qa.submit(f"claim_settle-{claim_id}")
    qa.flash("proc_done", "claim_settle")
    assert p.get_attribute("tr.claim", "data-status") == "settled"
    qa.shot("claim-settled")

    # ---- the units reach final statuses: QA's disposition, then the path's end. U-1 as the
    # diagnosis proposed (recharged and returned), U-2 (not diagnosed) scrapped.
    paths = {
        "U-1": (found["disposition"], "returned_to_customer", "recharged, passed, sent back"),
        "U-2": ("scrap", "scrapped", "cells not recoverable"),
    }
    for serial, (disposition, final, reason) in paths.items():
        row = f"tr.unit-row[data-serial='{serial}']"
        p.select_option(f"{row} select[name=status]", "dispositioned")
        p.select_option(f"{row} select[name=disposition]", disposition)
        with p.expect_navigation():
            p.click(f"{row} button[type=submit]")
        qa.flash("proc_done", "unit_status")
        assert p.get_attribute(row, "data-status") == "dispositioned"
        assert t.enum("disposition", disposition) in p.inner_text(row)
        p.select_option(f"{row} select[name=status]", final)
        p.fill(f"{row} input[name=reason]", reason)  # a move after the disposition says why
        with p.expect_navigation():
            p.click(f"{row} button[type=submit]")
        qa.flash("proc_done", "unit_status")
        assert p.get_attribute(row, "data-status") == final
        assert p.locator(f"{row} form").count() == 0  # a final status: no move left
    qa.shot("units-final")

    # ---- QA decides (the transition form) and writes the customer feedback form
    p.select_option("#transition-target", "decided")
    p.fill("#transition-decision", "scrap the two packs and replace them")
    p.fill("#transition-rationale", "cells deep-discharged; not recoverable")
    qa.submit("transition")
    assert p.inner_text("h1 .status") == t.enum("status", "decided")
    p.fill("#feedback-proposed_solution", "Replace the 2 packs; storage instruction updated.")
    qa.submit("feedback")
    qa.flash("proc_done", "feedback")
    assert p.inner_text("#feedback .proposed").startswith("Replace the 2 packs")
    kinds = p.locator("#blockers .blocker").evaluate_all("ls => ls.map(l => l.dataset.kind)")
    assert sorted(set(kinds)) == ["feedback", "report"], kinds
    assert p.locator("#form-close button[type=submit]").is_disabled()
    qa.shot("feedback-written")

    # ---- report created by QA, approved by the second QA user
    qa.go(f"/complaints/{number}#reports")
    p.click("#create-report")
    p.wait_for_selector("tr.report[data-status=draft]")
    assert p.locator("tr.report").count() == 1
    assert p.inner_text("tr.report td:nth-child(3)") == lang
    report_path = p.get_attribute("tr.report a", "href")
    assert p.locator("tr.report button.approve").count() == 1
    qa.shot("report-draft")
    qa2.go(f"/complaints/{number}#reports")
    with qa2.page.expect_navigation():
        qa2.page.click("tr.report button.approve")
    qa2.page.wait_for_selector("tr.report[data-status=approved]")
    assert "Qian Li" in qa2.page.inner_text("tr.report")
    assert qa2.page.locator("tr.report button.approve").count() == 0
    qa2.shot("report-approved")
    qa2.go(report_path)  # the report carries the signed 8D and the run's diagnosis
    report_text = qa2.page.inner_text("body")
    assert "cells deep-discharged in storage below 2.5 V" in report_text
    assert t.enum("root_cause", found["root_cause"]) in report_text
    dispositions = qa2.page.locator("section#disposition tbody tr")
    assert dispositions.count() == 2  # each unit with QA's decision (U-1: the run's proposal)
    assert t.enum("disposition", found["disposition"]) in dispositions.first.inner_text()
    qa2.shot("report-page")
    qa2.page.context.close()

    # ---- the QA manager approves the feedback form
    qam = tab("sun.qam")
    qam.go(f"/complaints/{number}/process#closure")
    qam.submit("feedback_approve")
    qam.flash("proc_done", "feedback_approve")
    assert "sun.qam" in qam.page.inner_text("#feedback")
    assert qam.page.locator("#blockers .blocker").count() == 0
    assert qam.page.inner_text("#blockers p.muted") == t("proc.no_blockers")
    qam.shot("feedback-approved")
    qam.page.context.close()

    # ---- closure
    qa.go(f"/complaints/{number}/process#closure")
    p.fill("#close-note", "packs replaced, customer agreed")
    qa.submit("close")
    qa.flash("proc_done", "close")
    assert p.inner_text("h1 .status") == t.enum("status", "closed")
    assert p.locator("#form-close").count() == 0
    qa.shot("closed-process")
    qa.go(f"/complaints/{number}")
    assert p.inner_text("h1 .status") == t.enum("status", "closed")
    qa.shot("closed")

    if lang == "zh_CN":  # the glyphs, on a browser that has no CJK font of its own
        _no_tofu_on_page(qa, report_path)
        qa.go(f"/complaints/{number}")
        plot = p.get_attribute(".plots img", "src")
        assert plot and "lang=zh_CN" in plot
        _no_tofu_in_plot(qa, plot, shots)
        _no_tofu_in_pdf(qa, report_path, tmp_path, shots)
    p.context.close()
