"""Service errors and their HTTP status codes, including the results store's errors.

One table maps every error the layers below raise on purpose to a status, so an endpoint never
catches to translate; anything else is a bug and becomes a 500 with the message logged.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from results.attachments import FileRefused
from results.errors import (
    CalendarError,
    InvalidTransition,
    NotFound,
    ResultsError,
    ValidationError,
)
from results.replies import ReplyRefused
from results.reply_rules import ReplyIssue
from results.reports.errors import (
    ApprovalError,
    EvidenceError,
    ImmutableReportError,
    UnknownLocaleError,
)


class ServiceError(Exception):
    """Base of the errors the service raises on purpose; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        """The input refused (a form field, a parameter), for a client to point at."""


class Unauthenticated(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class PayloadTooLarge(ServiceError):
    status = 413


class UnsupportedMediaType(ServiceError):
    status = 415


class BadInput(ServiceError):
    status = 422


class TooManyRequests(ServiceError):
    """Too many failed logins or bad tokens from one address or for one account."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error_headers(exc: ServiceError) -> dict[str, str] | None:
    """The headers an error answer needs: the auth scheme on 401, the wait on 429."""
    if isinstance(exc, TooManyRequests):
        return {"Retry-After": str(exc.retry_after)}
    if exc.status == 401:
        return {"WWW-Authenticate": "Bearer"}
    return None


class NotConfigured(ServiceError):
    """The request is fine but the service lacks a setting it needs (an operator's fix)."""

    status = 503


_FILE_REFUSAL_STATUS = {
    "unknown_type": 415,
    "executable": 415,
    "declared_mismatch": 415,
    "too_large": 413,
}


def results_status(exc: ResultsError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidTransition | ImmutableReportError | ApprovalError | ReplyRefused):
        return 409
    if isinstance(exc, FileRefused):
        return _FILE_REFUSAL_STATUS.get(exc.reason, 422)
    if isinstance(exc, ValidationError):
        return 422
    if isinstance(exc, UnknownLocaleError | EvidenceError | CalendarError):
        return 422
    return 400


def refused_field(exc: ResultsError) -> str | None:
    """The request field a store refusal is about: a ``ValidationError`` names its own; an
    unknown report language is the ``locale`` of the report bodies (``api.reports``,
    ``api.outgoing``), so a client can point at it as at any other refused field."""
    if isinstance(exc, ValidationError):
        return exc.field
    if isinstance(exc, UnknownLocaleError):
        return "locale"
    return None


def issue_dict(issue: ReplyIssue) -> dict[str, str]:
    return {"sentence": issue.sentence, "rule": issue.rule, "why": issue.why}


def error_body(status: int, message: str, field: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"status": status, "detail": message}
    if field is not None:
        body["field"] = field
    return body


def install_handlers(app: FastAPI) -> None:
    async def on_service_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        return JSONResponse(
            error_body(exc.status, exc.message, exc.field),
            exc.status,
            headers=error_headers(exc),
        )

    async def on_results_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ResultsError)
        status = results_status(exc)
        body = error_body(status, str(exc), refused_field(exc))
        if isinstance(exc, ReplyRefused):  # each hit separately, for a client to show
            body["issues"] = [issue_dict(i) for i in exc.issues]
        return JSONResponse(body, status)

    app.add_exception_handler(ServiceError, on_service_error)
    app.add_exception_handler(ResultsError, on_results_error)
