"""The dashboards page: the complaint product database as charts, each with its table.

Every number comes from one SQL aggregate (``results.reports.analytics``, ``results.dashboards``,
``results.kpi``) over the same filter as the complaint list, read from the same query string, so
a dashboard is bookmarkable and a click on "list" shows the complaints behind it. The chart and
its table are drawn from one list of rows, never computed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker

from results.calendar import PLANT_TZ
from results.dashboards import UNTESTED, FirstPass, complaints_per_month, unit_breakdown
from results.errors import ValidationError
from results.kpi import ClassKpi, kpi
from results.models import Severity
from results.reports.analytics import UNRESOLVED, Dimension, ParetoRow, pareto
from service.auth import store_of
from service.bar_charts import Bar, Segment, bar_chart
from service.i18n import Translator, translator
from service.pages.complaint_filters import FilterForm, filter_page, parse_filter_form
from service.pages.render import locale_of, page_user

_T = TypeVar("_T")

router = APIRouter(include_in_schema=False)
PARETO: tuple[tuple[Dimension, str], ...] = (
    ("symptom", "symptom"),
    ("root_cause", "root_cause"),
    ("disposition", "disposition"),
)
"""Each Pareto's dimension and the catalogue group of its category names."""
MISSED_SHOWN = 20
KPI_DEFAULT_DAYS = 365


@dataclass(frozen=True)
class Panel:
    """One chart and its table, built from the same rows."""

    id: str
    title: str
    svg: str
    head: list[str]
    rows: list[list[Any]]


def _label(t: Translator, group: str, code: str) -> str:
    if code in (UNRESOLVED, UNTESTED):
        return t(f"dash.{'none' if code == UNRESOLVED else 'untested'}")
    return t.enum(group, code)


def _pareto_panel(dimension: Dimension, rows: list[ParetoRow], t: Translator) -> Panel:
    group = dict(PARETO)[dimension]
    title = t(f"dash.pareto_{dimension}")
    bars = [
        Bar(
            _label(t, group, r.category),
            (Segment(t("dash.count"), r.count),),
            r.cumulative_percent,
        )
        for r in rows
    ]
    return Panel(
        f"pareto-{dimension}",
        title,
        bar_chart(f"chart-pareto-{dimension}", title, bars, [t("dash.count")]),
        [t("dash.category"), t("dash.count"), t("dash.percent"), t("dash.cumulative")],
        [
            [b.label, r.count, r.percent, r.cumulative_percent]
            for b, r in zip(bars, rows, strict=True)
        ],
    )


def _stacked(
    panel_id: str,
    title: str,
    label_head: str,
    series: dict[str, str],
    counts: dict[str, dict[str, int]],
    t: Translator,
) -> Panel:
    """Bars per key (month, model), a segment per series code; the table: a column per series."""
    bars = [
        Bar(key, tuple(Segment(series[code], by.get(code, 0)) for code in series))
        for key, by in counts.items()
    ]
    return Panel(
        panel_id,
        title,
        bar_chart(f"chart-{panel_id}", title, bars, list(series.values())),
        [label_head, *series.values(), t("dash.total")],
        [[b.label, *(s.value for s in b.segments), b.total] for b in bars],
    )


def _month_panel(session: Session, form: FilterForm, t: Translator) -> Panel:
    counts: dict[str, dict[str, int]] = {}
    for m in complaints_per_month(session, form.filters):
        counts.setdefault(m.month, {})[m.complaint_class] = m.count
    classes = {s.value: t.enum("severity", s.value) for s in Severity}
    return _stacked("per-month", t("dash.per_month"), t("dash.month"), classes, counts, t)


def _first_pass_panel(first_pass: list[FirstPass], t: Translator) -> Panel:
    counts: dict[str, dict[str, int]] = {}
    for p in first_pass:
        counts.setdefault(p.product_model, {})[p.verdict] = p.units
    seen = sorted({v for by in counts.values() for v in by})
    order = ["pass", "marginal", "fail", "error", "incomplete", "skipped", UNTESTED]
    codes = [v for v in order if v in seen] + [v for v in seen if v not in order]
    series = {code: _label(t, "verdict", code) for code in codes}
    return _stacked(
        "first-pass", t("dash.first_pass"), t("complaint.product_model"), series, counts, t
    )


def _unit_panels(session: Session, form: FilterForm, t: Translator) -> list[Panel]:
    """The root-cause and disposition Paretos and the first-pass chart: one pass over the
    units (``unit_breakdown``) for the three."""
    units = unit_breakdown(session, form.filters)
    return [
        _pareto_panel("root_cause", units.root_causes, t),
        _pareto_panel("disposition", units.dispositions, t),
        _first_pass_panel(units.first_pass, t),
    ]


def _kpi_period(form: FilterForm) -> tuple[date, date]:
    today = datetime.now(UTC).astimezone(PLANT_TZ).date()
    start = form.values.get("from")
    end = form.values.get("to")
    last = date.fromisoformat(end) if end else today
    first = date.fromisoformat(start) if start else last - timedelta(days=KPI_DEFAULT_DAYS - 1)
    return first, last


def _kpis(session: Session, form: FilterForm) -> tuple[date, date, list[ClassKpi]]:
    start, end = _kpi_period(form)
    found = kpi(
        session, start, end, complaint_class=form.values.get("class"), missed_limit=MISSED_SHOWN
    )
    return start, end, found


def _aggregates(
    sessions: sessionmaker[Session], form: FilterForm, t: Translator
) -> tuple[list[Panel], tuple[date, date, list[ClassKpi]]]:
    """Every chart's aggregate and the KPIs, each in its own session on its own thread.

    The page costs the sum of its queries when they run one after another (about 300 ms on
    100,000 complaints, the KPIs the largest share); the database runs them side by side, so the
    page waits for the slowest instead. The three per-unit aggregates share one query
    (``unit_breakdown``), the machine's two cores being the limit of "side by side". Each query
    reads committed data only, so the panels can differ by a run recorded in between, as two
    page loads could.
    """

    def read(build: Callable[[Session], _T]) -> Callable[[], _T]:
        def run() -> _T:
            with sessions() as session:
                return build(session)

        return run

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboards") as pool:
        symptoms = pool.submit(
            read(lambda s: _pareto_panel("symptom", pareto(s, "symptom", form.filters), t))
        )
        month = pool.submit(read(lambda s: _month_panel(s, form, t)))
        units = pool.submit(read(lambda s: _unit_panels(s, form, t)))
        kpis = pool.submit(read(lambda s: _kpis(s, form)))
        causes, dispositions, first_pass = units.result()
        panels = [symptoms.result(), causes, dispositions, month.result(), first_pass]
        return panels, kpis.result()


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards(request: Request) -> HTMLResponse:
    user, token = page_user(request)
    form = parse_filter_form(request.query_params)
    t = translator(locale_of(request))
    if "sla" in form.values and "sla" not in form.errors:
        form.errors["sla"] = "filter.error_sla_dashboard"
    panels: list[Panel] = []
    kpis: list[ClassKpi] = []
    period: tuple[date, date] | None = None
    if not form.errors:
        try:
            panels, (start, end, kpis) = _aggregates(store_of(request).sessions, form, t)
            period = (start, end)
        except ValidationError as exc:
            form.refuse(exc)
    return filter_page(
        request,
        "dashboards.html",
        form,
        user,
        token,
        panels=panels,
        kpis=kpis,
        period=period,
        missed_shown=MISSED_SHOWN,
    )
