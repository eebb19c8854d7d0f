"""The complaint search page (filters, sort, pages, all in SQL) and the CSV export of a filter.

Both read the filter from the query string (``complaint_filters``) and ask ``results``'s own
query (``find_complaints`` for a page, ``stream_complaints`` for the export), so the page, the
export, ``GET /api/complaints`` and ``packbench complaint list`` always agree on what matches.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from results.calendar import Calendar
from results.complaint_query import SORT_COLUMNS, find_complaints, stream_complaints
from results.errors import ValidationError
from results.models import Complaint
from service.auth import store_of
from service.i18n import Translator, translator
from service.pages.complaint_filters import FilterForm, filter_page, parse_filter_form
from service.pages.render import locale_of, page_user
from service.views import sla_summary

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
SORTABLE = tuple(key for key in SORT_COLUMNS if key != "id")


@router.get("/complaints", response_class=HTMLResponse)
def complaint_search(request: Request) -> HTMLResponse:
    user, token = page_user(request)
    form = parse_filter_form(request.query_params)
    now = datetime.now(UTC)
    rows: list[tuple[Complaint, dict[str, object]]] = []
    total = 0
    if not form.errors:
        try:
            with store_of(request).sessions() as session:
                found = find_complaints(
                    session,
                    form.filters,
                    sort=form.sort,
                    limit=PAGE_SIZE,
                    offset=(form.page - 1) * PAGE_SIZE,
                    now=now,
                )
                calendar = Calendar.load(session)
                rows = [(c, sla_summary(c, calendar, now)) for c in found.items]
                total = found.total
        except ValidationError as exc:
            form.refuse(exc)
    pages = max(1, -(-total // PAGE_SIZE))
    return filter_page(
        request,
        "complaint_search.html",
        form,
        user,
        token,
        rows=rows,
        total=total,
        pages=pages,
        sortable=SORTABLE,
    )


def _csv_rows(request: Request, form: FilterForm, t: Translator, now: datetime) -> Iterator[str]:
    """The export, a batch of rows at a time, in the session the stream holds open."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")  # so that spreadsheet programs read the UTF-8 (Chinese) correctly
    writer.writerow(
        [
            t("complaint.number"),
            t("complaint.received_at"),
            t("complaint.customer"),
            t("complaint.product_model"),
            t("complaint.symptom"),
            t("complaint.severity"),
            t("page.status"),
            t("filter.channel"),
        ]
    )
    with store_of(request).sessions() as session:
        for n, c in enumerate(stream_complaints(session, form.filters, sort=form.sort, now=now)):
            writer.writerow(
                [
                    c.number,
                    c.received_at.isoformat(),
                    c.customer,
                    c.product_model,
                    t.enum("symptom", c.symptom),
                    t.enum("severity", c.severity),
                    t.enum("status", c.status),
                    t.enum("channel", c.channel),
                ]
            )
            if n % 500 == 499:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


@router.get("/complaints.csv")
def complaint_export(request: Request) -> Response:
    page_user(request)
    form = parse_filter_form(request.query_params)
    t = translator(locale_of(request))
    now = datetime.now(UTC)
    if not form.errors:
        try:
            with store_of(request).sessions() as session:  # refuse a bad filter before streaming
                next(stream_complaints(session, form.filters, sort=form.sort, now=now), None)
        except ValidationError as exc:
            form.refuse(exc)
    if form.errors:
        problems = "; ".join(f"{t('filter.' + f)}: {t(k)}" for f, k in form.errors.items())
        return Response(problems, status_code=422, media_type="text/plain; charset=utf-8")
    return StreamingResponse(
        _csv_rows(request, form, t, now),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="complaints.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )
