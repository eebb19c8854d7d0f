"""The complaint analysis report as PDF (reportlab platypus), with the CJK font embedded.

Byte-stable for the same data: reportlab's invariant mode fixes the document id seed, the
creation date comes from the report (``ReportData.document_date``), and all text goes through the
same formatters and catalogues as the HTML page. The report number and version stand on every
page (ISO/IEC 17025 7.8.2.1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from results.reports import consistency, fmt, plots
from results.reports.annex import annex_cells, annex_headers, photo_bytes
from results.reports.errors import FontError
from results.reports.fonts import FONT_ENV, missing_characters, report_font
from results.reports.html import (
    is_approved,
    measurement_cells,
    measurement_headers,
    problem_pairs,
    verdict_reason,
)
from results.reports.labels import Catalogue, catalogue
from results.reports.model import (
    EightD,
    EvidenceRef,
    ReportData,
    RunData,
)
from results.reports.summary import (
    diagnosis_runs,
    run_sentences,
    shown_explanation,
    shown_note,
    shown_value,
    unit_sentence,
)

PAGE = landscape(A4)
MARGIN = 12 * mm
FRAME_PADDING = 6.0
"""reportlab's default ``Frame`` padding on each side: the story sees the page minus both."""
FRAME_WIDTH = PAGE[0] - 2 * MARGIN - 2 * FRAME_PADDING
FRAME_HEIGHT = PAGE[1] - 2 * MARGIN - 2 * FRAME_PADDING
VERDICT_COLOURS = {"pass": "#1e7b34", "marginal": "#b07800", "skipped": "#777777"}


class _Styles:
    def __init__(self, font: str, cjk: bool) -> None:
        wrap = "CJK" if cjk else None
        self.body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11, wordWrap=wrap)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.6, wordWrap="CJK")
        self.head = ParagraphStyle("head", parent=self.cell, textColor=colors.black)
        self.h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=20, spaceAfter=4)
        self.h2 = ParagraphStyle(
            "h2", fontName=font, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4
        )
        self.h3 = ParagraphStyle(
            "h3", fontName=font, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
        )


def _p(text: str, style: ParagraphStyle, markup: str = "") -> Paragraph:
    return Paragraph(markup or escape(text), style)


CELL_PADDING = 2.0


def _fits(text: str, widths: Sequence[float] | None, column: int, s: _Styles) -> bool:
    """Whether ``text`` fits its column on one line, so it can be drawn as a plain string."""
    if widths is None or "\n" in text:
        return False
    room = widths[column] - 2 * CELL_PADDING
    return stringWidth(text, s.cell.fontName, s.cell.fontSize) <= room


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str | Paragraph]],
    s: _Styles,
    widths: Sequence[float] | None = None,
    text_colours: Sequence[str | None] | None = None,
) -> Table:
    data: list[list[str | Paragraph]] = [[_p(h, s.head) for h in headers]]
    tints: list[tuple[str, tuple[int, int], tuple[int, int], str]] = []
    for number, row in enumerate(rows):
        cells: list[str | Paragraph] = []
        colour = text_colours[number] if text_colours else None
        if colour:
            tints.append(("TEXTCOLOR", (0, number + 1), (-1, number + 1), colour))
        for column, cell in enumerate(row):
            if isinstance(cell, Paragraph) or _fits(cell, widths, column, s):
                cells.append(cell)  # a one-line cell needs no Paragraph: a third of the time
            else:
                markup = f'<font color="{colour}">{escape(cell)}</font>' if colour else ""
                cells.append(_p(cell, s.cell, markup))
        data.append(cells)
    table = Table(data, colWidths=list(widths) if widths else None, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 1), (-1, -1), s.cell.fontName),
                ("FONTSIZE", (0, 1), (-1, -1), s.cell.fontSize),
                ("LEADING", (0, 1), (-1, -1), s.cell.leading),
                *tints,
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _kv(pairs: Sequence[tuple[str, str]], s: _Styles) -> Table:
    width = FRAME_WIDTH
    rows = [[_p(k, s.head), _p(v, s.cell)] for k, v in pairs]
    table = Table(rows, colWidths=[0.25 * width, 0.75 * width])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.95, 0.95, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def fit_scale(width: float, height: float, max_width: float, max_height: float) -> float:
    """Shrink (never enlarge) to fit both ways: a chart taller than the frame is a LayoutError."""
    return min(1.0, max_width / width, max_height / height)


