"""One composed document, two back ends: what the document says, both outputs show.

The report used to be built twice (once per back end) and the two drifted; these tests hold the
back ends to the composed document instead of to each other.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace

import pypdf
import pytest
from report_sample import sample_report

from results.reports import document as node
from results.reports import pdf as pdf_module
from results.reports.compose import compose_report, limits_note
from results.reports.consistency import html_text
from results.reports.html import render_html
from results.reports.labels import catalogue
from results.reports.model import ReportData
from results.reports.pdf import render_pdf


def _texts(blocks: tuple[node.Block, ...]) -> Iterator[str]:
    """The headings, key-value labels and table headers: the report's skeleton."""
    for block in blocks:
        if isinstance(block, node.Heading):
            yield block.text
        elif isinstance(block, node.KeyValues):
            yield from (key for key, _ in block.pairs)
        elif isinstance(block, node.Table):
            yield from block.headers
        elif isinstance(block, node.Section):
            yield from _texts(block.children)


def _squeezed(text: str) -> str:
    """Text without white space: a PDF wraps table headers and long labels across lines."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_both_back_ends_show_every_heading_label_and_column_of_the_document(locale: str) -> None:
    data = sample_report(2, locale=locale)
    doc = compose_report(data, catalogue(locale))
    skeleton = sorted(set(_texts((*doc.header, *doc.body))))
    assert len(skeleton) > 60  # the 8D, the runs and the annex are all in it
    html = _squeezed(html_text(render_html(data)))
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(data)))
    pdf = _squeezed("".join(page.extract_text() for page in reader.pages))
    assert [s for s in skeleton if _squeezed(s) not in html] == []
    assert [s for s in skeleton if _squeezed(s) not in pdf] == []


def _links(blocks: tuple[node.Block, ...]) -> Iterator[node.Link]:
    for block in blocks:
        if isinstance(block, node.Section):
            yield from _links(block.children)
        elif isinstance(block, node.Table):
            for row in block.rows:
                for value in row.cells:
                    content = node.as_cell(value).content
                    if isinstance(content, node.Rich):
                        yield from (s for s in content.spans if isinstance(s, node.Link))


def test_every_link_of_the_document_is_a_link_in_the_pdf_an_8d_run_reference_too() -> None:
    """The PDF used to print an 8D run reference as ``run:R0000`` text; the HTML linked it."""
    data = sample_report(1, locale="en")
    doc = compose_report(data, catalogue("en"))
    links = list(_links(doc.body))
    assert node.Link("Run R0000", "run-R0000", "R0000") in links  # its title, its id to hover
    assert '<a href="#run-R0000" title="R0000">Run R0000</a>' in render_html(data)
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(data)))
    annotations = [a.get_object() for page in reader.pages for a in (page.get("/Annots") or [])]
    walker = pdf_module._Walker(doc, pdf_module._Styles("Helvetica", cjk=False), "Helvetica")
    assert {link.target for link in links} <= walker.targets  # each drawn as a link
    # a label wrapped over two lines is one link drawn as two rectangles
    assert len([a for a in annotations if a.get("/Subtype") == "/Link"]) >= len(links)
    assert "run:R0000" not in "".join(page.extract_text() for page in reader.pages)


def test_a_link_to_a_place_the_pdf_lacks_is_drawn_as_text() -> None:
    """A PDF link to a missing destination is an error, so the back end drops the link."""
    data = sample_report(1, locale="en")
    doc = compose_report(data, catalogue("en"))
    orphan = node.Section(
        "extra",
        (
            node.Heading(2, "Extra"),
            node.Table(("Ref",), (node.Row((node.Rich((node.Link("R9999", "run-R9999"),)),)),)),
        ),
    )
    walker = pdf_module._Walker(doc, pdf_module._Styles("Helvetica", cjk=False), "Helvetica")
    assert "run-R9999" not in walker.targets
    assert walker.rich(node.Rich((node.Link("R9999", "run-R9999"),))) == "R9999"
    assert walker.rich(node.Rich((node.Link("R0000", "run-R0000"),))).startswith('<a href="#run-')
    assert len(walker.blocks((orphan,))) == 2


def _with_band(data: ReportData) -> ReportData:
    """The sample with a nominal value and a marginal band on its first measurement."""
    unit = data.units[0]
    run = unit.runs[0]
    step = run.steps[0]
    first = replace(step.measurements[0], nominal=3.7, marginal_low=3.1, marginal_high=4.15)
    step = replace(step, measurements=(first, *step.measurements[1:]))
    run = replace(run, steps=(step, *run.steps[1:]))
    unit = replace(unit, runs=(run, *unit.runs[1:]))
    return replace(data, units=(unit, *data.units[1:]))


def test_nominal_and_marginal_band_show_under_the_limits_in_both_back_ends() -> None:
    data = _with_band(sample_report(1, locale="en"))
    unit = data.units[0].runs[0].steps[0].measurements[0].unit
    expected = [f"nominal 3.7 {unit}", f"marginal below 3.1 {unit}, above 4.15 {unit}"]
    html = _squeezed(html_text(render_html(data)))
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(data)))
    pdf = _squeezed("".join(page.extract_text() for page in reader.pages))
    for text in expected:
        assert _squeezed(text) in html and _squeezed(text) in pdf
    plain = sample_report(1, locale="en")
    assert "nominal" not in html_text(render_html(plain))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (3.1, None, "marginal below 3.1 V"),
        (None, 4.15, "marginal above 4.15 V"),
        (3.1, 4.15, "marginal below 3.1 V, above 4.15 V"),
    ],
)
def test_a_one_sided_marginal_band_names_only_its_side(
    low: float | None, high: float | None, expected: str
) -> None:
    row = sample_report(1, locale="en").units[0].runs[0].steps[0].measurements[0]
    row = replace(row, unit="V", nominal=None, marginal_low=low, marginal_high=high)
    assert limits_note(row, catalogue("en")) == expected
