"""The complaint analysis report composed once per language, as a document tree.

Everything the report says is decided here: which sections, which labels, which values in which
text form. ``html.py`` and ``pdf.py`` walk the result and add only markup, so the two outputs
cannot drift apart (they used to be built twice, side by side, and did).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from procedures.records import Verdict
from results.reports import fmt, plots
from results.reports.annex import annex_cells, annex_headers, photo_bytes
from results.reports.comparison import row_comparison, shown
from results.reports.compose_eightd import eightd_section
from results.reports.document import (
    Block,
    Cell,
    CellValue,
    Chart,
    Document,
    Heading,
    KeyValues,
    Link,
    Missing,
    Paragraph,
    Photo,
    Rich,
    Row,
    Section,
    Span,
    Table,
)
from results.reports.labels import DEFAULT_LOCALE, Catalogue, catalogue
from results.reports.model import MeasurementRow, ReportData, RunData, UnitData
from results.reports.names import (
    labelled,
    measurement_label,
    record_label,
    step_label,
    value_label,
    with_code,
)
from results.reports.summary import (
    diagnosis_runs,
    run_sentences,
    shown_explanation,
    shown_note,
    shown_value,
    unit_sentence,
)

MEASUREMENT_WIDTHS = (0.11, 0.13, 0.08, 0.05, 0.14, 0.12, 0.24, 0.13)
DIAGNOSIS_WIDTHS = (0.12, 0.12, 0.16, 0.4, 0.2)
SIGNATURE_WIDTHS = (0.2, 0.12, 0.16, 0.52)
ANNEX_WIDTHS = (0.05, 0.2, 0.1, 0.08, 0.37, 0.1, 0.05, 0.05)
LIMITS_COLUMN = 4
VERDICT_COLUMN = 5
"""The measurement table's verdict column: coloured by verdict, with the reason under it."""


def is_approved(data: ReportData) -> bool:
    return any(s.meaning == "approved" for s in data.signatures)


def measurement_cells(row: MeasurementRow, t: Catalogue) -> list[str]:
    """One row of the measurement table as text (also the service's run page uses it): step,
    measurement and an operator's answer by their labels in ``t``'s language (the recorded
    names: ``measurement_codes``)."""
    value = row.text_value if row.value is None and row.text_value is not None else row.value
    return [
        step_label(t, row.step),
        measurement_label(t, row.name),
        fmt.number(value) if isinstance(value, float) else value_label(t, row.name, value or ""),
        row.unit,
        fmt.limits(row.low, row.high, row.low_inclusive, row.high_inclusive, row.unit),
        t.enum("verdict", row.verdict.name.lower()),
        row.instrument or "",
        fmt.timestamp(row.timestamp),
    ]


def measurement_codes(row: MeasurementRow, t: Catalogue) -> tuple[str, str, str]:
    """The recorded step and measurement names to show under their labels, and the recorded
    text value to show as the value's hover text (each empty where the label is the code): QA
    searches the records by them. A value's code is never printed (the reading is its words)."""
    text = row.text_value if row.value is None and row.text_value is not None else ""
    return (
        labelled(step_label(t, row.step), row.step),
        labelled(measurement_label(t, row.name), row.name),
        labelled(value_label(t, row.name, text), text),
    )


def limits_note(row: MeasurementRow, t: Catalogue) -> str:
    """The nominal value and the marginal band, printed under the limits: the band a value may
    sit in and still be marked marginal is part of how the row was judged."""
    parts = []
    if row.nominal is not None:
        parts.append(t.format("limits.nominal", value=fmt.with_unit(row.nominal, row.unit)))
    low = None if row.marginal_low is None else fmt.with_unit(row.marginal_low, row.unit)
    high = None if row.marginal_high is None else fmt.with_unit(row.marginal_high, row.unit)
    if low is not None and high is not None:
        parts.append(t.format("limits.marginal", low=low, high=high))
    elif low is not None:
        parts.append(t.format("limits.marginal_low", low=low))
    elif high is not None:
        parts.append(t.format("limits.marginal_high", high=high))
    return "; ".join(parts)