def _band(
    drawing: Drawing, band: plots.Band, font: str, scale: float, y: Callable[[float], float]
) -> None:
    """A categorical channel (the source's CC/CV mode) as labelled state boxes, as in the SVG."""
    bottom = y(band.top + band.height)
    drawing.add(String(band.left * scale, y(band.top - 4), band.title, fontName=font, fontSize=8))
    for seg in band.segments:
        box = Rect(seg.left * scale, bottom, (seg.right - seg.left) * scale, band.height * scale)
        box.fillColor = colors.HexColor(seg.colour)
        box.strokeColor = None
        drawing.add(box)
        if plots.label_fits(seg):
            drawing.add(
                String(
                    (seg.left + seg.right) / 2 * scale,
                    y(band.top + band.height / 2 + 3),
                    seg.label,
                    fontName=font,
                    fontSize=7,
                    textAnchor="middle",
                )
            )
    frame = Rect(band.left * scale, bottom, band.width * scale, band.height * scale)
    frame.fillColor = None
    frame.strokeWidth = 0.4
    drawing.add(frame)


def _chart(chart: plots.Chart, font: str, max_width: float, max_height: float) -> Drawing:
    scale = fit_scale(chart.width, chart.height, max_width, max_height)
    drawing = Drawing(chart.width * scale, chart.height * scale)
    h = chart.height

    def y(value: float) -> float:
        return (h - value) * scale

    for panel in chart.panels:
        x0, x1 = panel.left * scale, (panel.left + panel.width) * scale
        top, bottom = panel.top, panel.top + panel.height
        frame = Rect(x0, y(bottom), x1 - x0, panel.height * scale)
        frame.fillColor = None
        frame.strokeWidth = 0.4
        drawing.add(frame)
        for tick in panel.y_ticks:
            drawing.add(
                Line(x0, y(tick.position), x1, y(tick.position), strokeColor=colors.lightgrey)
            )
            drawing.add(
                String(
                    x0 - 3,
                    y(tick.position) - 3,
                    tick.label,
                    fontName=font,
                    fontSize=7,
                    textAnchor="end",
                )
            )
        for tick in panel.x_ticks:
            px = tick.position * scale
            drawing.add(Line(px, y(top), px, y(bottom), strokeColor=colors.lightgrey))
            drawing.add(
                String(
                    px, y(bottom + 11), tick.label, fontName=font, fontSize=7, textAnchor="middle"
                )
            )
        colour = colors.HexColor(panel.colour)
        drawing.add(
            String(x0, y(top - 6), panel.title, fontName=font, fontSize=8, fillColor=colour)
        )
        if len(panel.points) > 1:
            points = [c for x, yy in panel.points for c in (x * scale, y(yy))]
            drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=0.8))
    for band in chart.bands:
        _band(drawing, band, font, scale, y)
    if chart.panels:
        last = chart.panels[-1]
        drawing.add(
            String(
                (last.left + last.width / 2) * scale,
                3,
                chart.x_label,
                fontName=font,
                fontSize=7.5,
                textAnchor="middle",
            )
        )
    return drawing


def _evidence_markup(run: RunData, ref: str) -> str:
    row = run.find_measurement(ref)
    if row is None:
        return f'<font color="#b00020">{escape(ref)} (?)</font>'
    return f'<a href="#{row.anchor}" color="#1f5fa8">{escape(ref)}</a>'


def _eightd_refs(refs: Sequence[EvidenceRef], report: ReportData) -> str:
    out = []
    for ref in refs:
        if ref.kind == "measurement":
            anchor = report.measurement_ref_anchor(ref.ref)
            out.append(
                f'<a href="#{anchor}" color="#1f5fa8">{escape(ref.ref)}</a>'
                if anchor
                else f'<font color="#b00020">{escape(ref.ref)} (?)</font>'
            )
        else:
            digest = f" sha256:{ref.sha256[:16]}" if ref.sha256 else ""
            out.append(escape(f"{ref.kind}:{ref.ref}{digest}"))
    return ", ".join(out)


