"""The complaint page's upload: the type comes from the bytes (the browser's label is dropped),
a program renamed ``.log`` is refused as a program, and every refusal is in the page's language."""

from __future__ import annotations

import re

import pytest
from documents import CSV_LOG, complaint_payload, png_bytes
from service_support import Service
from sqlalchemy import select

from results.attachments import executable_kind
from results.models import Attachment

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(200)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300) + b"\xff\xd9"
LOG = b"2026-03-01 08:00:01 charger: CV phase\n2026-03-01 08:00:02 cell 1 4.18 V\n"


def _complaint_page(service: Service, user: str = "wang.wei") -> tuple[str, str]:
    number = service.client.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    return number, service.login(user)


def _upload(
    service: Service,
    number: str,
    csrf: str,
    name: str,
    data: bytes,
    label: str,
    *,
    json: bool = False,
    lang: str = "",
):  # type: ignore[no-untyped-def]
    headers = {"Accept": "application/json"} if json else {}
    url = f"/complaints/{number}/attachments" + (f"?lang={lang}" if lang else "")
    return service.client.post(
        url,
        data={"csrf_token": csrf, "target": "complaint"},
        files={"file": (name, data, label)},
        headers=headers,
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    ("name", "data", "label", "stored_as"),
    [
        ("charger.log", LOG, "text/x-log", "text/plain"),  # what Firefox and Chromium send
        ("recharge.csv", CSV_LOG, "application/vnd.ms-excel", "text/csv"),  # Windows' label
        ("front.jpg", JPEG, "image/pjpeg", "image/jpeg"),
        ("pack.png", png_bytes(), "", "image/png"),
    ],
)
def test_the_page_takes_the_type_from_the_content_not_the_browser_label(
    service: Service, name: str, data: bytes, label: str, stored_as: str
) -> None:
    number, csrf = _complaint_page(service)
    r = _upload(service, number, csrf, name, data, label or "application/octet-stream")
    assert r.status_code == 303, r.text
    with service.store.sessions() as session:
        row = session.scalars(select(Attachment).where(Attachment.original_name == name)).one()
    assert row.media_type == stored_as


def test_a_program_renamed_log_is_refused_in_the_page_language(service: Service) -> None:
    number, csrf = _complaint_page(service)
    en = _upload(service, number, csrf, "charger.log", ELF, "text/x-log", json=True)
    assert en.status_code == 415
    assert en.json()["detail"].startswith("charger.log is a program (ELF), not a log")
    zh = _upload(service, number, csrf, "charger.log", ELF, "text/x-log", json=True, lang="zh_CN")
    assert zh.status_code == 415
    assert zh.json()["detail"] == (
        "charger.log 是可执行程序（ELF），不是日志、CSV、照片或文档。"
        "系统从不保存程序：请上传文件本身。"
    )
    page = _upload(service, number, csrf, "setup.log", b"MZ\x90\x00" + bytes(100), "text/x-log")
    assert page.status_code == 415 and "text/html" in page.headers["content-type"]
    assert "setup.log is a program (Windows PE)" in page.text
    with service.store.sessions() as session:
        assert session.scalars(select(Attachment)).all() == []  # nothing stored
    api = service.client.post(
        f"/api/complaints/{number}/attachments",
        files={"file": ("charger.log", ELF, "text/plain")},
        headers=service.auth("wang.wei"),
    )
    assert api.status_code == 415 and "executable program (ELF)" in api.json()["detail"]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_refusal_reads_in_the_page_language(service: Service, lang: str) -> None:
    number, csrf = _complaint_page(service)
    too_big = bytes(service.settings.max_upload_bytes + 1)
    cases = {
        415: ("blob.bin", b"\x00\x01\x02binary", "application/octet-stream"),
        413: ("huge.png", b"\x89PNG\r\n\x1a\n" + too_big, "image/png"),
        422: ("photo.csv", png_bytes(), "text/csv"),  # a PNG called .csv
    }
    seen = set()
    for status, (name, data, label) in cases.items():
        r = _upload(service, number, csrf, name, data, label, json=True, lang=lang)
        assert r.status_code == status, r.text
        detail = r.json()["detail"]
        has_chinese = re.search(r"[\u4e00-\u9fff]", detail) is not None
        assert has_chinese == (lang == "zh_CN"), detail
        assert not detail.startswith(" ")  # a file too large to read still gets a subject
        seen.add(detail)
    assert len(seen) == 3


def test_programs_are_recognised_by_their_first_bytes() -> None:
    assert executable_kind(ELF) == "ELF"
    assert executable_kind(b"MZ\x90\x00\x03\x00") == "Windows PE"
    assert executable_kind(b"\xcf\xfa\xed\xfe\x07\x00") == "Mach-O"
    assert executable_kind(b"#!/bin/sh\nrm -rf /\n") == "script"
    assert executable_kind(b"MZ-5 charger started\n") is None  # a log line, not a PE header
    assert executable_kind(LOG) is None and executable_kind(CSV_LOG) is None


def test_the_upload_script_is_served_and_allowed_by_the_page_policy(service: Service) -> None:
    number, _csrf = _complaint_page(service)
    page = service.client.get(f"/complaints/{number}")
    assert '<script src="/static/upload.js" defer></script>' in page.text
    assert 'id="upload-progress"' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = service.client.get("/static/upload.js")
    assert script.status_code == 200 and "upload.addEventListener" in script.text
    assert script.headers["content-type"].startswith("text/javascript")
