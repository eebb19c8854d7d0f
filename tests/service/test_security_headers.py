"""Every response carries ``nosniff`` and a Content-Security-Policy: none for JSON, the pages'
own, and a sandboxed one for the customer report."""

from __future__ import annotations

from fastapi.testclient import TestClient
from service_support import Service
from test_api import _run

from service.security_headers import NONE_CSP, PAGE_CSP, REPORT_CSP


def test_json_answers_and_errors_carry_nosniff_and_a_deny_all_policy(service: Service) -> None:
    c = service.client
    for response in (
        c.get("/api/complaints", headers=service.auth("viewer")),
        c.get("/api/complaints"),  # 401
        c.get("/api/complaints/NOPE", headers=service.auth("viewer")),  # 404
        c.get("/openapi.json"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
        assert response.headers["Content-Security-Policy"] == NONE_CSP, response.url


def test_pages_and_reports_carry_their_own_policy(service: Service) -> None:
    c = service.client
    number, _unit, _run_id = _run(service)
    r = c.post(f"/api/complaints/{number}/reports", json={}, headers=service.auth("wang.wei"))
    assert r.status_code == 201, r.text
    report_id = r.json()["id"]
    html = c.get(f"/api/reports/{report_id}/html", headers=service.auth("viewer"))
    assert html.status_code == 200
    assert html.headers["Content-Security-Policy"] == REPORT_CSP
    assert "sandbox" in REPORT_CSP and "script-src" not in REPORT_CSP  # default-src 'none'
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    login = c.get("/login")
    assert login.headers["Content-Security-Policy"] == PAGE_CSP
    service.login("viewer")
    for url in (f"/complaints/{number}", f"/reports/{report_id}"):
        page = c.get(url)
        assert page.status_code == 200 and page.headers["X-Content-Type-Options"] == "nosniff"
        expected = REPORT_CSP if url.startswith("/reports/") else PAGE_CSP
        assert page.headers["Content-Security-Policy"] == expected


def test_api_json_is_an_attachment_uncached_and_https_gets_hsts(service: Service) -> None:
    c = service.client
    r = c.get("/api/complaints", headers=service.auth("viewer"))
    assert r.headers["Content-Disposition"] == 'attachment; filename="api.json"'
    assert r.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in r.headers  # plain http: HSTS would mean nothing
    with TestClient(c.app, base_url="https://127.0.0.1") as tls:
        secure = tls.get("/api/complaints", headers=service.auth("viewer"))
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
