"""Page sessions: a random server-side id in the cookie (never the token), expiry, rotation,
logout, revocation, cookie flags, and the login form's CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts_setup import LOGIN_CSRF, login
from fastapi.testclient import TestClient
from service_support import Service
from sqlalchemy import select, update
from test_api import _run

from results.accounts import revoke_token
from results.service_models import ServiceSession
from results.web_sessions import IDLE
from service.auth import SESSION_COOKIE


def _set_cookie_headers(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


def _is_login_redirect(client: TestClient) -> bool:
    r = client.get("/", follow_redirects=False)
    return r.status_code == 303 and r.headers["location"] == "/login"


def test_the_cookie_holds_a_random_session_id_never_the_token(service: Service) -> None:
    c = service.client
    form = c.get("/login")
    csrf = LOGIN_CSRF.search(form.text)
    assert csrf is not None
    r = c.post(
        "/login",
        data={"user": "zhao.min", "token": service.tokens["zhao.min"], "csrf_token": csrf[1]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = next(h for h in _set_cookie_headers(r) if h.startswith(SESSION_COOKIE + "="))
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert service.tokens["zhao.min"] not in cookie and len(session_id) >= 40
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "max-age=43200" in flags
    assert "secure" not in flags  # plain http on the bench LAN
    assert c.get("/").status_code == 200
    with service.store.sessions() as session:  # only the hash is stored
        stored = session.scalars(select(ServiceSession.sha256)).all()
    assert stored and session_id not in stored


def test_the_raw_token_as_a_cookie_is_no_login(service: Service) -> None:
    service.client.cookies.set(SESSION_COOKIE, service.tokens["zhao.min"])
    assert _is_login_redirect(service.client)


def test_the_cookie_is_secure_over_https(service: Service) -> None:
    with TestClient(service.client.app, base_url="https://127.0.0.1") as c:
        form = c.get("/login")
        csrf = LOGIN_CSRF.search(form.text)
        assert csrf is not None
        assert all("; secure" in h.lower() for h in _set_cookie_headers(form))
        r = c.post(
            "/login",
            data={"user": "zhao.min", "token": service.tokens["zhao.min"], "csrf_token": csrf[1]},
            follow_redirects=False,
        )
        cookie = next(h for h in _set_cookie_headers(r) if h.startswith(SESSION_COOKIE + "="))
        assert "; secure" in cookie.lower()
        assert c.get("/").status_code == 200


def test_login_rotates_the_session_and_logout_ends_it(service: Service) -> None:
    c = service.client
    login(c, "viewer", service.tokens["viewer"])
    first = c.cookies[SESSION_COOKIE]
    csrf = login(c, "zhao.min", service.tokens["zhao.min"])
    second = c.cookies[SESSION_COOKIE]
    assert second != first
    c.cookies.set(SESSION_COOKIE, first)  # the session the browser came with was dropped
    assert _is_login_redirect(c)
    c.cookies.set(SESSION_COOKIE, second)
    assert c.get("/").status_code == 200
    assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    c.cookies.set(SESSION_COOKIE, second)  # replaying the id after logout
    assert _is_login_redirect(c)


def test_sessions_expire_absolutely_and_when_idle(service: Service) -> None:
    c = service.client
    login(c, "viewer", service.tokens["viewer"])
    with service.store.sessions.begin() as session:
        session.execute(update(ServiceSession).values(expires_at=datetime.now(UTC)))
    assert _is_login_redirect(c)
    login(c, "viewer", service.tokens["viewer"])
    assert c.get("/").status_code == 200
    idle_since = datetime.now(UTC) - IDLE - timedelta(seconds=1)
    with service.store.sessions.begin() as session:
        session.execute(update(ServiceSession).values(last_seen_at=idle_since))
    assert _is_login_redirect(c)
    with service.store.sessions() as session:  # a dead session is deleted when presented
        assert session.scalars(select(ServiceSession)).all() == []


def test_revoking_the_token_ends_its_page_sessions(service: Service) -> None:
    c = service.client
    login(c, "wang.wei", service.tokens["wang.wei"])
    assert c.get("/").status_code == 200
    with service.store.sessions.begin() as session:
        token_id = session.scalars(select(ServiceSession.token_id)).one()
        revoke_token(session, token_id, actor="admin", reason="left the company")
    assert _is_login_redirect(c)


def test_login_needs_the_right_user_name_and_the_form_token(service: Service) -> None:
    c = service.client
    csrf = LOGIN_CSRF.search(c.get("/login").text)
    assert csrf is not None
    token = service.tokens["zhao.min"]
    wrong_user = c.post("/login", data={"user": "viewer", "token": token, "csrf_token": csrf[1]})
    assert wrong_user.status_code == 401 and SESSION_COOKIE not in c.cookies
    no_csrf = c.post("/login", data={"user": "zhao.min", "token": token})
    assert no_csrf.status_code == 403 and SESSION_COOKIE not in c.cookies
    forged = c.post("/login", data={"user": "zhao.min", "token": token, "csrf_token": "x" * 43})
    assert forged.status_code == 403 and SESSION_COOKIE not in c.cookies
    c.cookies.clear()  # a cross-site post carries no login-form cookie (SameSite=Strict)
    fresh = LOGIN_CSRF.search(c.get("/login").text)
    assert fresh is not None
    c.cookies.clear()
    blind = c.post("/login", data={"user": "zhao.min", "token": token, "csrf_token": fresh[1]})
    assert blind.status_code == 403


def test_every_post_form_of_the_pages_carries_the_csrf_field(service: Service) -> None:
    """Every ``<form method="post">`` on the pages a QA user sees has the hidden token."""
    number, _unit, _run_id = _run(service)
    service.login("zhao.min")
    for url in ("/", f"/complaints/{number}", "/login"):
        html = service.client.get(url).text
        forms = html.split('<form method="post"')[1:]
        assert forms or url == "/", url
        for form in forms:
            assert 'name="csrf_token"' in form.split("</form>")[0], (url, form[:200])
