"""The complaint filter of the list and dashboard pages, read from the query string.

The filter lives in the URL (a GET form), so a filtered list or dashboard can be bookmarked and
sent to a colleague. Every field is checked here and a bad value becomes a message next to that
field (a catalogue key, shown in the page's language) instead of an error page; dates are the
plant's local days, ``to`` included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from results.accounts import Principal
from results.calendar import PLANT_TZ
from results.complaint_form import Channel
from results.complaint_query import SORT_COLUMNS, ComplaintFilter
from results.complaint_status import ComplaintStatus
from results.errors import ValidationError
from results.models import Severity, Symptom
from results.sla import SlaState
from service.pages.render import page

TEXT_FIELDS = ("number", "customer", "model", "lot")
TEXT_LIMIT = 200
CHOICES: dict[str, tuple[str, ...]] = {
    "symptom": tuple(s.value for s in Symptom),
    "class": tuple(s.value for s in Severity),
    "status": tuple(s.value for s in ComplaintStatus),
    "channel": tuple(c.value for c in Channel),
    "sla": tuple(s.value for s in SlaState),
}
FIELDS = (*TEXT_FIELDS, *CHOICES, "from", "to")
SORTS = tuple(key for name in SORT_COLUMNS for key in (name, f"-{name}"))
DEFAULT_SORT = "-received_at"
_FORM_NAME = {
    "product_model": "model",
    "severity": "class",
    "complaint_class": "class",
    "received_from": "from",
    "received_to": "to",
    "period": "to",
}
"""``results`` names a refused value by its own field; the form calls some fields differently."""
EARLIEST, LATEST = date(1970, 1, 2), date(9000, 1, 1)
"""Dates outside cannot be turned into instants in the plant's zone (nor counted by the KPIs)."""


@dataclass
class FilterForm:
    """What the user asked for (to fill the form again), what it means, and what was wrong."""

    values: dict[str, str]
    filters: ComplaintFilter = field(default_factory=ComplaintFilter)
    sort: str = DEFAULT_SORT
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    """Field name -> catalogue key of the message shown next to it."""

    def refuse(self, exc: ValidationError) -> None:
        """Show a value ``results`` refused next to its field (the form names some differently)."""
        name = _FORM_NAME.get(exc.field, exc.field)
        self.errors[name if name in (*FIELDS, "sort", "page") else "form"] = "filter.error_refused"

    def link(self, **changes: str | int | None) -> str:
        """The query string of this filter with ``changes`` (``None`` drops a key)."""
        params: dict[str, str | int | None] = dict(self.values)
        params["sort"] = self.sort if self.sort != DEFAULT_SORT else None
        params.update(changes)
        kept = {k: v for k, v in params.items() if v not in (None, "")}
        return "?" + urlencode(kept) if kept else ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PLANT_TZ)


def parse_filter_form(query: Mapping[str, str]) -> FilterForm:
    values = {name: query.get(name, "").strip() for name in FIELDS}
    values = {k: v for k, v in values.items() if v}
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        if len(values.get(name, "")) > TEXT_LIMIT:
            errors[name] = "filter.error_too_long"
    for name, allowed in CHOICES.items():
        if name in values and values[name] not in allowed:
            errors[name] = "filter.error_choice"
    days: dict[str, date] = {}
    for name in ("from", "to"):
        if name in values:
            day = _day(values[name])
            if day is None or not EARLIEST <= day < LATEST:
                errors[name] = "filter.error_date"
            else:
                days[name] = day
    start, end = days.get("from"), days.get("to")
    if start and end and end < start:
        errors["to"] = "filter.error_range"
    sort = query.get("sort", "").strip() or DEFAULT_SORT
    if sort not in SORTS:
        errors["sort"] = "filter.error_sort"
        sort = DEFAULT_SORT
    raw_page = query.get("page", "").strip() or "1"
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 0
    if page < 1:
        errors["page"] = "filter.error_page"
        page = 1
    form = FilterForm(values, sort=sort, page=page, errors=errors)
    if errors:
        return form
    form.filters = ComplaintFilter(
        number=values.get("number"),
        customer=values.get("customer"),
        product_model=values.get("model"),
        lot=values.get("lot"),
        symptom=values.get("symptom"),
        severity=values.get("class"),
        status=values.get("status"),
        channel=values.get("channel"),
        received_from=None if start is None else _local_midnight(start),
        received_to=None if end is None else _local_midnight(end + timedelta(days=1)),
        sla=values.get("sla"),
    )
    return form


def filter_page(
    request: Request,
    template: str,
    form: FilterForm,
    user: Principal,
    token: str,
    **context: object,
) -> HTMLResponse:
    """A page with the filter form: 422 while a field is wrong, the form refilled either way."""
    return page(
        request,
        template,
        user=user,
        session_token=token,
        status_code=422 if form.errors else 200,
        form=form,
        choices=CHOICES,
        **context,
    )
