"""What every process page form shares: reading the post, checking it with the API's own model,
and turning a refusal into messages next to the fields that caused it.

The pages hold no rules of their own: a form's fields are validated by the same pydantic model
the API's body uses and then passed to the same ``results`` function, so a page and the API
refuse the same input with the same words. A refusal raises ``FormRefused`` (field -> message),
which the page shows beside each input, answering 422 with nothing written (the store's
transaction is rolled back by the ``sessions.begin()`` that raised). The CSRF check of every
post is ``routes.posted_form``'s, so a change to it reaches these forms too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pydantic
from fastapi import Request
from starlette.datastructures import UploadFile

from results.accounts import Principal
from results.errors import ResultsError, ValidationError
from service.errors import results_status
from service.i18n import Translator
from service.pages.routes import posted_form
from service.store_errors import store_error_text

FORM_LEVEL = "_form"
"""The key of a refusal that belongs to the form as a whole (a state, not one field)."""
MAX_TEXT_UPLOAD = 1_000_000
"""A CSV of serials larger than this is no unit list (the API caps its text at the same size)."""

_M = TypeVar("_M", bound=pydantic.BaseModel)
_T = TypeVar("_T")


class FormRefused(Exception):
    """A form's input is refused; ``errors`` maps each field name to its message.

    ``labels`` holds, for the refusals the model itself gave, the catalogue key of the message
    and its values, so the page can say it in its own language (``shown_errors``).
    """

    def __init__(
        self,
        errors: Mapping[str, str],
        status: int = 422,
        labels: Mapping[str, tuple[str, dict[str, str]]] | None = None,
    ) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.status = status
        self.labels = dict(labels or {})


PYDANTIC_LABELS = {
    "missing": "missing",
    "int_parsing": "int_parsing",
    "int_type": "int_parsing",
    "greater_than_equal": "greater_than_equal",
    "less_than_equal": "less_than_equal",
    "string_too_short": "string_too_short",
    "string_too_long": "string_too_long",
    "too_short": "too_short",
    "date_parsing": "date_parsing",
    "date_from_datetime_parsing": "date_parsing",
    "datetime_parsing": "datetime_parsing",
    "datetime_from_date_parsing": "datetime_parsing",
    "literal_error": "choice",
    "enum": "choice",
    "bool_parsing": "bool_parsing",
    "string_pattern_mismatch": "pattern",
}
"""pydantic's error types the pages say in their own words (``form_error.*`` in the catalogue);
any other keeps pydantic's English message."""


def shown_errors(refused: FormRefused, t: Translator) -> dict[str, str]:
    """The refusal's messages in the page's language where the catalogue has them."""
    shown = {name: store_error_text(text, t) for name, text in refused.errors.items()}
    for field_name, (key, values) in refused.labels.items():
        if field_name in shown:
            shown[field_name] = t(f"form_error.{key}", **values)
    return shown


@dataclass
class Posted:
    """A logged-in user's posted form (CSRF checked): text fields and uploaded files."""

    user: Principal
    fields: dict[str, str]
    files: dict[str, UploadFile] = field(default_factory=dict)


async def read_posted(request: Request) -> Posted:
    user, fields = await posted_form(request)
    form = await request.form()  # starlette keeps the parsed form: no second read of the body
    files = {k: v for k, v in form.multi_items() if isinstance(v, UploadFile)}
    return Posted(user, fields, files)


def _loc(parts: Iterable[object]) -> str:
    return ".".join(str(p) for p in parts if p != "__root__") or FORM_LEVEL


def refused_by_model(exc: pydantic.ValidationError) -> FormRefused:
    """Each pydantic error under its field path (``causes.0.description``), first one kept."""
    errors: dict[str, str] = {}
    labels: dict[str, tuple[str, dict[str, str]]] = {}
    for error in exc.errors():
        where = _loc(error["loc"])
        if where in errors:
            continue
        errors[where] = error["msg"]
        key = PYDANTIC_LABELS.get(error["type"])
        if key is not None:
            ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
            labels[where] = (key, ctx)
    return FormRefused(errors, labels=labels)


def refusal(exc: ResultsError) -> FormRefused:
    """A store refusal as a form refusal: a ``ValidationError`` at its field, anything else
    (a state the step does not fit) at the form with the status the API would answer."""
    if isinstance(exc, ValidationError):
        return FormRefused({exc.field: f"{exc.problem}; {exc.fix}"}, results_status(exc))
    return FormRefused({FORM_LEVEL: str(exc)}, results_status(exc))


def placed(
    errors: Mapping[str, str],
    names: Iterable[str],
    label: Callable[[str], str] = lambda name: name,
) -> dict[str, str]:
    """``errors`` with each one the form has no input for moved to the form as a whole, so a
    refusal of a button-only form (or of a field the store names differently) is still shown;
    it then starts with the field, as ``label`` names it in the page's language."""
    names = list(names)

    def shown(key: str) -> bool:
        return any(n == key or n.startswith(key + ".") or key.startswith(n + ".") for n in names)

    out: dict[str, str] = {}
    for key, message in errors.items():
        target = key if shown(key) else FORM_LEVEL
        text = message if target == key else f"{label(key)}: {message}"
        out[target] = f"{out[target]}; {text}" if target in out else text
    return out


def checked(model: type[_M], data: Mapping[str, Any]) -> _M:
    """``data`` as the API's ``model``, or ``FormRefused`` naming every bad field."""
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        raise refused_by_model(exc) from None


def filled(fields: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The named fields that were filled in: a blank optional field is left to its default."""
    return {n: fields[n].strip() for n in names if fields.get(n, "").strip()}


def as_utc(text: str) -> str:
    """A ``datetime-local`` value (no zone) as UTC: the pages show and take UTC throughout."""
    value = text.strip()
    if value and "T" in value and not value.endswith("Z") and "+" not in value[10:]:
        return value + "+00:00"
    return value


def as_int(text: str) -> int | str:
    """A whole number typed into a field; anything else is left for the model to refuse by name
    (the returns forms take numbers strictly, so "5" must become 5 first)."""
    value = text.strip()
    return int(value) if value.lstrip("-").isdigit() else value


def checkbox(fields: Mapping[str, str], name: str) -> bool:
    return fields.get(name) in ("on", "true", "yes", "1")


async def upload_text(posted: Posted, name: str) -> str:
    """An uploaded text file (a CSV of serials) as text, or "" when no file was chosen."""
    upload = posted.files.get(name)
    if upload is None or not upload.filename:
        return ""
    data = await upload.read(MAX_TEXT_UPLOAD + 1)
    if len(data) > MAX_TEXT_UPLOAD:
        raise FormRefused({name: f"the file is larger than {MAX_TEXT_UPLOAD} bytes"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormRefused({name: "the file is not UTF-8 text; save it as CSV (UTF-8)"}) from None


def guarded(work: Callable[[], _T]) -> _T:
    """Run a store write; a store refusal becomes ``FormRefused`` (the write rolled back)."""
    try:
        return work()
    except ResultsError as exc:
        raise refusal(exc) from exc
