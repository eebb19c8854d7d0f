"""The panel's web application: the page, its event stream, and three state-changing calls.

Security, for a page that can switch a power supply on: the server listens on 127.0.0.1 unless
told otherwise; every request must name this server in its ``Host`` header (a web page on
another site that rebinds its DNS name to 127.0.0.1 is refused); every request that changes
something (start, answer, abort, a terminal run's events) must carry the panel's token in the
``X-Panel-Token`` header and, when the browser sends one, an ``Origin`` that is this server. The
token is random per ``packbench station serve`` and is only written into the panel's own page
(and the panel file of ``bench.panel.publish``, readable by this account only): another site can
neither read it (same-origin policy) nor send the custom header without a CORS preflight, which
this server never grants. So a start or an abort cannot be forged from another tab.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from importlib import resources
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from jinja2 import Environment, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, Field, field_validator

from bench.operator_choice import OPERATOR_LENGTH
from bench.panel import font
from bench.panel.controller import (
    NotRunning,
    PanelBusy,
    PanelController,
    PanelRefusal,
    StartRequest,
)
from bench.panel.hub import CLOSED, Event, EventHub
from bench.panel.i18n import LOCALES, labels, pick_locale
from bench.panel.prompts import IMAGE_PATH, PHOTO_BYTES, AnswerRefused, PromptGone
from bench.text_input import TextProblem, clean_text
from procedures.prompts import Photo
from procedures.questions import images

TOKEN_HEADER = "X-Panel-Token"
LANG_COOKIE = "packbench_panel_lang"
KEEPALIVE_S = 15.0
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
"""A question's picture opened on its own runs nothing and loads nothing."""
SyncStatus = Callable[[], dict[str, Any]]


class StartBody(BaseModel):
    operator: str = Field(min_length=1, max_length=OPERATOR_LENGTH)
    complaint: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=100)
    procedure: str = Field(min_length=1, max_length=60)

    @field_validator("operator", "complaint", "unit", "procedure")
    @classmethod
    def _clean(cls, value: str) -> str:
        try:
            return clean_text(value, max_length=OPERATOR_LENGTH)
        except TextProblem as exc:
            raise ValueError(str(exc)) from None


class PublishBody(BaseModel):
    """A terminal run's events (``packbench run --panel``, ``bench.panel.publish``)."""

    events: list[dict[str, Any]] = Field(max_length=10_000)


class AbortBody(BaseModel):
    operator: str = Field(default="", max_length=OPERATOR_LENGTH)


def sse(event: Event) -> str:
    """One server-sent event: its type as the event name, the whole event as JSON data."""
    return f"event: {event['type']}\nid: {event['seq']}\ndata: {json.dumps(event)}\n\n"


def page_locale(request: Request) -> str:
    """The language of the page that sent ``request`` (its cookie), for what it is told back."""
    return pick_locale(request.cookies.get(LANG_COOKIE))


def told(request: Request, refusal: PanelRefusal) -> str:
    """A refusal in the language of the page that asked."""
    return labels(page_locale(request))[refusal.key]


def _page_template() -> str:
    return (resources.files("bench.panel") / "page.html").read_text(encoding="utf-8")