def _eightd(report: ReportData, e: EightD, t: Catalogue, s: _Styles) -> list[Flowable]:
    yes_no = {True: t["eightd.yes"], False: t["eightd.no"], None: ""}
    story: list[Flowable] = [_p(t["eightd.d1"], s.h3)]
    story.append(
        _table(
            [t["eightd.name"], t["eightd.department"], t["eightd.role"]],
            [[m.name, m.department, t.enum("role", m.role)] for m in e.team],
            s,
        )
    )
    p = e.problem
    story += [_p(t["eightd.d2"], s.h3)]
    story.append(_kv(problem_pairs(p, t), s))
    story.append(_p(t["eightd.d3"], s.h3))
    story.append(
        _table(
            [
                t[f"eightd.{k}"]
                for k in (
                    "location",
                    "qty_checked",
                    "qty_ng",
                    "frozen",
                    "method",
                    "owner",
                    "due",
                    "done",
                )
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
            s,
        )
    )
    story.append(_p(t["eightd.d4"], s.h3))
    story.append(
        _table(
            [t["eightd.kind"], t["eightd.description"], t["eightd.status"], t["eightd.evidence"]],
            [
                [
                    t.enum("cause_kind", c.kind),
                    c.description,
                    t.enum("cause_status", c.status),
                    _p("", s.cell, _eightd_refs(c.evidence, report) or " "),
                ]
                for c in e.causes
            ],
            s,
        )
    )
    for phase in ("d5", "d6", "d7"):
        story.append(_p(t[f"eightd.{phase}"], s.h3))
        story.append(
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
                        a.description,
                        a.owner,
                        fmt.day(a.due),
                        fmt.day(a.done),
                        _p(
                            "",
                            s.cell,
                            escape(a.verification) + " " + _eightd_refs(a.evidence, report),
                        ),
                    ]
                    for a in e.actions
                    if a.phase == phase
                ],
                s,
            )
        )
    cl = e.closure
    story.append(_p(t["eightd.d8"], s.h3))
    story.append(
        _kv(
            [
                (t["eightd.closure_criteria"], cl.criteria),
                (t["eightd.closed_by"], cl.closed_by),
                (t["eightd.closed_at"], fmt.timestamp(cl.closed_at)),
                (t["eightd.customer_acceptance"], yes_no[cl.customer_acceptance]),
            ],
            s,
        )
    )
    return story


PHOTO_MAX_WIDTH = 0.6 * FRAME_WIDTH
PHOTO_MAX_HEIGHT = 0.6 * FRAME_HEIGHT


def _annex(
    data: ReportData, t: Catalogue, s: _Styles, images: Mapping[str, bytes] | None
) -> list[Flowable]:
    story: list[Flowable] = [_p(t["section.evidence"], s.h2)]
    if not data.evidence:
        return [*story, _p(t["evidence.none"], s.body)]
    widths = [w * FRAME_WIDTH for w in (0.05, 0.2, 0.1, 0.08, 0.37, 0.1, 0.05, 0.05)]
    story.append(_table(annex_headers(t), [annex_cells(f, t) for f in data.evidence], s, widths))
    for f in data.evidence:
        content = photo_bytes(f, images)
        if content is None:
            continue
        width, height = ImageReader(BytesIO(content)).getSize()
        scale = fit_scale(width, height, PHOTO_MAX_WIDTH, PHOTO_MAX_HEIGHT)
        caption = _p(t.format("evidence.photo", id=f.attachment_id, name=f.name), s.body)
        image = Image(BytesIO(content), width * scale, height * scale, hAlign="LEFT")
        story.append(KeepTogether([caption, image]))
    if images is None and any(f.is_photo for f in data.evidence):
        story.append(_p(t["evidence.not_shown"], s.body))
    return story


