"""Throttling: bad bearer tokens and failed logins get 429 with Retry-After, per client address
and per account; good callers are never counted."""

from __future__ import annotations

import pytest
from accounts_setup import LOGIN_CSRF
from service_support import Service

from service.errors import TooManyRequests
from service.ratelimit import Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_throttle_refuses_after_the_limit_until_the_window_passes() -> None:
    clock = FakeClock()
    throttle = Throttle(3, 60.0, clock=clock)
    for _ in range(3):
        throttle.check("10.0.0.9", "tokens")
        throttle.fail("10.0.0.9")
        clock.now += 5
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("10.0.0.9", "tokens")
    assert refused.value.retry_after == 45  # the first failure leaves the window at 1060
    throttle.check("10.0.0.10", "tokens")  # another key is not affected
    clock.now += 45
    throttle.check("10.0.0.9", "tokens")  # one slot free again


def test_bad_bearer_tokens_are_throttled_per_address(service: Service) -> None:
    c = service.client
    limit = c.app.state.throttles.tokens.limit  # type: ignore[attr-defined]
    for _ in range(limit):
        r = c.get("/api/complaints", headers={"Authorization": "Bearer pbt_guess"})
        assert r.status_code == 401
    refused = c.get("/api/complaints", headers={"Authorization": "Bearer pbt_guess"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    assert "too many failed API tokens" in refused.json()["detail"]
    # Guessing cannot go on behind a lucky hit: the address is refused whatever it presents.
    assert c.get("/api/complaints", headers=service.auth("viewer")).status_code == 429


def test_good_tokens_are_never_counted(service: Service) -> None:
    for _ in range(30):
        ok = service.client.get("/api/complaints", headers=service.auth("viewer"))
        assert ok.status_code == 200


def _try_login(service: Service, user: str, token: str) -> int:
    c = service.client
    csrf = LOGIN_CSRF.search(c.get("/login").text)
    assert csrf is not None
    data = {"user": user, "token": token, "csrf_token": csrf[1]}
    r = c.post("/login", data=data, follow_redirects=False)
    if r.status_code == 429:
        assert int(r.headers["Retry-After"]) > 0
    return r.status_code


def test_failed_logins_are_throttled_per_account(service: Service) -> None:
    per_account = service.client.app.state.throttles.login_account.limit  # type: ignore[attr-defined]
    for _ in range(per_account):
        assert _try_login(service, "zhao.min", "pbt_wrong") == 401
    assert _try_login(service, "zhao.min", service.tokens["zhao.min"]) == 429
    assert _try_login(service, "ZHAO.MIN", "pbt_wrong") == 429  # the account, not its spelling
    # The address is still below its own limit: another account logs in.
    assert _try_login(service, "viewer", service.tokens["viewer"]) == 303


def test_failed_logins_are_throttled_per_address(service: Service) -> None:
    per_address = service.client.app.state.throttles.login_address.limit  # type: ignore[attr-defined]
    for i in range(per_address):
        assert _try_login(service, f"nobody-{i}", "pbt_wrong") == 401
    assert _try_login(service, "viewer", service.tokens["viewer"]) == 429
    page = service.client.get("/login?lang=zh_CN")
    assert page.status_code == 200  # the form itself is still served