def measurement_headers(t: Catalogue) -> list[str]:
    keys = ("step", "measurement", "value", "unit", "limits", "verdict")
    return [t[f"col.{k}"] for k in (*keys, "instrument", "timestamp")]


def comparison_text(row: MeasurementRow, t: Catalogue) -> str:
    """How the engine judged the row, in ``t``'s language: written from the row's fields
    (``results.reports.comparison``) when they give back the stored text, else the stored text
    (a skipped test's reason translated where it is a catalogue sentence)."""
    found = row_comparison(row)
    if found is None:
        return shown_note(row.comparison, t.locale)
    return shown(found, t, lambda value: value_label(t, row.name, value))


def verdict_reason(row: MeasurementRow, locale: str = DEFAULT_LOCALE) -> str:
    """The engine's comparison (``comparison_text``), printed under a verdict that is not a
    plain pass: it says how the verdict was decided (``0.35 < 3 V (below low limit)``); a pass
    keeps it as a tooltip only, to keep tables short."""
    return "" if row.verdict is Verdict.PASS else comparison_text(row, catalogue(locale))


def _measurement_row(m: MeasurementRow, t: Catalogue) -> Row:
    text = measurement_cells(m, t)
    step_code, name_code, value_code = measurement_codes(m, t)
    verdict = Cell(
        text[VERDICT_COLUMN],
        tip=comparison_text(m, t),
        note=verdict_reason(m, t.locale),
    )
    limits = Cell(text[LIMITS_COLUMN], note=limits_note(m, t))
    cells: tuple[CellValue, ...] = (
        Cell(text[0], note=step_code),
        Cell(text[1], note=name_code),
        Cell(text[2], tip=value_code),
        *text[3:LIMITS_COLUMN],
        limits,
        verdict,
        *text[VERDICT_COLUMN + 1 :],
    )
    return Row(cells, anchor=m.anchor, tone=m.verdict.name.lower())


def _run(run: RunData, t: Catalogue) -> Section:
    meta = KeyValues(
        (
            (t["run.procedure"], f"{run.procedure} {run.procedure_version}"),
            (t["run.station"], run.station),
            (t["run.operator"], run.operator),
            (t["run.started"], fmt.timestamp(run.started)),
            (t["run.ended"], fmt.timestamp(run.ended)),
            (t["run.verdict"], t.enum("verdict", run.verdict.name.lower())),
        )
    )
    rows = [m for step in run.steps for m in step.measurements]
    table = Table(
        tuple(measurement_headers(t)),
        tuple(_measurement_row(m, t) for m in rows),
        widths=MEASUREMENT_WIDTHS,
        numeric=frozenset({2}),
        nowrap=frozenset({4}),  # an inequality broken across lines is hard to read
        tone_column=VERDICT_COLUMN,
    )
    notes = [
        Paragraph(
            (
                f"{t.format('step.title', index=s.index, name=step_label(t, s.name))}: "
                f"{shown_note(s.message, t.locale)}",
            ),
            "note",
        )
        for s in run.steps
        if s.message
    ]
    figures: list[Block] = [
        Chart(
            plots.layout(
                trace, t["trace.time"], channel_label=lambda name: t.enum("trace_channel", name)
            ),
            f"{t.format('step.title', index=step.index, name=step_label(t, step.name))}: "
            f"{trace.name}",
        )
        for step in run.steps
        for trace in step.traces
    ]
    if not figures:
        figures = [Paragraph((t["trace.none"],), "note")]
    return Section(
        f"run-{run.run_id}",
        (
            Heading(4, t.format("run.title", run=run.run_id)),
            meta,
            Paragraph((" ".join(run_sentences(run, t)),), "summary"),
            Heading(4, t["section.measurements"]),
            table,
            *notes,
            Heading(4, t["section.traces"]),
            *figures,
        ),
        kind="run",
    )


