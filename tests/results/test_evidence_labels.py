"""Evidence the report cites (a conclusion's measurements, an 8D entry's runs, measurements and
files) reads in the report's language: labels and titles as link text, the recorded reference
as the link's hover text (under the label where the reference is missing)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from report_sample import sample_report

from results.reports import document as node
from results.reports.compose import compose_report
from results.reports.html import render_html
from results.reports.labels import catalogue
from results.reports.model import EvidenceFile, EvidenceRef, ReportData

LOCALES = ("en", "zh_CN")


def _spans(blocks: tuple[node.Block, ...]) -> Iterator[node.Span]:
    for block in blocks:
        if isinstance(block, node.Section):
            yield from _spans(block.children)
        elif isinstance(block, node.Table):
            for row in block.rows:
                for value in row.cells:
                    content = node.as_cell(value).content
                    if isinstance(content, node.Rich):
                        yield from content.spans


def _with_evidence(data: ReportData, refs: tuple[EvidenceRef, ...]) -> ReportData:
    assert data.eightd is not None
    cause = replace(data.eightd.causes[0], evidence=refs)
    return replace(data, eightd=replace(data.eightd, causes=(cause, *data.eightd.causes[1:])))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_cited_record_reads_by_its_label_with_its_reference_to_hover(locale: str) -> None:
    t = catalogue(locale)
    data = sample_report(1, locale=locale)
    run = data.units[0].runs[0].run_id
    data = _with_evidence(
        data,
        (
            EvidenceRef("measurement", f"{run}/voltage_check/pack_voltage"),
            EvidenceRef("measurement", f"{run}/pack_tests/pack_path"),  # not in the report
            EvidenceRef("run", run),
            EvidenceRef("attachment", "42", "ab" * 32),
        ),
    )
    spans = list(_spans(compose_report(data, t).body))
    texts = [s if isinstance(s, str) else s.text for s in spans]
    assert t.format("run.title", run=run) in texts
    assert t.format("evidence.attachment_digest", id="42", digest="ab" * 8) in texts
    shown = t.format("evidence.measurement_ref", run=run, name=t["measurement_name.pack_path"])
    assert any(isinstance(s, node.Missing) and s.text.startswith(shown) for s in spans)
    assert f"[{run}/pack_tests/pack_path]" in " ".join(texts)  # QA traces the missing record
    links = [s for s in spans if isinstance(s, node.Link)]
    assert {link.title for link in links} >= {run, f"{run}/voltage_check/pack_voltage"}
    for link in links:  # the link text is never the bare reference
        assert link.text != link.title
    html = render_html(data)
    assert f'title="{run}"' in html
    if locale == "zh_CN":
        assert all("Run " not in text and "Attachment" not in text for text in texts)
    photo = EvidenceFile("42", "dent.jpg", "image/jpeg", 10, "ab" * 32)
    listed = replace(data, evidence=(photo,))
    file_link = [s for s in _spans(compose_report(listed, t).body) if isinstance(s, node.Link)]
    assert any(s.target == "evidence-42" for s in file_link)  # opens its annex row


def test_a_conclusion_s_evidence_reads_by_the_measurement_s_label() -> None:
    zh = catalogue("zh_CN")
    data = sample_report(1, locale="zh_CN")
    unit = data.units[0]
    run = unit.runs[0]
    step = run.steps[0]
    row = replace(step.measurements[0], step="voltage_check", name="voltage_rested")
    step = replace(step, name="voltage_check", measurements=(row,))
    conclusion = replace(run.conclusions[0], evidence=("voltage_check/voltage_rested",))
    run = replace(run, steps=(step,), conclusions=(conclusion,))
    data = replace(data, units=(replace(unit, runs=(run,)),))
    spans = list(_spans(compose_report(data, zh).body))
    link = next(s for s in spans if isinstance(s, node.Link) and s.target == row.anchor)
    assert link.text == zh["measurement_name.voltage_rested"]
    assert link.title == "voltage_check/voltage_rested"
