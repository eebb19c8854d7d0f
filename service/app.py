"""Application factory: ``create_app(settings)`` gives the ASGI app, one per worker process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError

from results.errors import ResultsError
from results.heap import settle_startup_heap
from service.api import (
    admin,
    attachments,
    clocks,
    complaints,
    major,
    outgoing,
    replies,
    reports,
    returns,
    runs,
    sync,
)
from service.api import containment as containment_api
from service.api import eightd as eightd_api
from service.errors import (
    ServiceError,
    error_body,
    error_headers,
    install_handlers,
    results_status,
)
from service.notify import build_channel
from service.pages import admin as admin_pages
from service.pages import dashboards as dashboard_pages
from service.pages import eightd as eightd_pages
from service.pages import manual as manual_pages
from service.pages import outgoing_pages, upload_page
from service.pages import process as process_pages
from service.pages import register as register_pages
from service.pages import routes as page_routes
from service.pages import search as search_pages
from service.pages.render import LoginRequired, page
from service.ratelimit import Throttles
from service.security_headers import SecurityHeaders
from service.settings import Settings
from service.store import Store, open_store

log = logging.getLogger("packbench.service")


_Handler = Callable[[Request, Exception], Awaitable[Response]]
"""The JSON handlers ``install_handlers`` registers are all coroutines of this shape."""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _install_page_aware_handlers(app: FastAPI) -> None:
    """API paths answer JSON (``errors.install_handlers``); page paths answer an HTML page."""
    install_handlers(app)
    json_service = cast(_Handler, app.exception_handlers[ServiceError])
    json_results = cast(_Handler, app.exception_handlers[ResultsError])

    async def on_service(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await json_service(request, exc)
        assert isinstance(exc, ServiceError)
        if exc.status == 401:
            return RedirectResponse("/login", status_code=303)
        response = page(
            request, "error.html", status=exc.status, message=exc.message, status_code=exc.status
        )
        response.headers.update(error_headers(exc) or {})
        return response

    async def on_results(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await json_results(request, exc)
        assert isinstance(exc, ResultsError)
        status = results_status(exc)
        return page(request, "error.html", status=status, message=str(exc), status_code=status)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def on_database_refusal(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold (NUL in text, out-of-range number) or a race on a
        # unique key: the client's input or timing, not a server fault.
        status = 409 if isinstance(exc, IntegrityError) else 422
        message = f"the database refused the change ({type(exc).__name__}); check the values"
        log.info("database refused a request to %s: %s", request.url.path, exc)
        return JSONResponse(error_body(status, message), status)

    app.add_exception_handler(ServiceError, on_service)
    app.add_exception_handler(ResultsError, on_results)
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(DataError, on_database_refusal)
    app.add_exception_handler(IntegrityError, on_database_refusal)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": _validation_message(e), "type": e.get("type")}
            for e in exc.errors()
        ]
        if not _is_api(request):
            message = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors if e["loc"])
            return page(request, "error.html", status=422, message=message, status_code=422)
        return JSONResponse({"status": 422, "detail": errors}, 422)

    app.add_exception_handler(RequestValidationError, on_validation)


def _validation_message(error: Any) -> str:
    """pydantic's message, naming the offending key or parameter where pydantic does not."""
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[-1] if loc else "?"
    if error.get("type") == "extra_forbidden":
        return f"unknown key {name!r}: remove it (a misspelt key is never ignored)"
    message = str(error.get("msg", ""))
    if loc and loc[0] in ("query", "path", "header") and name not in message:
        return f"{loc[0]} parameter {name!r}: {message}"
    return message


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, settle_heap: bool = False
) -> FastAPI:
    """The service for ``settings`` (default: from the environment); ``store`` to share one;
    ``settle_heap``: ``results.heap.settle_startup_heap`` when it starts, for a worker
    process's one app (big reads without collections walking the imported heap), never for an
    app among many in one process (what it froze would never be collected)."""
    settings = settings or Settings.from_env()
    own_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settle_heap:
            settle_startup_heap()  # the worker's imports and app, out of the collector's reach
        yield
        if own_store:
            app.state.store.close()

    app = FastAPI(
        title="packbench QA service",
        version="0.1.0",
        description="Complaints, returned units, bench runs, evidence, reports and audit.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store if store is not None else open_store(settings)
    app.state.channel = build_channel(settings)
    app.state.throttles = Throttles()
    app.add_middleware(SecurityHeaders)
    for module in (complaints, runs, sync, attachments, reports, outgoing, admin, major, replies):
        app.include_router(module.router)
    app.include_router(clocks.router)
    app.include_router(containment_api.router)
    app.include_router(returns.router)
    app.include_router(register_pages.router)  # before /complaints/{number}: /complaints/new
    app.include_router(process_pages.router)
    app.include_router(outgoing_pages.router)
    app.include_router(eightd_pages.router)
    app.include_router(search_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(page_routes.router)
    app.include_router(upload_page.router)
    app.include_router(admin_pages.router)
    app.include_router(manual_pages.router)
    app.include_router(eightd_api.router)
    _install_page_aware_handlers(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory service.app:app_from_env`` (each worker calls it)."""
    return create_app(Settings.from_env(), settle_heap=True)
