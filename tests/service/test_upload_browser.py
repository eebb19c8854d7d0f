"""The upload of the complaint page in the system Chromium: a ``.log``, a ``.csv`` and a JPEG
go through (whatever type the browser gives them), a large photo shows the progress bar, and a
program renamed ``.log`` is refused with the reason in Chinese on the Chinese page."""

from __future__ import annotations

from pathlib import Path

import pytest
from documents import CSV_LOG, complaint_payload
from service_support import Service
from test_browser import _login, artifacts, browser, live
from test_upload_page import ELF, JPEG, LOG

pytestmark = pytest.mark.browser
__all__ = ["browser", "live"]  # fixtures, used by name

RECORD_PROGRESS = """
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("upload-progress");
  if (!bar) return;
  new MutationObserver(() => {
    if (!bar.hidden) window.__progress = Math.max(window.__progress || 0, bar.value);
  }).observe(bar, { attributes: true });
});
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_log_csv_and_jpeg_upload_and_a_renamed_program_is_refused(  # type: ignore[no-untyped-def]
    service: Service, live: str, browser, tmp_path: Path
) -> None:
    number = service.client.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    files = {"charger.log": LOG, "recharge.csv": CSV_LOG, "front.jpg": JPEG}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    context = browser.new_context()
    page = context.new_page()
    _login(page, live, "wang.wei", service.tokens["wang.wei"])
    page.goto(f"{live}/complaints/{number}")
    for name in files:
        page.set_input_files("input[name=file]", str(tmp_path / name))
        page.click("#upload button[type=submit]")
        page.wait_for_selector(f"tr.attachment a:text-is('{name}')")
    types = page.locator("tr.attachment td:nth-child(2)").all_text_contents()
    assert sorted(types) == ["image/jpeg", "text/csv", "text/plain"]

    # A photo near the limit shows its progress; the program is refused in Chinese, as text.
    page.add_init_script(RECORD_PROGRESS)
    page.goto(f"{live}/complaints/{number}?lang=zh_CN")
    program = tmp_path / "big.log"
    program.write_bytes(ELF + bytes(service.settings.max_upload_bytes - len(ELF) - 10))
    page.set_input_files("input[name=file]", str(program))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-status.error")
    message = page.text_content("#upload-status") or ""
    assert message.startswith("big.log 是可执行程序（ELF）"), message
    assert page.evaluate("window.__progress") == 100
    assert page.is_enabled("#upload button[type=submit]")
    page.screenshot(path=artifacts() / "upload-refused-zh_CN.png", full_page=True)
    assert page.locator("tr.attachment").count() == 3
    context.close()
