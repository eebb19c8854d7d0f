"""Template environment, the page session (token cookie) and the language of each request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from results.accounts import Principal, Role
from service.auth import SESSION_COOKIE, csrf_token, principal_for, store_of
from service.i18n import LANG_COOKIE, Translator, pick_locale, translator
from service.settings import Settings

ENV = Environment(
    loader=PackageLoader("service.pages", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(Exception):
    """No valid session cookie: the page answers with a redirect to the login form."""


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def locale_of(request: Request) -> str:
    return pick_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        settings_of(request).default_locale,
    )


def page_user(request: Request) -> tuple[Principal, str]:
    """The logged-in user and their session token (for the CSRF token of the page's forms)."""
    token = request.cookies.get(SESSION_COOKIE)
    principal = principal_for(store_of(request), token)
    if principal is None or token is None:
        raise LoginRequired()
    return principal, token


def page(
    request: Request,
    template: str,
    *,
    user: Principal | None = None,
    session_token: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    locale = locale_of(request)
    t: Translator = translator(locale)
    html = ENV.get_template(template).render(
        t=t,
        locale=locale,
        user=user,
        roles=Role,
        csrf=None if session_token is None else csrf_token(session_token),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") == locale:
        response.set_cookie(
            LANG_COOKIE,
            locale,
            max_age=365 * 86400,
            samesite="strict",
            httponly=True,
            secure=settings_of(request).secure_cookies,
        )
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