def run_section(run: RunData, t: Catalogue) -> Section:
    """One run as the analysis report shows it: facts, summary sentence, measurements, traces."""
    return _run(run, t)


def _unit(unit: UnitData, t: Catalogue) -> Section:
    facts = KeyValues(
        (
            (t["unit.lot"], unit.lot),
            (t["unit.product_model"], unit.product_model),
            (t["unit.verdict"], t.enum("verdict", unit.verdict.name.lower())),
            (t["unit.disposition"], t.enum("disposition", unit.disposition)),
            (t["unit.summary"], unit_sentence(unit, t)),
        )
    )
    heading = Heading(3, f"{t['unit.serial']} {unit.serial}")
    runs = tuple(_run(run, t) for run in unit.runs)
    return Section(f"unit-{unit.serial}", (heading, facts, *runs), kind="unit")


def _complaint(data: ReportData, t: Catalogue) -> Section:
    c = data.complaint
    summary = KeyValues(
        (
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
        )
    )
    claim = KeyValues(
        (
            (t["complaint.symptom"], t.enum("symptom", c.symptom)),
            (t["complaint.symptom_text"], c.symptom_text),
            (t["complaint.usage_temperature"], c.usage_temperature),
            (t["complaint.time_in_use"], c.time_in_use),
            (t["complaint.usage_location"], c.usage_location),
            (t["complaint.customer_demands"], c.customer_demands),
        )
    )
    return Section(
        "complaint",
        (
            Heading(2, t["section.complaint"]),
            summary,
            Heading(3, t["section.customer_claim"]),
            claim,
        ),
    )


def _evidence_spans(run: RunData, refs: Sequence[str], t: Catalogue) -> Rich:
    """The records a conclusion cites, each by its label in ``t``'s language and linked to its
    row (the recorded reference as the link's hover text; under the label in a missing one)."""
    spans: list[Span] = []
    for number, ref in enumerate(refs):
        if number:
            spans.append(t["summary.separator"])
        row = run.find_measurement(ref)
        label = record_label(t, ref)
        spans.append(
            Missing(with_code(t, label, ref)) if row is None else Link(label, row.anchor, ref)
        )
    return Rich(tuple(spans))


def _diagnosis(units: Sequence[UnitData], t: Catalogue) -> Section:
    rows = [
        Row(
            (
                unit.serial,
                t.enum("conclusion", conclusion.kind),
                shown_value(t, conclusion.kind, conclusion.value),
                shown_explanation(conclusion.explanation, t.locale),
                _evidence_spans(run, conclusion.evidence, t),
            )
        )
        for unit in units
        for run in diagnosis_runs(unit)
        for conclusion in run.conclusions
    ]
    head = Heading(2, t["section.diagnosis"])
    if not rows:
        return Section("diagnosis", (head, Paragraph((t["diagnosis.none"],), "note")))
    keys = ("diagnosis.kind", "diagnosis.value", "diagnosis.explanation", "diagnosis.evidence")
    headers = (t["unit.serial"], *(t[k] for k in keys))
    return Section("diagnosis", (head, Table(headers, tuple(rows), widths=DIAGNOSIS_WIDTHS)))


def _disposition(data: ReportData, t: Catalogue) -> Section:
    table = Table(
        (t["unit.serial"], t["unit.verdict"], t["unit.disposition"]),
        tuple(
            Row(
                (
                    u.serial,
                    t.enum("verdict", u.verdict.name.lower()),
                    t.enum("disposition", u.disposition),
                )
            )
            for u in data.units
        ),
    )
    return Section("disposition", (Heading(2, t["section.disposition"]), table))


