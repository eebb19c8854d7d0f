"""Template environment, the page session (session cookie) and the language of each request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from results.accounts import Principal, Role
from service.auth import CSRF_FIELD, csrf_token, secure_request, session_user
from service.i18n import LANG_COOKIE, Translator, pick_locale, translator
from service.security_headers import PAGE_CSP
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
    """The logged-in user and their session id (pass it to ``page`` as ``session_token``: the
    page's forms get its CSRF token)."""
    found = session_user(request)
    if found is None:
        raise LoginRequired()
    return found


def hidden_csrf(token: str | None) -> Markup:
    """The hidden form field every POST form carries: ``{{ csrf_field() }}`` in a template."""
    if token is None:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


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
    csrf = context.pop("csrf", None) or (
        None if session_token is None else csrf_token(session_token)
    )
    html = ENV.get_template(template).render(
        t=t,
        locale=locale,
        user=user,
        roles=Role,
        csrf=csrf,
        csrf_field=lambda: hidden_csrf(csrf),
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
            secure=secure_request(request),
        )
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