def create_app(
    controller: PanelController,
    hub: EventHub,
    *,
    token: str,
    hosts: Iterable[str],
    default_lang: str = "en",
    sync_status: SyncStatus | None = None,
) -> FastAPI:
    """The panel for ``controller``'s station; ``hosts``: the ``host:port`` names it answers to.

    ``sync_status``: what ``packbench sync status`` shows (``bench.panel.sync_view``); ``None``
    when the panel has no store to read (a page then says nothing about sync).
    """
    allowed = frozenset(hosts)
    origins = frozenset(f"http://{host}" for host in allowed)
    app = FastAPI(title="packbench operator panel", docs_url=None, redoc_url=None, openapi_url=None)
    template = Environment(autoescape=select_autoescape(default=True)).from_string(_page_template())

    @app.middleware("http")
    async def same_origin_only(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.headers.get("host", "") not in allowed:
            return JSONResponse({"detail": "unknown Host"}, status_code=421)
        if request.method in STATE_CHANGING:
            origin = request.headers.get("origin")
            if origin is not None and origin not in origins:
                return JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
            presented = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(presented.encode(), token.encode()):
                return JSONResponse({"detail": "missing or wrong panel token"}, status_code=403)
        response = await call_next(request)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        )
        return response

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, lang: str | None = None) -> HTMLResponse:
        locale = pick_locale(lang, request.cookies.get(LANG_COOKIE), default_lang)
        state = controller.state()
        html = template.render(
            lang=locale,
            other=next(code for code in LOCALES if code != locale),
            t=labels(locale),
            token=token,
            state=state,
            font_css=Markup(font.CSS),
            boot={"labels": labels(locale), "token": token, "state": state, "lang": locale},
        )
        response = HTMLResponse(html)
        response.set_cookie(LANG_COOKIE, locale, samesite="strict", httponly=True)
        return response

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return controller.state()

    @app.get(IMAGE_PATH + "/{name}")
    def prompt_image(name: str) -> Response:
        """A question's picture: only a file a question definition names, never a path.

        The name is looked up among the shipped pictures (``procedures.questions.images``), so
        nothing the request says reaches the file system; the type is the file's own.
        """
        image = images().get(name)
        if image is None:
            raise HTTPException(404, "no question has this picture")
        return Response(
            image.data(),
            media_type=image.media_type,
            headers={"Cache-Control": "max-age=3600", "Content-Security-Policy": IMAGE_POLICY},
        )

    @app.get(font.ROUTE)
    def cjk_font() -> Response:
        """The shipped CJK font cut to the panel's Chinese words (``bench.panel.font``)."""
        return Response(
            font.panel_font(),
            media_type="font/woff",
            headers={"Cache-Control": "max-age=86400", "Content-Security-Policy": IMAGE_POLICY},
        )

    @app.get("/api/sync")
    def sync() -> dict[str, Any]:
        if sync_status is None:
            return {"available": False}
        return sync_status()

    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        watcher, backlog = hub.subscribe(asyncio.get_running_loop())

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 1000\n\n"
                for event in backlog:
                    yield sse(event)
                while True:
                    try:
                        event = await asyncio.wait_for(watcher.queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield ": keepalive\n\n"
                        continue
                    if event["type"] == CLOSED:
                        return
                    yield sse(event)
            finally:
                hub.unsubscribe(watcher)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/start", status_code=202)
    def start(body: StartBody, request: Request) -> dict[str, str]:
        try:
            controller.start(StartRequest(body.operator, body.complaint, body.unit, body.procedure))
        except PanelBusy as exc:
            raise HTTPException(409, told(request, exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"status": "queued"}

    @app.post("/api/abort", status_code=202)
    def abort(body: AbortBody, request: Request) -> dict[str, str]:
        try:
            controller.abort(body.operator)
        except NotRunning as exc:
            raise HTTPException(409, told(request, exc)) from None
        return {"status": "aborting"}

    @app.post("/api/publish")
    def publish(body: PublishBody) -> dict[str, str | None]:
        try:
            abort = controller.relay(body.events)
        except PanelBusy as exc:
            raise HTTPException(409, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"abort": abort}

    @app.post("/api/prompts/{prompt_id}", status_code=204)
    async def answer(
        request: Request,
        prompt_id: str,
        answer: Annotated[str | None, Form(max_length=2000)] = None,
        photo: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        picture: Photo | None = None
        if photo is not None:
            data = await photo.read(PHOTO_BYTES + 1)
            picture = Photo(photo.filename or "photo.jpg", data)
        try:
            controller.answer(prompt_id, answer, picture)
        except AnswerRefused as exc:
            raise HTTPException(422, exc.shown(page_locale(request))) from None
        except (PromptGone, NotRunning):
            gone = labels(page_locale(request))["panel.question_gone"]
            raise HTTPException(409, gone) from None
        return Response(status_code=204)

    return app
