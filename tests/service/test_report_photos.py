"""The service's rendered reports embed the photos kept in its evidence store."""

from __future__ import annotations

import base64

from documents import png_bytes
from service_support import Service
from test_api import _run


def test_report_html_from_api_and_page_embeds_the_run_photo(service: Service) -> None:
    c = service.client
    number, _unit, run_id = _run(service)
    photo = png_bytes()
    r = c.post(
        f"/api/runs/{run_id}/attachments",
        files={"file": ("dent.png", photo, "image/png")},
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    r = c.post(f"/api/complaints/{number}/reports", json={}, headers=service.auth("wang.wei"))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    uri = f"data:image/png;base64,{base64.b64encode(photo).decode()}"

    api = c.get(f"/api/reports/{rid}/html", headers=service.auth("viewer"))
    assert api.status_code == 200 and uri in api.text
    pdf = c.get(f"/api/reports/{rid}/pdf", headers=service.auth("viewer"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf.content or b"/Image" in pdf.content

    service.login("viewer")
    page = c.get(f"/reports/{rid}")
    assert page.status_code == 200 and uri in page.text


def test_a_lost_photo_file_is_reported_not_a_server_error(service: Service) -> None:
    c = service.client
    number, _unit, run_id = _run(service)
    r = c.post(
        f"/api/runs/{run_id}/attachments",
        files={"file": ("dent.png", png_bytes(), "image/png")},
        headers=service.auth("wang.wei"),
    )
    sha = r.json()["sha256"]
    rid = c.post(
        f"/api/complaints/{number}/reports", json={}, headers=service.auth("wang.wei")
    ).json()["id"]
    (service.settings.evidence_dir / sha[:2] / sha).unlink()
    lost = c.get(f"/api/reports/{rid}/html", headers=service.auth("viewer"))
    assert lost.status_code == 409, lost.text
    assert sha[:16] in lost.json()["detail"] and "verify" in lost.json()["detail"]
