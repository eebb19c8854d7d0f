"""The complaint analysis report as one self-contained HTML page (inline CSS and SVG).

A thin back end: ``results.reports.compose`` decides what the report says, this module only
walks that document and writes markup. No template engine: every value passes through
``escape`` at one place (``_text``), and plain string building with fixed formatting keeps the
output byte-stable for the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import pybase64

from results.reports import consistency, plots, webfont
from results.reports import document as node
from results.reports.compose import (
    compose_report,
    is_approved,
    measurement_cells,
    measurement_headers,
    verdict_reason,
)
from results.reports.labels import catalogue
from results.reports.model import ReportData

__all__ = [  # the service's run page shows measurement rows the way the report does
    "is_approved",
    "measurement_cells",
    "measurement_headers",
    "render_html",
    "verdict_reason",
]

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",
"Helvetica Neue",Arial,"PackbenchCJK",sans-serif;font-size:13px;color:#222;margin:24px;
max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;border-bottom:1px solid #999;margin-top:28px}
h3{font-size:14px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px}
table{border-collapse:collapse;margin:4px 0 10px;width:100%}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
th,td{word-break:keep-all;overflow-wrap:break-word}
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


def _rich(content: str | node.Rich) -> str:
    if isinstance(content, str):
        return _text(content)
    out = []
    for span in content.spans:
        title = f' title="{_text(span.title)}"' if not isinstance(span, str) and span.title else ""
        if isinstance(span, node.Link):
            out.append(f'<a href="#{_text(span.target)}"{title}>{_text(span.text)}</a>')
        elif isinstance(span, node.Missing):
            out.append(f'<span class="missing"{title}>{_text(span.text)} (?)</span>')
        else:
            out.append(_text(span))
    return "".join(out)


def _row(table: node.Table, row: node.Row) -> str:
    row_id = f' id="{_text(row.anchor)}"' if row.anchor else ""
    out = [f"<tr{row_id}>"]
    for column, value in enumerate(row.cells):
        cell = node.as_cell(value)
        classes = []
        if column in table.numeric:
            classes.append("num")
        if column in table.nowrap:
            classes.append("nowrap")
        if row.tone and column == table.tone_column:
            classes.append(f"v-{row.tone}")
        cls = f' class="{" ".join(classes)}"' if classes else ""
        tip = f' title="{_text(cell.tip)}"' if cell.tip else ""
        note = f'<br><small class="why">{_text(cell.note)}</small>' if cell.note else ""
        out.append(f"<td{cls}{tip}>{_rich(cell.content)}{note}</td>")
    out.append("</tr>")
    return "".join(out)


def _table(table: node.Table) -> str:
    headers = "".join(f"<th>{_text(h)}</th>" for h in table.headers)
    rows = "".join(_row(table, row) for row in table.rows)
    return f"<table><thead><tr>{headers}</tr></thead><tbody>{rows}</tbody></table>"


def _kv(block: node.KeyValues) -> str:
    rows = "".join(f"<tr><th>{_text(k)}</th><td>{_text(v)}</td></tr>" for k, v in block.pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _block(block: node.Block) -> str:
    if isinstance(block, node.Heading):
        return f"<h{block.level}>{_text(block.text)}</h{block.level}>"
    if isinstance(block, node.Paragraph):
        cls = f' class="{block.kind}"' if block.kind else ""
        return f"<p{cls}>{'<br>'.join(_text(line) for line in block.lines)}</p>"
    if isinstance(block, node.Items):
        return f"<ul>{''.join(f'<li>{_text(item)}</li>' for item in block.items)}</ul>"
    if isinstance(block, node.KeyValues):
        return _kv(block)
    if isinstance(block, node.Table):
        return _table(block)
    if isinstance(block, node.Chart):
        return (
            f"<figure>{plots.svg(block.chart, standalone=False)}"
            f"<figcaption>{_text(block.caption)}</figcaption></figure>"
        )
    if isinstance(block, node.Photo):
        uri = f"data:{block.media_type};base64,{pybase64.b64encode(block.content).decode('ascii')}"
        return (
            f'<figure class="photo"><img src="{uri}" alt="{_text(block.name)}">'
            f"<figcaption>{_text(block.caption)}</figcaption></figure>"
        )
    cls = f' class="{block.kind}"' if block.kind else ""
    inner = "".join(_block(child) for child in block.children)
    return f'<section{cls} id="{_text(block.anchor)}">{inner}</section>'


def document_html(doc: node.Document) -> str:
    """The page for a composed document; one line per top-level block keeps diffs readable."""
    footer = "\n".join(f"<p>{_text(line)}</p>" for line in doc.footer)
    body = [
        "<header>",
        *(_block(b) for b in doc.header),
        "</header>",
        *(_block(b) for b in doc.body),
        f"<footer>{footer}</footer>",
        "</body></html>",
    ]
    # The page must render its Chinese on a machine without CJK fonts and load nothing from
    # outside itself: the shipped font, cut to the characters used here, travels inline.
    font = webfont.font_face(doc.title + "".join(body))
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{doc.lang}"><head><meta charset="utf-8">',
        f"<title>{_text(doc.title)}</title><style>{font}{CSS}</style></head><body>",
    ]
    return "\n".join(head + body)


def render_html(
    data: ReportData, locale: str | None = None, *, images: Mapping[str, bytes] | None = None
) -> str:
    """The page; ``images`` (SHA-256 -> bytes, see ``annex.photos``) embeds the annex photos."""
    page = document_html(compose_report(data, catalogue(locale or data.locale), images))
    if consistency.enabled():
        consistency.enforce(data, consistency.html_text(page))
    return page