def _story(
    data: ReportData,
    t: Catalogue,
    s: _Styles,
    font: str,
    images: Mapping[str, bytes] | None = None,
) -> list[Flowable]:
    width = FRAME_WIDTH
    c = data.complaint
    story: list[Flowable] = [_p(t["report.title"], s.h1)]
    story.append(
        _kv(
            [
                (t["report.number"], data.report_no),
                (t["report.version"], str(data.version)),
                (t["report.issued"], fmt.day(data.issued_at)),
            ],
            s,
        )
    )
    if data.amends is not None:
        ref = data.amends
        story.append(
            _p(t.format("report.amends", number=ref.report_no, version=ref.version), s.body)
        )
        story.append(_p(f"{t['report.amend_reason']}: {ref.reason}", s.body))
    if not is_approved(data):
        story.append(_p("", s.body, f'<font color="#b00020">{escape(t["report.draft"])}</font>'))
    story.append(_p(t["section.complaint"], s.h2))
    story.append(
        _kv(
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
            ],
            s,
        )
    )
    story.append(_p(t["section.customer_claim"], s.h3))
    story.append(
        _kv(
            [
                (t["complaint.symptom"], t.enum("symptom", c.symptom)),
                (t["complaint.symptom_text"], c.symptom_text),
                (t["complaint.usage_temperature"], c.usage_temperature),
                (t["complaint.time_in_use"], c.time_in_use),
                (t["complaint.usage_location"], c.usage_location),
                (t["complaint.customer_demands"], c.customer_demands),
            ],
            s,
        )
    )
    story.append(_p(t["section.units"], s.h2))
    widths = [w * width for w in (0.11, 0.13, 0.08, 0.05, 0.14, 0.12, 0.24, 0.13)]
    for unit in data.units:
        story.append(_p(f"{t['unit.serial']} {unit.serial}", s.h3))
        story.append(
            _kv(
                [
                    (t["unit.lot"], unit.lot),
                    (t["unit.product_model"], unit.product_model),
                    (t["unit.verdict"], t.enum("verdict", unit.verdict.name.lower())),
                    (t["unit.disposition"], t.enum("disposition", unit.disposition)),
                    (t["unit.summary"], unit_sentence(unit, t)),
                ],
                s,
            )
        )
        for run in unit.runs:
            story.append(_p(t.format("run.title", run=run.run_id), s.h3))
            story.append(
                _kv(
                    [
                        (t["run.procedure"], f"{run.procedure} {run.procedure_version}"),
                        (t["run.station"], run.station),
                        (t["run.operator"], run.operator),
                        (t["run.started"], fmt.timestamp(run.started)),
                        (t["run.ended"], fmt.timestamp(run.ended)),
                        (t["run.verdict"], t.enum("verdict", run.verdict.name.lower())),
                    ],
                    s,
                )
            )
            story.append(_p(" ".join(run_sentences(run, t)), s.body))
            rows: list[list[str | Paragraph]] = []
            tints: list[str | None] = []
            for step in run.steps:
                for m in step.measurements:
                    cells: list[str | Paragraph] = list(measurement_cells(m, t))
                    cells[0] = _p("", s.cell, f'<a name="{m.anchor}"/>{escape(m.step)}')
                    reason = verdict_reason(m)
                    if reason:  # the engine's comparison says why, under the verdict
                        colour = VERDICT_COLOURS.get(m.verdict.name.lower(), "#b00020")
                        cells[5] = _p(
                            "",
                            s.cell,
                            f'<font color="{colour}">{escape(str(cells[5]))}</font><br/>'
                            f'<font size="6" color="#555555">{escape(reason)}</font>',
                        )
                    rows.append(cells)
                    tints.append(VERDICT_COLOURS.get(m.verdict.name.lower(), "#b00020"))
            story.append(_table(measurement_headers(t), rows, s, widths, tints))
            for step in run.steps:
                if step.message:
                    title = t.format("step.title", index=step.index, name=step.name)
                    story.append(_p(f"{title}: {shown_note(step.message)}", s.body))
                for trace in step.traces:
                    title = t.format("step.title", index=step.index, name=step.name)
                    caption = _p(f"{title}: {trace.name}", s.body)
                    chart = plots.layout(trace, t["trace.time"])
                    # the caption stays with its chart, so the pair must fit one frame together
                    room = FRAME_HEIGHT - caption.wrap(width, FRAME_HEIGHT)[1] - 2
                    story.append(KeepTogether([caption, _chart(chart, font, width, room)]))
    story.append(_p(t["section.diagnosis"], s.h2))
    diagnosis: list[list[str | Paragraph]] = []
    for unit in data.units:
        for run in diagnosis_runs(unit):
            for conclusion in run.conclusions:
                links = ", ".join(_evidence_markup(run, r) for r in conclusion.evidence)
                diagnosis.append(
                    [
                        unit.serial,
                        t.enum("conclusion", conclusion.kind),
                        shown_value(t, conclusion.kind, conclusion.value),
                        shown_explanation(conclusion.explanation),
                        _p("", s.cell, links or " "),
                    ]
                )
    if diagnosis:
        story.append(
            _table(
                [
                    t["unit.serial"],
                    t["diagnosis.kind"],
                    t["diagnosis.value"],
                    t["diagnosis.explanation"],
                    t["diagnosis.evidence"],
                ],
                diagnosis,
                s,
                [w * width for w in (0.12, 0.12, 0.16, 0.4, 0.2)],
            )
        )
    else:
        story.append(_p(t["diagnosis.none"], s.body))
    story.append(_p(t["section.disposition"], s.h2))
    story.append(
        _table(
            [t["unit.serial"], t["unit.verdict"], t["unit.disposition"]],
            [
                [
                    u.serial,
                    t.enum("verdict", u.verdict.name.lower()),
                    t.enum("disposition", u.disposition),
                ]
                for u in data.units
            ],
            s,
        )
    )
    if data.set_aside:
        story.append(_p(t["section.set_aside"], s.h2))
        story.append(_p(t["set_aside.note"], s.body))
        story.append(
            _table(
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
                s,
            )
        )
    story.append(_p(t["section.eightd"], s.h2))
    if data.eightd is None:
        story.append(_p(t["eightd.none"], s.body))
    else:
        story += _eightd(data, data.eightd, t, s)
    story.append(_p(t["section.approvals"], s.h2))
    if data.signatures:
        story.append(
            _table(
                [
                    t["signature.name"],
                    t["signature.meaning"],
                    t["signature.time"],
                    t["signature.hash"],
                ],
                [
                    [
                        sig.name,
                        t.enum("meaning", sig.meaning),
                        fmt.timestamp(sig.signed_at),
                        sig.content_sha256,
                    ]
                    for sig in data.signatures
                ],
                s,
                [w * width for w in (0.2, 0.12, 0.16, 0.52)],
            )
        )
    else:
        story.append(_p(t["signature.none"], s.body))
    story += _annex(data, t, s, images)
    story += [
        Spacer(1, 8),
        _p(t["report.items_note"], s.body),
        _p(f"{data.report_no} v{data.version} - {t['report.end']}", s.body),
    ]
    return story


