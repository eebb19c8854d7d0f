"""Security headers on every response, whatever route or error handler made it.

A route that needs its own policy (the pages, the report file) sets ``Content-Security-Policy``
itself and this middleware leaves it; everything else (JSON, errors, downloads) gets a policy that
allows nothing, since none of it is meant to be rendered as a document. ``nosniff`` goes on
everything, so a browser never second-guesses a declared type (an uploaded text file is never
run as a script or page).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""JSON, errors and downloads: nothing in them may load, run or frame anything."""

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
"""The QA pages: only the service's own scripts (no inline script), fonts and images."""

REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
)
"""A customer report is a document, not an app: no script at all (sandboxed), inline styles,
embedded images and fonts, the shipped CJK font from the service."""

_DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src https://cdn.jsdelivr.net; img-src https://fastapi.tiangolo.com data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
"""FastAPI's interactive docs load Swagger UI from its CDN with an inline bootstrap script."""
_DOCS = ("/docs", "/docs/oauth2-redirect", "/redoc")
_JSON = "application/json"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        default_csp = _DOCS_CSP if path in _DOCS else NONE_CSP
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Content-Security-Policy", default_csp)
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                # Quality records are not for shared caches or the back button of a logged-out
                # browser; routes that may be cached (font, evidence by hash) say so themselves.
                headers.setdefault("Cache-Control", "no-store")
                if path.startswith("/api") and headers.get("content-type") == _JSON:
                    # Opened directly in a browser tab, an API answer is a file, never a page.
                    headers.setdefault("Content-Disposition", 'attachment; filename="api.json"')
                if https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)
