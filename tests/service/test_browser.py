"""The QA pages in the system Chromium: log in, open a complaint whose run came from the
simulated bench, upload a CSV log and a photo, approve the report, and find it locked."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import uvicorn
from documents import CSV_LOG, T0, complaint_payload, png_bytes
from required_services import CHROMIUM
from service_support import Service

from instruments.factory import open_instrument
from procedures.clock import SimulatedClock
from procedures.context import BenchInstruments
from procedures.diagnosis.fixtures import ControlFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import run_procedure
from procedures.prompts import ScriptedPrompts
from procedures.specs import SPEC_DIR, load_spec
from results.recorder import DatabaseRecorder
from simulators.launcher import start_bench

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWERS: dict[str, object] = {
    "usage_device": "handheld scanner",
    "usage_charger": "original",
    "usage_temperature": "normal",
    "usage_time_in_use": "1_to_12_months",
    "usage_location": "indoor",
    "known_good_pack_works": "yes",
    "pack_swelling": "none",
    "disassembly_confirm": True,
    "cell_swelling": "none",
}


def artifacts() -> Path:
    path = Path(os.environ.get("PACKBENCH_ARTIFACTS", "tests-artifacts")) / "service"
    path.mkdir(parents=True, exist_ok=True)
    return path


def simulated_run(svc: Service, fault: str = "deep_discharge_uv") -> str:
    """A complaint with one unit diagnosed on the simulated bench, recorded into the store."""
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    number = r.json()["number"]
    unit = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "U-1", "lot": "L2511", "received_at": T0.isoformat()},
        headers=svc.auth("wang.wei"),
    ).json()
    spec = load_spec(SPEC_DIR / "PB-1S2P-18650-5200.toml")
    with ExitStack() as stack:
        sim = stack.enter_context(start_bench(fault=fault, spec=spec.source, seed=1))

        def inst(role: str):  # type: ignore[no-untyped-def]
            endpoint = sim.instruments[role]
            target = endpoint.pty if role == "rmeter" else endpoint.resource
            instrument = open_instrument(target, role=role, timeout=2.0)
            stack.callback(instrument.close)
            return instrument

        bench = BenchInstruments(
            multimeter=inst("dmm"),
            source=inst("source"),
            load=inst("load"),
            resistance_meter=inst("rmeter"),
            thermometer=inst("temperature"),
        )
        clock = SimulatedClock(sim.control_address)
        stack.callback(clock.close)
        procedure = build_diagnosis(ControlFixtures(clock))
        run_procedure(
            procedure,
            instruments=bench,
            recorder=DatabaseRecorder(
                svc.store.sessions, unit_id=unit["id"], evidence=svc.store.evidence
            ),
            prompts=ScriptedPrompts(ANSWERS),
            clock=clock,
            spec=spec,
            run_info=procedure.run_info(
                station="sim",
                operator="wang.wei",
                spec=spec.model,
                unit_serial="U-1",
                complaint_number=number,
            ),
            handle_signals=False,
        )
    return number


@pytest.fixture
def live(service: Service) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(
        uvicorn.Config(service.client.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _login(page, base: str, user: str, token: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#user", user)
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_qa_flow_in_chromium(service: Service, live: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    number = simulated_run(service)
    shots = artifacts()
    csv_file = tmp_path / "recharge_log.csv"
    csv_file.write_bytes(CSV_LOG)
    photo = tmp_path / "pack_photo.png"
    photo.write_bytes(png_bytes(64, 48))

    tech = browser.new_context()
    page = tech.new_page()
    _login(page, live, "wang.wei", service.tokens["wang.wei"])
    row = page.locator(f"tr[data-number='{number}']")
    assert "overdue" in (row.get_attribute("class") or "")
    page.screenshot(path=shots / "01-complaints.png", full_page=True)
    page.click(f"text={number}")
    assert page.locator("table.runs tbody tr").count() == 1
    assert page.locator(".plots img").count() >= 1
    for f in (csv_file, photo):
        page.set_input_files("input[name=file]", str(f))
        page.click("#upload button[type=submit]")  # sent by the page's script (progress)
        page.wait_for_selector(f"tr.attachment a:text-is('{f.name}')")
        page.wait_for_selector(".flash")
    assert page.locator("tr.attachment").count() == 2
    page.click("#create-report")
    page.wait_for_selector("tr.report[data-status=draft]")
    assert page.locator("button.approve").count() == 0  # technicians do not approve
    page.screenshot(path=shots / "02-complaint-technician.png", full_page=True)
    page.click("table.runs a")
    page.wait_for_selector("#measurements")
    page.screenshot(path=shots / "03-run.png", full_page=True)
    tech.close()

    qa = browser.new_context()
    page = qa.new_page()
    _login(page, live, "zhao.min", service.tokens["zhao.min"])
    page.goto(f"{live}/complaints/{number}?lang=zh_CN")
    assert "客诉" in page.content()
    page.click("button.approve")
    page.wait_for_selector("tr.report[data-status=approved]")
    assert page.locator("button.approve").count() == 0
    # Locked: no refresh nor approve; the only control left is the amendment (QA, reason).
    assert page.locator("tr.report form").count() == 1
    assert page.locator("tr.report form.amend").count() == 1
    page.screenshot(path=shots / "04-approved-zh.png", full_page=True)
    # A forged refresh of the approved report is refused (409), even with a valid CSRF token.
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    report_id = page.locator("tr.report a").first.get_attribute("href").rsplit("/", 1)[-1]
    answer = page.request.post(
        f"{live}/reports/{report_id}/refresh", form={"csrf_token": csrf or ""}, max_redirects=0
    )
    assert answer.status == 409
    no_csrf = page.request.post(f"{live}/reports/{report_id}/approve", form={}, max_redirects=0)
    assert no_csrf.status == 403
    page.fill("tr.report form.amend input[name=reason]", "lot number typo")
    page.click("tr.report form.amend button")
    page.wait_for_selector("tr.report[data-status=draft]")
    assert page.locator("tr.report").count() == 2
    assert page.locator("tr.report[data-status=approved]").count() == 1
    page.screenshot(path=shots / "05-amended-zh.png", full_page=True)
    qa.close()

    admin = browser.new_context()
    page = admin.new_page()
    _login(page, live, "admin", service.tokens["admin"])
    page.click("#nav-admin")
    page.wait_for_selector("#user-table")
    page.fill("#add-user input[name=name]", "bench-9")
    page.fill("#add-user input[name=printed_name]", "Bench 9")
    page.select_option("#add-user select[name=role]", "bench")
    page.click("#add-user button")
    page.wait_for_selector("tr[data-user='bench-9']")
    page.fill("tr[data-user='bench-9'] form.issue input[name=label]", "rig 9")
    page.click("tr[data-user='bench-9'] form.issue button")
    page.wait_for_selector("#new-token-text")
    assert (page.text_content("#new-token-text") or "").startswith("pbt_")
    page.screenshot(path=shots / "06-admin-token-issued.png", full_page=True)
    page.goto(f"{live}/admin")
    token_row = page.locator("#token-table tr", has_text="rig 9")
    token_row.locator("input[name=reason]").fill("rig scrapped")
    token_row.locator("button").click()
    page.wait_for_selector("#token-table tr.revoked")
    page.screenshot(path=shots / "07-admin-revoked.png", full_page=True)
    admin.close()


LEAKY_ZH = "尊敬的客户：\n很抱歉给您带来不便。这是公司规定，我们没办法。"
FIXED_ZH = "尊敬的客户：\n很抱歉给您带来不便。我们已完成分析，将按期回访。"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_major_complaint_and_reply_in_chromium(  # type: ignore[no-untyped-def]
    service: Service, live: str, browser, tmp_path: Path
) -> None:
    from test_major_api import PDF_LETTER

    r = service.client.post(
        "/api/complaints",
        json=complaint_payload(symptom="leakage", severity="severe"),
        headers=service.auth("wang.wei"),
    )
    number = r.json()["number"]
    shots = artifacts()
    letter = tmp_path / "acceptance.pdf"
    letter.write_bytes(PDF_LETTER)

    qa = browser.new_context(accept_downloads=True)
    page = qa.new_page()
    _login(page, live, "zhao.min", service.tokens["zhao.min"])
    page.goto(f"{live}/complaints/{number}")
    page.click("#escalate button")
    page.wait_for_selector("#major-clock")
    page.fill("#containment-form input[name=stock_frozen_qty]", "480")
    page.fill("#containment-form input[name=locations]", "WH-2 rack 7")
    page.check("#containment-form input[name=production_hold]")
    page.click("#containment-form button")
    page.wait_for_selector("#containment")
    page.fill("#meeting-form input[name=held_at]", "2026-03-02T07:00")
    page.fill("#meeting-form input[name=attendees]", "Zhao Min, Qian Li")
    page.fill("#meeting-form textarea[name=decisions]", "Stop shipments of lot L2511 | Qian Li")
    page.click("#meeting-form button")
    page.wait_for_selector(".meeting")
    page.click("#close-major button")
    page.wait_for_selector(".error")
    assert "written acceptance" in (page.text_content(".error") or "")
    page.screenshot(path=shots / "08-major-close-refused.png", full_page=True)
    page.goto(f"{live}/complaints/{number}#attachments")
    page.set_input_files("input[name=file]", str(letter))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#acceptance-form")
    page.click("#acceptance-form button")
    page.wait_for_selector("#acceptance")
    page.click("#close-major button")
    page.wait_for_selector(".major[data-closed=yes]")
    page.screenshot(path=shots / "09-major-closed.png", full_page=True)

    page.goto(f"{live}/complaints/{number}?lang=zh_CN#replies")
    page.select_option("#draft-reply select[name=language]", "zh_CN")
    page.fill("#draft-reply textarea[name=body]", LEAKY_ZH)
    page.click("#draft-reply button")
    page.wait_for_selector(".reply .hit")
    assert "公司规定" in (page.text_content(".reply .hit") or "")
    page.locator(".reply .hit").first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "10-reply-hit-zh.png", full_page=True)
    page.fill(".reply form.edit textarea", FIXED_ZH)
    page.click(".reply form.edit button")
    page.wait_for_selector(".reply[data-hits='0']")
    with page.expect_download() as download:
        page.click(".reply a.export")
    saved = tmp_path / "reply.txt"
    download.value.save_as(saved)
    assert saved.read_text("utf-8") == FIXED_ZH
    page.screenshot(path=shots / "11-reply-clean-zh.png", full_page=True)
    page.goto(f"{live}/")
    assert page.locator(f"tr[data-number='{number}'] .badge-major").count() == 1
    page.screenshot(path=shots / "12-list-major.png", full_page=True)
    qa.close()