def _strings(value: object) -> Iterator[str]:
    """Every text field of the report (signatures included), numbers and traces skipped.

    Numbers reach the page only through ``fmt`` (ASCII digits, any font has them); walking the
    traces' floats as text made the glyph check most of the PDF's run time.
    """
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        if value and isinstance(value[0], float):
            return
        for item in value:
            yield from _strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))


def render_pdf(
    data: ReportData, locale: str | None = None, *, images: Mapping[str, bytes] | None = None
) -> bytes:
    """The PDF; ``images`` (SHA-256 -> bytes, see ``annex.photos``) embeds the annex photos."""
    t = catalogue(locale or data.locale)
    font = report_font()
    text = "".join(_strings(data)) + "".join(t.messages.values())
    missing = missing_characters(text)
    if missing:
        raise FontError(
            f"report {data.report_no}: the PDF font has no glyph for {missing!r}; set {FONT_ENV} "
            f"to a TrueType font that covers them (e.g. wqy-microhei.ttc from fonts-wqy-microhei)"
        )
    styles = _Styles(font, cjk=t.locale.startswith("zh"))
    stamp = fmt.timestamp(data.document_date)
    pdf_date = "D:" + stamp[:19].replace("-", "").replace(":", "").replace(" ", "") + "Z"
    page_label = f"{data.report_no} v{data.version}"

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setDateFormatter(lambda *_: pdf_date)
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(MARGIN, 6 * mm, page_label)
        canvas.drawRightString(PAGE[0] - MARGIN, 6 * mm, t.format("report.page", page=doc.page))
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=data.report_no,
        author="packbench",
        subject=t["report.title"],
        creator="packbench",
        producer="packbench (reportlab)",
        invariant=1,
        lang=t.locale.replace("_", "-"),
    )
    doc.build(_story(data, t, styles, font, images), onFirstPage=decorate, onLaterPages=decorate)
    content = buffer.getvalue()
    if consistency.enabled():
        consistency.enforce(data, _pdf_text(content))
    return content


def _pdf_text(content: bytes) -> str:
    """The PDF's text as a reader's tool extracts it (``pypdf``, a test dependency: the check
    runs where ``PACKBENCH_CHECK_REPORTS`` is set, i.e. under the test suite)."""
    import pypdf

    reader = pypdf.PdfReader(BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)
