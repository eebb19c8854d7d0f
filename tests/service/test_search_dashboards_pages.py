"""The complaint search page, its CSV export and the dashboards page, in both languages."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from importlib import resources

import pytest
from documents import T0, complaint_payload, run_document
from service_support import Service

from service.i18n import translator
from service.pages import dashboards, search

LANGS = ("en", "zh_CN")


def _login(svc: Service, user: str = "zhao.min") -> None:
    svc.login(user)


def _complaint(svc: Service, **fields: object) -> str:
    r = svc.client.post(
        "/api/complaints", json=complaint_payload(**fields), headers=svc.auth("wang.wei")
    )
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def _unit_with_run(svc: Service, number: str, serial: str, lot: str) -> None:
    r = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": serial, "received_at": T0.isoformat(), "lot": lot},
        headers=svc.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    doc = run_document(r.json()["id"], serial, number)
    r = svc.client.post("/api/runs", json=doc, headers=svc.auth("bench-3"))
    assert r.status_code in (200, 201), r.text


@pytest.fixture
def filled(service: Service) -> dict[str, str]:
    numbers = {
        "acme": _complaint(service, customer="Acme", symptom="leakage", severity="severe"),
        "jia": _complaint(
            service,
            customer="甲公司",
            symptom="no_power_on",
            received_at=(T0 + timedelta(days=40)).isoformat(),
        ),
        "beta": _complaint(service, customer="Beta", channel="hotline"),
    }
    _unit_with_run(service, numbers["acme"], "A-1", "L1")
    _unit_with_run(service, numbers["jia"], "J-1", "L2")
    _login(service)
    return numbers


def _messages(locale: str) -> dict[str, str]:
    text = (resources.files("service") / "locale" / f"{locale}.json").read_text(encoding="utf-8")
    messages: dict[str, str] = json.loads(text)
    return messages


def _untranslated(html: str) -> list[str]:
    """English sentences of this page's catalogue entries that show on the Chinese page."""
    english = _messages("en")
    chinese = _messages("zh_CN")
    return [
        text
        for key, text in english.items()
        if key.startswith(("filter.", "dash."))
        and "{" not in text
        and len(text) > 3
        and text != chinese[key]
        and f">{text}<" in html
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_search_filters_sorts_and_is_bookmarkable(
    service: Service, filled: dict[str, str], lang: str
) -> None:
    c = service.client
    r = c.get(f"/complaints?customer=甲公司&lang={lang}")
    assert r.status_code == 200
    rows = re.findall(r'<tr data-number="([^"]+)"', r.text)
    assert rows == [filled["jia"]]
    assert 'value="甲公司"' in r.text  # the form shows the filter it applied
    assert _untranslated(r.text) == [] if lang == "zh_CN" else True
    newest_first = re.findall(r'<tr data-number="([^"]+)"', c.get("/complaints").text)
    assert newest_first[0] == filled["jia"] and len(newest_first) == 3
    by_customer = re.findall(r'<tr data-number="([^"]+)"', c.get("/complaints?sort=customer").text)
    assert by_customer == [filled["acme"], filled["beta"], filled["jia"]]
    symptom = re.findall(r'<tr data-number="([^"]+)"', c.get("/complaints?symptom=leakage").text)
    assert symptom == [filled["acme"]]
    lot = re.findall(r'<tr data-number="([^"]+)"', c.get("/complaints?lot=L2&class=general").text)
    assert lot == [filled["jia"]]
    period = c.get(f"/complaints?from={(T0 + timedelta(days=30)).date()}&to={T0.date()}")
    assert period.status_code == 422 and 'id="error-to"' in period.text


def test_pages_move_through_the_filter(
    service: Service, filled: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    first = service.client.get("/complaints?sort=customer")
    assert re.findall(r'<tr data-number="([^"]+)"', first.text) == [filled["acme"], filled["beta"]]
    following = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert following is not None
    second = service.client.get("/complaints" + following.group(1).replace("&amp;", "&"))
    assert re.findall(r'<tr data-number="([^"]+)"', second.text) == [filled["jia"]]


@pytest.mark.parametrize("lang", LANGS)
def test_bad_filter_values_are_named_next_to_the_field(
    service: Service, filled: dict[str, str], lang: str
) -> None:
    messages = _messages(lang)
    r = service.client.get(
        f"/complaints?from=2026-13-45&symptom=bogus&page=x&sort=colour&number={'9' * 201}"
        f"&lang={lang}"
    )
    assert r.status_code == 422
    for name, key in (
        ("from", "filter.error_date"),
        ("symptom", "filter.error_choice"),
        ("page", "filter.error_page"),
        ("sort", "filter.error_sort"),
        ("number", "filter.error_too_long"),
    ):
        shown = re.search(rf'id="error-{name}">([^<]+)<', r.text)
        assert shown is not None and messages[key] in shown.group(1), name
    export = service.client.get(f"/complaints.csv?to=yesterday&lang={lang}")
    assert export.status_code == 422 and messages["filter.error_date"] in export.text
    board = service.client.get(f"/dashboards?sla=overdue&lang={lang}")
    assert board.status_code == 422
    assert messages["filter.error_sla_dashboard"] in board.text


@pytest.mark.parametrize("lang", LANGS)
def test_csv_exports_the_current_filter(
    service: Service, filled: dict[str, str], lang: str
) -> None:
    r = service.client.get(f"/complaints.csv?sort=customer&lang={lang}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.removeprefix("\ufeff"))))
    assert rows[0][0] == ("Complaint no." if lang == "en" else "客诉编号")
    assert [row[0] for row in rows[1:]] == [filled["acme"], filled["beta"], filled["jia"]]
    one = service.client.get("/complaints.csv?channel=hotline")
    assert [row[0] for row in csv.reader(io.StringIO(one.text))][1:] == [filled["beta"]]
    page = service.client.get("/complaints?channel=hotline")
    link = re.search(r'id="export-csv" href="([^"]+)"', page.text)
    assert link is not None and link.group(1) == "/complaints.csv?channel=hotline"


def test_the_chinese_csv_export_is_labels_only(service: Service, filled: dict[str, str]) -> None:
    """The page's export is the human one (a spreadsheet in the page's language): header and
    coded cells by their labels, no code; the machine export with codes is ``GET
    /api/complaints`` and ``packbench complaint list --json/--csv``. The complaint number is
    the key a person or a script matches rows by, in both languages."""
    zh, en = translator("zh_CN"), translator("en")
    r = service.client.get("/complaints.csv?sort=customer&lang=zh_CN")
    rows = list(csv.reader(io.StringIO(r.text.removeprefix("\ufeff"))))
    english = service.client.get("/complaints.csv?lang=en").text.removeprefix("\ufeff")
    assert not set(rows[0]) & set(next(csv.reader(io.StringIO(english))))
    listed = service.client.get("/api/complaints", headers=service.auth("zhao.min")).json()
    by_number = {c["number"]: c for c in listed["items"]}
    for row in rows[1:]:
        c = by_number[row[0]]
        coded = {"symptom": c["symptom"], "severity": c["severity"], "status": c["status"]}
        coded["channel"] = c.get("channel") or ""
        cells = row[4:8]
        assert cells == [zh.enum(g, v or None) for g, v in coded.items()], row
        assert not {v for v in coded.values() if v} & set(cells), row
        assert not {en.enum(g, v) for g, v in coded.items() if v} & set(cells), row


class _Charts(HTMLParser):
    """Each panel's SVG bar values and its table's numeric cells, by panel id."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: dict[str, list[tuple[str, str, int]]] = {}
        self.cells: dict[str, list[list[str]]] = {}
        self._panel = ""
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._panel = a.get("id") or ""
        elif tag == "rect" and a.get("class") == "bar":
            self.bars.setdefault(self._panel, []).append(
                (a["data-label"] or "", a["data-series"] or "", int(a["data-value"] or 0))
            )
        elif tag == "table" and (a.get("id") or "").startswith("table-"):
            self._table = self._panel
            self.cells[self._panel] = []
        elif tag == "tr" and self._table is not None:
            self.cells[self._table].append([])
        elif tag == "td" and self._table is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.cells[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None


@pytest.mark.parametrize("lang", LANGS)
def test_dashboards_chart_values_equal_their_tables(
    service: Service, filled: dict[str, str], lang: str
) -> None:
    r = service.client.get(f"/dashboards?lang={lang}")
    assert r.status_code == 200, r.text
    parsed = _Charts()
    parsed.feed(r.text)
    panels = ["pareto-symptom", "pareto-root_cause", "pareto-disposition", "per-month"]
    stacked = ("per-month", "first-pass")
    for panel in [*panels, "first-pass"]:
        assert parsed.bars.get(panel), panel
        rows = [row for row in parsed.cells[panel] if row]
        from_table = sorted(
            (row[0], int(value))
            for row in rows
            for value in (row[1:-1] if panel in stacked else row[1:2])
            if value.isdigit() and int(value) > 0
        )
        charted = sorted((label, value) for label, _series, value in parsed.bars[panel])
        assert from_table == charted, panel
    symptoms = {label: value for label, _s, value in parsed.bars["pareto-symptom"]}
    leakage = "leakage" if lang == "en" else "漏液"
    assert sorted(symptoms.values()) == [1, 2] and symptoms.get(leakage) == 1
    assert sum(value for _l, _s, value in parsed.bars["per-month"]) == 3
    assert 'id="table-kpi"' in r.text
    if lang == "zh_CN":
        assert _untranslated(r.text) == []
    filtered = service.client.get("/dashboards?customer=Acme")
    parsed = _Charts()
    parsed.feed(filtered.text)
    assert [v for _l, _s, v in parsed.bars["pareto-symptom"]] == [1]
    link = re.search(r'id="to-list" href="([^"]+)"', filtered.text)
    assert link is not None and link.group(1) == "/complaints?customer=Acme"


def test_dashboards_list_missed_numbers_of_every_class(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more misses than the page lists, every class still links its first ones (the cap
    was shared by the classes, so one class showed misses and no number)."""
    monkeypatch.setattr(dashboards, "MISSED_SHOWN", 1)
    # received on T0, registered now: months late for every target
    numbers = {
        severity: sorted(_complaint(service, severity=severity) for _ in range(2))
        for severity in ("severe", "general")
    }
    _login(service)
    r = service.client.get("/dashboards")
    assert r.status_code == 200, r.text
    rows = re.findall(r'<tr data-class="(\w+)" data-target="(\w+)"[^>]*>(.*?)</tr>', r.text, re.S)
    listed = {
        (c, t): re.findall(r'class="missed" href="/complaints/([^"]+)"', row) for c, t, row in rows
    }
    assert listed == {
        (severity, target): [first[0]]
        for severity, first in numbers.items()
        for target in ("registered", "investigated", "closed", "all_closed")
    }
