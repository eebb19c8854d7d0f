"""The process pages in the system Chromium: a technician registers a complaint, creates its units
from an inspection request (typed, scanned and a CSV file), records containment and writes and
signs the 8D draft; QA approves it in Chinese. Screenshots go to the test artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from process_support import new_complaint
from service_support import Service
from test_browser import _login, artifacts, browser, live  # noqa: F401 - the shared fixtures

pytestmark = pytest.mark.browser


def _submit(page, form: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#form-{form} button[type=submit]")
    page.wait_for_selector(".flash")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_register_units_containment_and_8d_in_chromium(
    service: Service,
    live: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
    tmp_path: Path,
) -> None:
    new_complaint(service)  # another complaint on the list, so the new one is found by number
    shots = artifacts()
    serials = tmp_path / "serials.csv"
    serials.write_text("serial,lot\nU-4,L2511\n", encoding="utf-8")

    tech = browser.new_context()
    page = tech.new_page()
    _login(page, live, "wang.wei", service.tokens["wang.wei"])
    page.click("#nav-register")
    page.wait_for_selector("#form-register")
    page.fill("#register-customer", "Acme Scanners Ltd")
    page.fill("#register-product_model", "PB-1S2P-18650-5200")
    page.fill("#register-shipped_qty", "500")
    page.fill("#register-defect_qty", "0")
    page.select_option("#register-symptom", "no_power_on")
    page.select_option("#register-severity", "general")
    page.fill("#register-usage_temperature", "35 degC")
    page.click("#register-submit")
    page.wait_for_selector("[data-field=defect_qty]")  # refused beside the field
    page.screenshot(path=shots / "11-register-refused.png", full_page=True)
    page.fill("#register-defect_qty", "4")
    page.click("#register-submit")
    page.wait_for_selector(".flash")
    number = page.url.split("/complaints/")[1].split("?")[0]

    page.click("#link-process")
    page.fill("#notice-quantity_expected", "4")
    page.fill("#notice-lots", "L2511")
    page.fill("#notice-carrier_ref", "SF-1")
    page.fill("#notice-sales_person", "li.na")
    _submit(page, "notice")
    notice = page.get_attribute(".notice", "data-notice")
    page.fill(f"#form-receipt-{notice} [name=quantity_received]", "4")
    _submit(page, f"receipt-{notice}")
    form = f"#form-request-{notice}"
    page.fill(f'{form} [name="units.0.serial"]', "U-1")
    page.fill(f"{form} [name=scanned]", "U-2\nU-3\n")
    page.set_input_files(f"{form} [name=csv_file]", str(serials))
    _submit(page, f"request-{notice}")
    assert page.locator("tr.unit-row").count() == 4

    page.select_option("#check-area", "finished_stock")
    page.fill("#check-qty_checked", "40")
    page.fill("#check-qty_bad", "1")
    _submit(page, "check")
    page.select_option("#action-kind", "seal")
    page.fill("#action-owner", "wu.wh")
    page.fill("#action-qty_affected", "40")
    _submit(page, "action")
    page.fill(".release [name=note]", "sorted, one scrapped")
    page.click(".release button[type=submit]")
    page.wait_for_selector("tr.containment-action[data-open=no]")
    page.screenshot(path=shots / "12-process.png", full_page=True)

    page.click("#link-8d")
    page.wait_for_selector("#prefilled")
    page.fill('[name="team.0.name"]', "Wang Wei")
    page.fill('[name="causes.0.description"]', "cells deep-discharged in storage")
    page.click("#eightd-save")
    page.wait_for_selector("#eightd-current[data-status=draft]")
    page.select_option("#sign-meaning", "authored")
    page.click("#eightd-sign")
    page.wait_for_selector("tr.signature[data-meaning=authored]")
    page.screenshot(path=shots / "13-8d-draft.png", full_page=True)
    tech.close()

    qa = browser.new_context()
    page = qa.new_page()
    _login(page, live, "zhao.min", service.tokens["zhao.min"])
    page.goto(f"{live}/complaints/{number}/8d?lang=zh_CN")
    assert "8D报告" in page.content()
    page.select_option("#sign-meaning", "approved")
    page.click("#eightd-sign")
    page.wait_for_selector("#eightd-current[data-status=signed]")
    page.screenshot(path=shots / "14-8d-approved-zh.png", full_page=True)
    page.goto(f"{live}/complaints/{number}")
    assert page.get_attribute("#eightd-current", "data-status") == "signed"
    qa.close()