def _set_aside(data: ReportData, t: Catalogue) -> Section | None:
    """Runs kept in the record but not used as evidence: named, with why, nothing more."""
    if not data.set_aside:
        return None
    table = Table(
        (
            t["unit.serial"],
            t["evidence.run"],
            t["col.procedure"],
            t["set_aside.standing"],
            t["set_aside.reason"],
        ),
        tuple(
            Row(
                (
                    r.unit_serial,
                    r.run_id,
                    r.procedure,
                    t.enum("standing", r.standing),
                    shown_note(r.reason, t.locale),
                )
            )
            for r in data.set_aside
        ),
    )
    note = Paragraph((t["set_aside.note"],), "note")
    return Section("set-aside", (Heading(2, t["section.set_aside"]), note, table))


def approvals_section(data: ReportData, t: Catalogue) -> Section:
    """The signatures table (also the outgoing inspection report's), or 'Not signed.'"""
    head = Heading(2, t["section.approvals"])
    if not data.signatures:
        return Section("approvals", (head, Paragraph((t["signature.none"],), "note")))
    table = Table(
        (t["signature.name"], t["signature.meaning"], t["signature.time"], t["signature.hash"]),
        tuple(
            Row(
                (
                    s.name,
                    t.enum("meaning", s.meaning),
                    fmt.timestamp(s.signed_at),
                    s.content_sha256,
                )
            )
            for s in data.signatures
        ),
        widths=SIGNATURE_WIDTHS,
    )
    return Section("approvals", (head, table))


def _annex(data: ReportData, t: Catalogue, images: Mapping[str, bytes] | None) -> Section:
    head = Heading(2, t["section.evidence"])
    if not data.evidence:
        return Section("evidence", (head, Paragraph((t["evidence.none"],), "note")))
    table = Table(
        tuple(annex_headers(t)),
        tuple(
            Row(tuple(annex_cells(f, t)), anchor=f"evidence-{f.attachment_id}")
            for f in data.evidence
        ),
        widths=ANNEX_WIDTHS,
        numeric=frozenset({3}),
    )
    parts: list[Block] = [head, table]
    for f in data.evidence:
        content = photo_bytes(f, images)
        if content is not None:
            caption = t.format("evidence.photo", id=f.attachment_id, name=f.name)
            parts.append(Photo(content, f.media_type, f.name, caption))
    if images is None and any(f.is_photo for f in data.evidence):
        parts.append(Paragraph((t["evidence.not_shown"],), "note"))
    return Section("evidence", tuple(parts))


def _header(data: ReportData, t: Catalogue) -> tuple[Block, ...]:
    header: list[Block] = [
        Heading(1, t["report.title"]),
        KeyValues(
            (
                (t["report.number"], data.report_no),
                (t["report.version"], str(data.version)),
                (t["report.issued"], fmt.day(data.issued_at)),
            )
        ),
    ]
    if data.amends is not None:
        amends = t.format(
            "report.amends", number=data.amends.report_no, version=data.amends.version
        )
        reason = f"{t['report.amend_reason']}: {data.amends.reason}"
        header.append(Paragraph((amends, reason)))
    if not is_approved(data):
        header.append(Paragraph((t["report.draft"],), "draft"))
    return tuple(header)


def compose_report(
    data: ReportData, t: Catalogue, images: Mapping[str, bytes] | None = None
) -> Document:
    """The report in the catalogue's language; ``images`` (SHA-256 -> bytes) adds the photos."""
    units = Section(
        "units", (Heading(2, t["section.units"]), *(_unit(unit, t) for unit in data.units))
    )
    set_aside = _set_aside(data, t)
    body: list[Block] = [_complaint(data, t), units, _diagnosis(data.units, t)]
    body.append(_disposition(data, t))
    if set_aside is not None:
        body.append(set_aside)
    body += [
        eightd_section(data, data.eightd, t),
        approvals_section(data, t),
        _annex(data, t, images),
    ]
    return Document(
        title=data.report_no,
        lang=t.locale.replace("_", "-"),
        header=_header(data, t),
        body=tuple(body),
        footer=(t["report.items_note"], f"{data.report_no} v{data.version} - {t['report.end']}"),
    )
