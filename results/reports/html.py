"""The complaint analysis report as one self-contained HTML page (inline CSS and SVG).

No template engine: the page is small, every value passes through ``escape`` at one place
(``_cell``/``_text``), and the output must be byte-stable for the same data, which plain string
building with fixed formatting gives for free.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from procedures.records import Verdict
from results.reports import consistency, fmt, plots
from results.reports.annex import annex_cells, annex_headers, photo_bytes
from results.reports.labels import Catalogue, catalogue
from results.reports.model import (
    EightD,
    EvidenceRef,
    MeasurementRow,
    ProblemDescription,
    ReportData,
    RunData,
    UnitData,
)
from results.reports.sanitise import customer_text
from results.reports.summary import (
    diagnosis_runs,
    run_sentences,
    shown_explanation,
    shown_note,
    shown_value,
    unit_sentence,
)

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",
"Helvetica Neue",Arial,sans-serif;font-size:13px;color:#222;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;border-bottom:1px solid #999;margin-top:28px}
h3{font-size:14px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px}
table{border-collapse:collapse;margin:4px 0 10px;width:100%}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:28%}
.v-pass{color:#1e7b34}.v-marginal{color:#b07800}.v-fail,.v-error,.v-aborted,.v-incomplete{color:#b00020;
font-weight:bold}.v-skipped{color:#777}
.draft{color:#b00020;font-weight:bold}.missing{color:#b00020}
tr:target{background:#fff3b0}.note{color:#555;font-style:italic}
small.why{color:#555;font-size:11px;display:block;max-width:16em}td.nowrap{white-space:nowrap}
figure{margin:6px 0 14px}figcaption{font-size:12px;color:#444}
figure.photo img{max-width:100%;max-height:480px;height:auto}
footer{margin-top:30px;border-top:1px solid #999;padding-top:6px;color:#555}
"""


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _cell(value: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}>{_text(value)}</td>"


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    row_ids: Sequence[str] | None = None,
    raw_columns: frozenset[int] = frozenset(),
    num_columns: frozenset[int] = frozenset(),
    nowrap_columns: frozenset[int] = frozenset(),
    css: Sequence[str] | None = None,
    why: Sequence[tuple[str, str]] | None = None,
) -> str:
    """``why`` gives each row's verdict cell a tooltip and a small line under the verdict."""
    out = ["<table><thead><tr>", *(f"<th>{_text(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for number, row in enumerate(rows):
        row_id = f' id="{row_ids[number]}"' if row_ids else ""
        out.append(f"<tr{row_id}>")
        for column, value in enumerate(row):
            if column in raw_columns:
                out.append(f"<td>{value}</td>")
            elif why and column == len(row) - 3:
                cls = f' class="{css[number]}"' if css and css[number] else ""
                title, line = why[number]
                tip = f' title="{_text(title)}"' if title else ""
                small = f'<br><small class="why">{_text(line)}</small>' if line else ""
                out.append(f"<td{cls}{tip}>{_text(value)}{small}</td>")
            else:
                classes = []
                if column in num_columns:
                    classes.append("num")
                if column in nowrap_columns:
                    classes.append("nowrap")
                if css and css[number] and column == len(row) - 3:
                    classes.append(css[number])
                out.append(_cell(value, " ".join(classes)))
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _kv(pairs: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{_text(k)}</th><td>{_text(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _complaint(data: ReportData, t: Catalogue) -> str:
    c = data.complaint
    summary = _kv(
        [
            (t["complaint.number"], c.number),
            (t["complaint.product_no"], c.product_no),
            (t["complaint.customer"], c.customer),
            (t["complaint.project"], c.project),
            (t["complaint.product_model"], c.product_model),
            (t["complaint.product_spec"], c.product_spec),
            (t["complaint.lot"], c.lot),
            (t["complaint.severity"], t.enum("severity", c.severity)),
            (t["complaint.received_at"], fmt.timestamp(c.received_at)),
            (t["complaint.shipment_date"], fmt.day(c.shipment_date)),
            (t["complaint.shipped_qty"], fmt.integer(c.shipped_qty)),
            (t["complaint.defect_qty"], fmt.integer(c.defect_qty)),
            (t["complaint.stock_on_hand_qty"], fmt.integer(c.stock_on_hand_qty)),
        ]
    )
    claim = _kv(
        [
            (t["complaint.symptom"], t.enum("symptom", c.symptom)),
            (t["complaint.symptom_text"], c.symptom_text),
            (t["complaint.usage_temperature"], c.usage_temperature),
            (t["complaint.time_in_use"], c.time_in_use),
            (t["complaint.usage_location"], c.usage_location),
            (t["complaint.customer_demands"], c.customer_demands),
        ]
    )
    return (
        f'<section id="complaint"><h2>{_text(t["section.complaint"])}</h2>{summary}'
        f"<h3>{_text(t['section.customer_claim'])}</h3>{claim}</section>"
    )


def measurement_cells(row: MeasurementRow, t: Catalogue) -> list[str]:
    """One row of the measurement table as text, shared with the PDF renderer."""
    value = row.text_value if row.value is None and row.text_value is not None else row.value
    return [
        row.step,
        row.name,
        fmt.number(value) if isinstance(value, float) else (value or ""),
        row.unit,
        fmt.limits(row.low, row.high, row.low_inclusive, row.high_inclusive, row.unit),
        t.enum("verdict", row.verdict.name.lower()),
        row.instrument or "",
        fmt.timestamp(row.timestamp),
    ]


PROBLEM_FIELDS = ("what", "where", "when", "who", "why", "how", "how_many")
"""D2 in 5W2H order; each field's label is ``eightd.<field>`` in the catalogues."""


def problem_pairs(problem: ProblemDescription, t: Catalogue) -> list[tuple[str, str]]:
    """D2's label/value rows, shared with the PDF renderer so the two never disagree."""
    return [(t[f"eightd.{name}"], getattr(problem, name)) for name in PROBLEM_FIELDS]


def verdict_reason(row: MeasurementRow) -> str:
    """The engine's own comparison text, printed under a verdict that is not a plain pass.

    It already says how the verdict was decided (``0.35 < 3 V (below low limit)``), so the report
    quotes it rather than rebuilding it; a pass keeps it as a tooltip only, to keep tables short.
    """
    return "" if row.verdict is Verdict.PASS else customer_text(row.comparison)


def measurement_headers(t: Catalogue) -> list[str]:
    keys = ("step", "measurement", "value", "unit", "limits", "verdict")
    return [t[f"col.{k}"] for k in (*keys, "instrument", "timestamp")]


def _run(run: RunData, t: Catalogue) -> str:
    meta = _kv(
        [
            (t["run.procedure"], f"{run.procedure} {run.procedure_version}"),
            (t["run.station"], run.station),
            (t["run.operator"], run.operator),
            (t["run.started"], fmt.timestamp(run.started)),
            (t["run.ended"], fmt.timestamp(run.ended)),
            (t["run.verdict"], t.enum("verdict", run.verdict.name.lower())),
        ]
    )
    rows = [m for step in run.steps for m in step.measurements]
    table = _table(
        measurement_headers(t),
        [measurement_cells(m, t) for m in rows],
        row_ids=[m.anchor for m in rows],
        num_columns=frozenset({2}),
        nowrap_columns=frozenset({4}),  # an inequality broken across lines is hard to read
        css=[f"v-{m.verdict.name.lower()}" for m in rows],
        why=[(customer_text(m.comparison), verdict_reason(m)) for m in rows],
    )
    notes = "".join(
        f'<p class="note">{_text(t.format("step.title", index=s.index, name=s.name))}: '
        f"{_text(shown_note(s.message))}</p>"
        for s in run.steps
        if s.message
    )
    summary = f'<p class="summary">{_text(" ".join(run_sentences(run, t)))}</p>'
    figures = []
    for step in run.steps:
        for trace in step.traces:
            chart = plots.layout(trace, t["trace.time"])
            figures.append(
                f"<figure>{plots.svg(chart)}<figcaption>"
                f"{_text(t.format('step.title', index=step.index, name=step.name))}: "
                f"{_text(trace.name)}</figcaption></figure>"
            )
    traces = "".join(figures) or f'<p class="note">{_text(t["trace.none"])}</p>'
    return (
        f'<section class="run" id="run-{_text(run.run_id)}">'
        f"<h4>{_text(t.format('run.title', run=run.run_id))}</h4>{meta}{summary}"
        f"<h4>{_text(t['section.measurements'])}</h4>{table}{notes}"
        f"<h4>{_text(t['section.traces'])}</h4>{traces}</section>"
    )


def _evidence_link(run: RunData, ref: str) -> str:
    row = run.find_measurement(ref)
    if row is None:
        return f'<span class="missing">{_text(ref)} (?)</span>'
    return f'<a href="#{row.anchor}">{_text(ref)}</a>'


def _diagnosis(units: Sequence[UnitData], t: Catalogue) -> str:
    rows, ids = [], []
    for unit in units:
        for run in diagnosis_runs(unit):
            for conclusion in run.conclusions:
                links = ", ".join(_evidence_link(run, ref) for ref in conclusion.evidence)
                value = shown_value(t, conclusion.kind, conclusion.value)
                rows.append(
                    [
                        _text(unit.serial),
                        _text(t.enum("conclusion", conclusion.kind)),
                        _text(value),
                        _text(shown_explanation(conclusion.explanation)),
                        links,
                    ]
                )
                ids.append("")
    if not rows:
        return f'<p class="note">{_text(t["diagnosis.none"])}</p>'
    headers = [t["unit.serial"], t["diagnosis.kind"], t["diagnosis.value"]]
    headers += [t["diagnosis.explanation"], t["diagnosis.evidence"]]
    return _table(headers, rows, raw_columns=frozenset(range(5)))


def _evidence_refs(refs: Sequence[EvidenceRef], report: ReportData) -> str:
    out = []
    for ref in refs:
        if ref.kind == "measurement":
            anchor = report.measurement_ref_anchor(ref.ref)
            out.append(
                f'<a href="#{anchor}">{_text(ref.ref)}</a>'
                if anchor
                else f'<span class="missing">{_text(ref.ref)} (?)</span>'
            )
        elif ref.kind == "run":
            out.append(f'<a href="#run-{_text(ref.ref)}">{_text(ref.ref)}</a>')
        else:
            digest = f" sha256:{ref.sha256[:16]}" if ref.sha256 else ""
            out.append(_text(f"{ref.kind}:{ref.ref}{digest}"))
    return ", ".join(out)


def _eightd(report: ReportData, e: EightD | None, t: Catalogue) -> str:
    head = f'<section id="eightd"><h2>{_text(t["section.eightd"])}</h2>'
    if e is None:
        return f'{head}<p class="note">{_text(t["eightd.none"])}</p></section>'
    yes_no = {True: t["eightd.yes"], False: t["eightd.no"], None: ""}
    parts = [head, f"<h3>{_text(t['eightd.d1'])}</h3>"]
    parts.append(
        _table(
            [t["eightd.name"], t["eightd.department"], t["eightd.role"]],
            [[m.name, m.department, t.enum("role", m.role)] for m in e.team],
        )
    )
    p = e.problem
    parts.append(f"<h3>{_text(t['eightd.d2'])}</h3>")
    parts.append(_kv(problem_pairs(p, t)))
    parts.append(f"<h3>{_text(t['eightd.d3'])}</h3>")
    parts.append(
        _table(
            [
                t["eightd.location"],
                t["eightd.qty_checked"],
                t["eightd.qty_ng"],
                t["eightd.frozen"],
                t["eightd.method"],
                t["eightd.owner"],
                t["eightd.due"],
                t["eightd.done"],
            ],
            [
                [
                    t.enum("location", a.location),
                    str(a.qty_checked),
                    str(a.qty_ng),
                    yes_no[a.frozen],
                    a.method,
                    a.owner,
                    fmt.day(a.due),
                    fmt.day(a.done),
                ]
                for a in e.containment
            ],
            num_columns=frozenset({1, 2}),
        )
    )
    parts.append(f"<h3>{_text(t['eightd.d4'])}</h3>")
    parts.append(
        _table(
            [t["eightd.kind"], t["eightd.description"], t["eightd.status"], t["eightd.evidence"]],
            [
                [
                    _text(t.enum("cause_kind", c.kind)),
                    _text(c.description),
                    _text(t.enum("cause_status", c.status)),
                    _evidence_refs(c.evidence, report),
                ]
                for c in e.causes
            ],
            raw_columns=frozenset(range(4)),
        )
    )
    for phase in ("d5", "d6", "d7"):
        parts.append(f"<h3>{_text(t[f'eightd.{phase}'])}</h3>")
        parts.append(
            _table(
                [
                    t["eightd.action"],
                    t["eightd.owner"],
                    t["eightd.due"],
                    t["eightd.done"],
                    t["eightd.verification"],
                ],
                [
                    [
                        _text(a.description),
                        _text(a.owner),
                        _text(fmt.day(a.due)),
                        _text(fmt.day(a.done)),
                        _text(a.verification)
                        + (" " + _evidence_refs(a.evidence, report) if a.evidence else ""),
                    ]
                    for a in e.actions
                    if a.phase == phase
                ],
                raw_columns=frozenset(range(5)),
            )
        )
    cl = e.closure
    parts.append(f"<h3>{_text(t['eightd.d8'])}</h3>")
    parts.append(
        _kv(
            [
                (t["eightd.closure_criteria"], cl.criteria),
                (t["eightd.closed_by"], cl.closed_by),
                (t["eightd.closed_at"], fmt.timestamp(cl.closed_at)),
                (t["eightd.customer_acceptance"], yes_no[cl.customer_acceptance]),
            ]
        )
    )
    parts.append("</section>")
    return "".join(parts)


def _set_aside(data: ReportData, t: Catalogue) -> str:
    """Runs kept in the record but not used as evidence: named, with why, nothing more."""
    if not data.set_aside:
        return ""
    table = _table(
        [
            t["unit.serial"],
            t["evidence.run"],
            t["col.procedure"],
            t["set_aside.standing"],
            t["set_aside.reason"],
        ],
        [
            [
                r.unit_serial,
                r.run_id,
                r.procedure,
                t.enum("standing", r.standing),
                shown_note(r.reason),
            ]
            for r in data.set_aside
        ],
    )
    return (
        f'<section id="set-aside"><h2>{_text(t["section.set_aside"])}</h2>'
        f'<p class="note">{_text(t["set_aside.note"])}</p>{table}</section>'
    )


def _approvals(data: ReportData, t: Catalogue) -> str:
    head = f'<section id="approvals"><h2>{_text(t["section.approvals"])}</h2>'
    if not data.signatures:
        return f'{head}<p class="note">{_text(t["signature.none"])}</p></section>'
    table = _table(
        [t["signature.name"], t["signature.meaning"], t["signature.time"], t["signature.hash"]],
        [
            [s.name, t.enum("meaning", s.meaning), fmt.timestamp(s.signed_at), s.content_sha256]
            for s in data.signatures
        ],
    )
    return f"{head}{table}</section>"


def _annex(data: ReportData, t: Catalogue, images: Mapping[str, bytes] | None) -> str:
    head = f'<section id="evidence"><h2>{_text(t["section.evidence"])}</h2>'
    if not data.evidence:
        return f'{head}<p class="note">{_text(t["evidence.none"])}</p></section>'
    table = _table(
        annex_headers(t),
        [annex_cells(f, t) for f in data.evidence],
        row_ids=[f"evidence-{f.attachment_id}" for f in data.evidence],
        num_columns=frozenset({3}),
    )
    figures = []
    for f in data.evidence:
        content = photo_bytes(f, images)
        if content is None:
            continue
        uri = f"data:{f.media_type};base64,{base64.b64encode(content).decode('ascii')}"
        caption = t.format("evidence.photo", id=f.attachment_id, name=f.name)
        figures.append(
            f'<figure class="photo"><img src="{uri}" alt="{_text(f.name)}">'
            f"<figcaption>{_text(caption)}</figcaption></figure>"
        )
    if images is None and any(f.is_photo for f in data.evidence):
        figures.append(f'<p class="note">{_text(t["evidence.not_shown"])}</p>')
    return f"{head}{table}{''.join(figures)}</section>"


def is_approved(data: ReportData) -> bool:
    return any(s.meaning == "approved" for s in data.signatures)


def render_html(
    data: ReportData, locale: str | None = None, *, images: Mapping[str, bytes] | None = None
) -> str:
    """The page; ``images`` (SHA-256 -> bytes, see ``annex.photos``) embeds the annex photos."""
    t = catalogue(locale or data.locale)
    lang = t.locale.replace("_", "-")
    header = [
        f"<h1>{_text(t['report.title'])}</h1>",
        _kv(
            [
                (t["report.number"], data.report_no),
                (t["report.version"], str(data.version)),
                (t["report.issued"], fmt.day(data.issued_at)),
            ]
        ),
    ]
    if data.amends is not None:
        amends = t.format(
            "report.amends", number=data.amends.report_no, version=data.amends.version
        )
        reason = f"{t['report.amend_reason']}: {data.amends.reason}"
        header.append(f"<p>{_text(amends)}<br>{_text(reason)}</p>")
    if not is_approved(data):
        header.append(f'<p class="draft">{_text(t["report.draft"])}</p>')
    units = [f'<section id="units"><h2>{_text(t["section.units"])}</h2>']
    for unit in data.units:
        units.append(f'<section class="unit" id="unit-{_text(unit.serial)}">')
        units.append(f"<h3>{_text(t['unit.serial'])} {_text(unit.serial)}</h3>")
        units.append(
            _kv(
                [
                    (t["unit.lot"], unit.lot),
                    (t["unit.product_model"], unit.product_model),
                    (t["unit.verdict"], t.enum("verdict", unit.verdict.name.lower())),
                    (t["unit.disposition"], t.enum("disposition", unit.disposition)),
                    (t["unit.summary"], unit_sentence(unit, t)),
                ]
            )
        )
        units.extend(_run(run, t) for run in unit.runs)
        units.append("</section>")
    units.append("</section>")
    disposition = _table(
        [t["unit.serial"], t["unit.verdict"], t["unit.disposition"]],
        [
            [
                u.serial,
                t.enum("verdict", u.verdict.name.lower()),
                t.enum("disposition", u.disposition),
            ]
            for u in data.units
        ],
    )
    body = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{_text(data.report_no)}</title><style>{CSS}</style></head><body>",
        "<header>",
        *header,
        "</header>",
        _complaint(data, t),
        *units,
        f'<section id="diagnosis"><h2>{_text(t["section.diagnosis"])}</h2>',
        _diagnosis(data.units, t),
        "</section>",
        f'<section id="disposition"><h2>{_text(t["section.disposition"])}</h2>',
        disposition,
        "</section>",
        _set_aside(data, t),
        _eightd(data, data.eightd, t),
        _approvals(data, t),
        _annex(data, t, images),
        f"<footer><p>{_text(t['report.items_note'])}</p>",
        f"<p>{_text(data.report_no)} v{data.version} - {_text(t['report.end'])}</p></footer>",
        "</body></html>",
    ]
    page = "\n".join(body)
    if consistency.enabled():
        consistency.enforce(data, consistency.html_text(page))
    return page
