"""The complaint analysis report as PDF (reportlab platypus), with the CJK font embedded.

A back end: ``results.reports.compose`` decides what the report says (the same document the HTML
page walks); this module turns its nodes into flowables. Byte-stable for the same data:
reportlab's invariant mode fixes the document id seed and the creation date comes from the report
(``ReportData.document_date``). The report number and version stand on every page
(ISO/IEC 17025 7.8.2.1)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
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
from results.reports import document as node
from results.reports.compose import compose_report
from results.reports.errors import FontError
from results.reports.fonts import FONT_ENV, missing_characters, report_font
from results.reports.labels import Catalogue, catalogue
from results.reports.model import ReportData

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


LINK_COLOUR = "#1f5fa8"
MISSING_COLOUR = "#b00020"
NOTE_COLOUR = "#555555"


def _anchors(blocks: Sequence[node.Block]) -> Iterator[str]:
    """Every link target the document defines: a link to anything else is drawn as text, since
    a PDF link to a destination that does not exist is an error, not a dead link."""
    for block in blocks:
        if isinstance(block, node.Section):
            yield block.anchor
            yield from _anchors(block.children)
        elif isinstance(block, node.Table):
            yield from (row.anchor for row in block.rows if row.anchor)


class _Walker:
    """Turns the composed document into reportlab flowables."""

    def __init__(self, doc: node.Document, s: _Styles, font: str) -> None:
        self.s = s
        self.font = font
        self.targets = frozenset(_anchors((*doc.header, *doc.body)))

    def rich(self, content: str | node.Rich) -> str:
        if isinstance(content, str):
            return escape(content)
        out = []
        for span in content.spans:
            if isinstance(span, node.Link) and span.target in self.targets:
                out.append(
                    f'<a href="#{span.target}" color="{LINK_COLOUR}">{escape(span.text)}</a>'
                )
            elif isinstance(span, node.Link):
                out.append(escape(span.text))
            elif isinstance(span, node.Missing):
                out.append(f'<font color="{MISSING_COLOUR}">{escape(span.text)} (?)</font>')
            else:
                out.append(escape(span))
        return "".join(out)

    def cell(
        self, table: node.Table, row: node.Row, column: int, value: node.Cell
    ) -> str | Paragraph:
        anchor = f'<a name="{row.anchor}"/>' if row.anchor and column == 0 else ""
        if value.note and row.tone and column == table.tone_column:
            colour = VERDICT_COLOURS.get(row.tone, MISSING_COLOUR)
            return _p(
                "",
                self.s.cell,
                f'{anchor}<font color="{colour}">{self.rich(value.content)}</font><br/>'
                f'<font size="6" color="{NOTE_COLOUR}">{escape(value.note)}</font>',
            )
        if value.note:  # e.g. the nominal value and marginal band under the limits
            return _p(
                "",
                self.s.cell,
                f"{anchor}{self.rich(value.content)}<br/>"
                f'<font size="6" color="{NOTE_COLOUR}">{escape(value.note)}</font>',
            )
        if anchor or isinstance(value.content, node.Rich):
            return _p("", self.s.cell, anchor + self.rich(value.content) or " ")
        return value.content

    def table(self, table: node.Table) -> Table:
        rows = [
            [self.cell(table, row, n, node.as_cell(v)) for n, v in enumerate(row.cells)]
            for row in table.rows
        ]
        widths = [w * FRAME_WIDTH for w in table.widths] if table.widths else None
        tints: list[str | None] | None = None
        if table.tone_column is not None:
            tints = [
                VERDICT_COLOURS.get(r.tone, MISSING_COLOUR) if r.tone else None for r in table.rows
            ]
        return _table(table.headers, rows, self.s, widths, tints)

    def heading(self, block: node.Heading, anchor: str) -> Paragraph:
        style = {1: self.s.h1, 2: self.s.h2}.get(block.level, self.s.h3)
        target = f'<a name="{anchor}"/>' if anchor else ""
        return _p("", style, target + escape(block.text))

    def blocks(self, blocks: Sequence[node.Block], anchor: str = "") -> list[Flowable]:
        story: list[Flowable] = []
        for block in blocks:
            if isinstance(block, node.Heading):
                story.append(self.heading(block, anchor))
                anchor = ""  # a section's anchor sits on its first heading
            elif isinstance(block, node.Paragraph):
                text = "<br/>".join(escape(line) for line in block.lines)
                if block.kind == "draft":
                    text = f'<font color="{MISSING_COLOUR}">{text}</font>'
                story.append(_p("", self.s.body, text))
            elif isinstance(block, node.Items):
                lines = "<br/>".join(f"{node.ITEM_MARK}{escape(item)}" for item in block.items)
                story.append(_p("", self.s.body, lines))
            elif isinstance(block, node.KeyValues):
                story.append(_kv(block.pairs, self.s))
            elif isinstance(block, node.Table):
                story.append(self.table(block))
            elif isinstance(block, node.Chart):
                caption = _p(block.caption, self.s.body)
                # the caption stays with its chart, so the pair must fit one frame together
                room = FRAME_HEIGHT - caption.wrap(FRAME_WIDTH, FRAME_HEIGHT)[1] - 2
                chart = _chart(block.chart, self.font, FRAME_WIDTH, room)
                story.append(KeepTogether([caption, chart]))
            elif isinstance(block, node.Photo):
                story.append(_photo(block, self.s))
            else:
                story += self.blocks(block.children, block.anchor)
        return story

    def story(self, doc: node.Document) -> list[Flowable]:
        footer = [_p(line, self.s.body) for line in doc.footer]
        return [*self.blocks(doc.header), *self.blocks(doc.body), Spacer(1, 8), *footer]


PHOTO_MAX_WIDTH = 0.6 * FRAME_WIDTH
PHOTO_MAX_HEIGHT = 0.6 * FRAME_HEIGHT


def _photo(block: node.Photo, s: _Styles) -> Flowable:
    width, height = ImageReader(BytesIO(block.content)).getSize()
    scale = fit_scale(width, height, PHOTO_MAX_WIDTH, PHOTO_MAX_HEIGHT)
    caption = _p(block.caption, s.body)
    image = Image(BytesIO(block.content), width * scale, height * scale, hAlign="LEFT")
    return KeepTogether([caption, image])


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
    check_glyphs(data.report_no, _strings(data), t)
    composed = compose_report(data, t, images)
    content = document_pdf(
        composed, t, page_label=f"{data.report_no} v{data.version}", date=data.document_date
    )
    if consistency.enabled():
        consistency.enforce(data, _pdf_text(content))
    return content


def check_glyphs(report_no: str, texts: Iterable[str], t: Catalogue) -> None:
    """Refuse, before rendering, a report whose text the PDF font cannot show (tofu boxes)."""
    missing = missing_characters("".join(texts) + "".join(t.messages.values()))
    if missing:
        raise FontError(
            f"report {report_no}: the PDF font has no glyph for {missing!r}; set {FONT_ENV} "
            f"to a TrueType font that covers them (e.g. wqy-microhei.ttc from fonts-wqy-microhei)"
        )


def document_pdf(
    composed: node.Document, t: Catalogue, *, page_label: str, date: datetime
) -> bytes:
    """Any composed report document as PDF: ``page_label`` on every page, ``date`` in the
    metadata (byte-stable for the same document). Check the glyphs first (``check_glyphs``)."""
    font = report_font()
    styles = _Styles(font, cjk=t.locale.startswith("zh"))
    stamp = fmt.timestamp(date)
    pdf_date = "D:" + stamp[:19].replace("-", "").replace(":", "").replace(" ", "") + "Z"

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
        title=composed.title,
        author="packbench",
        subject=composed.subject or t["report.title"],
        creator="packbench",
        producer="packbench (reportlab)",
        invariant=1,
        lang=t.locale.replace("_", "-"),
    )
    story = _Walker(composed, styles, font).story(composed)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _pdf_text(content: bytes) -> str:
    """The PDF's text as a reader's tool extracts it (``pypdf``, a test dependency: the check
    runs where ``PACKBENCH_CHECK_REPORTS`` is set, i.e. under the test suite)."""
    import pypdf

    reader = pypdf.PdfReader(BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def report_strings(value: object) -> Iterator[str]:
    """Every text field of a report's data (any frozen dataclass), for ``check_glyphs``."""
    return _strings(value)


def pdf_text(content: bytes) -> str:
    """The PDF's text as a reader's tool extracts it (for the consistency check)."""
    return _pdf_text(content)
