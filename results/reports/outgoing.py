"""The outgoing inspection report (出货检验报告) of one reworked or replacement unit.

Built through the same document model as the analysis report (``results.reports.document``,
rendered by ``html.document_html`` and ``pdf.document_pdf``), with the unit's latest valid run of
``outgoing_inspection`` shown exactly as the analysis report shows a run. The decision and its
sentence are never read from a stored word: they are recomputed from the recorded step and
measurement verdicts through ``procedures.outgoing.decide``, the same function the procedure
concluded with, so the report cannot say *released* over a failed reading. The analysis
report's consistency check runs on it too (``PACKBENCH_CHECK_REPORTS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from procedures.outgoing import NAME as OUTGOING_INSPECTION
from procedures.outgoing import Decision, decide
from procedures.records import Verdict
from results.errors import NotFound
from results.readback import load_complaint
from results.reports import consistency, fmt
from results.reports.assemble import complaint_summary, run_data
from results.reports.compose import approvals_section, run_section
from results.reports.document import Block, Document, Heading, KeyValues, Paragraph, Section
from results.reports.html import document_html
from results.reports.labels import Catalogue, catalogue
from results.reports.model import (
    ComplaintSummary,
    ReportData,
    RunData,
    Signature,
    UnitData,
    report_number,
)
from results.reports.names import measurement_label, step_label, with_code
from results.run_validity import RunStanding, invalidations, standing

__all__ = [
    "NoOutgoingRun",
    "OutgoingReportData",
    "assemble_outgoing",
    "compose_outgoing",
    "decision_of",
    "outgoing_sentence",
    "render_outgoing_html",
    "render_outgoing_pdf",
]


class NoOutgoingRun(NotFound):
    """The unit has no valid outgoing inspection run to report."""

    def __init__(self, complaint: str, serial: str) -> None:
        super().__init__("outgoing inspection run", f"{complaint}/{serial}")
        self.args = (
            f"unit {serial} of complaint {complaint} has no valid {OUTGOING_INSPECTION} run; "
            f"run `packbench run {OUTGOING_INSPECTION} -c {complaint} -u {serial}` first",
        )


@dataclass(frozen=True, slots=True)
class OutgoingReportData:
    report_no: str
    locale: str
    complaint: ComplaintSummary
    unit: UnitData
    """The unit with the one run this report is about (its latest valid outgoing run)."""
    unit_status: str
    issued_at: datetime
    signatures: tuple[Signature, ...] = ()
    """The approval of a stored version (``results.reports.outgoing_approval``); none on demand."""

    @property
    def run(self) -> RunData:
        return self.unit.runs[-1]

    def as_report_data(self) -> ReportData:
        """The same facts as analysis-report data, for the shared consistency check."""
        return ReportData(
            report_no=self.report_no,
            version=1,
            locale=self.locale,
            complaint=self.complaint,
            units=(self.unit,),
            issued_at=self.issued_at,
            signatures=self.signatures,
        )


def outgoing_report_number(complaint_no: str, product_no: str, serial: str) -> str:
    """``<complaint-no>-<product-no>-OQC-<serial>``: beside the analysis report, one per unit."""
    return f"{report_number(complaint_no, product_no)}-OQC-{serial}"


def assemble_outgoing(
    session: Session, complaint_id: int, serial: str, *, locale: str, issued_at: datetime
) -> OutgoingReportData:
    """The report's data: the unit's latest valid outgoing run (invalid, aborted and running
    runs are not evidence). Raises ``NotFound`` for an unknown unit, ``NoOutgoingRun`` when
    the unit has not been inspected."""
    complaint = load_complaint(session, complaint_id, samples=True)  # run_data plots traces
    unit = next((u for u in complaint.units if u.serial == serial), None)
    if unit is None:
        raise NotFound("unit", f"{complaint.number}/{serial}")
    runs = [
        r for r in complaint.runs if r.unit_id == unit.id and r.procedure == OUTGOING_INSPECTION
    ]
    invalid = invalidations(session, (r.id for r in runs))
    valid = [r for r in runs if standing(r, invalid.get(r.id)) is RunStanding.VALID]
    if not valid:
        raise NoOutgoingRun(complaint.number, serial)
    latest = max(valid, key=lambda r: (r.started_at, r.id))
    return OutgoingReportData(
        report_no=outgoing_report_number(complaint.number, complaint.product_model, serial),
        locale=locale,
        complaint=complaint_summary(complaint),
        unit=UnitData(
            serial=unit.serial,
            lot=unit.lot,
            product_model=unit.product_model,
            runs=(run_data(latest),),
        ),
        unit_status=unit.status,
        issued_at=issued_at,
    )


def decision_of(run: RunData) -> Decision:
    """Release or hold, recomputed from the run's recorded verdicts."""
    return decide(
        (s.verdict for s in run.steps), (m.verdict for s in run.steps for m in s.measurements)
    )


def _not_passed(run: RunData, t: Catalogue) -> list[str]:
    """Each check that did not pass, by its label with its code (QA traces it), and verdict."""
    return [
        f"{with_code(t, measurement_label(t, m.name), m.name)} "
        f"({t.enum('verdict', m.verdict.name.lower())})"
        for s in run.steps
        for m in s.measurements
        if m.verdict is not Verdict.PASS
    ]


def outgoing_sentence(data: OutgoingReportData, t: Catalogue) -> str:
    """The report's verdict sentence, from the verdicts: what decides, and why when held."""
    run = data.run
    total = sum(len(s.measurements) for s in run.steps)
    if decision_of(run) is Decision.RELEASE:
        return t.format(
            "outgoing.summary.release", serial=data.unit.serial, n=total, run=run.run_id
        )
    sentences = [t.format("outgoing.summary.hold", serial=data.unit.serial, run=run.run_id)]
    bad = _not_passed(run, t)
    if bad:
        checks = t["summary.separator"].join(bad)
        sentences.append(t.format("outgoing.summary.not_passed", checks=checks))
    unfinished = [
        with_code(t, step_label(t, s.name), s.name)
        for s in run.steps
        if s.verdict is not Verdict.PASS
    ]
    if unfinished:
        steps = t["summary.separator"].join(unfinished)
        sentences.append(t.format("outgoing.summary.steps", steps=steps))
    return " ".join(sentences)


def compose_outgoing(data: OutgoingReportData, t: Catalogue) -> Document:
    """The outgoing inspection report in the catalogue's language."""
    run = data.run
    c = data.complaint
    decision = decision_of(run)
    header: tuple[Block, ...] = (
        Heading(1, t["outgoing.title"]),
        KeyValues(
            (
                (t["report.number"], data.report_no),
                (t["report.issued"], fmt.day(data.issued_at)),
            )
        ),
    )
    facts = KeyValues(
        (
            (t["outgoing.decision"], t.enum("outgoing_decision", decision.value)),
            (t["unit.serial"], data.unit.serial),
            (t["unit.lot"], data.unit.lot),
            (t["unit.product_model"], data.unit.product_model),
            (t["complaint.number"], c.number),
            (t["complaint.customer"], c.customer),
            (t["complaint.product_spec"], c.product_spec),
        )
    )
    decision_section = Section(
        "outgoing-decision",
        (
            Heading(2, t["outgoing.section.decision"]),
            facts,
            Paragraph((outgoing_sentence(data, t),), "summary"),
            Paragraph((t["outgoing.rule"],), "note"),
        ),
    )
    runs = Section(
        "outgoing-run", (Heading(2, t["outgoing.section.run"]), run_section(run, t)), kind="unit"
    )
    return Document(
        title=data.report_no,
        lang=t.locale.replace("_", "-"),
        header=header,
        body=(decision_section, runs, approvals_section(data.as_report_data(), t)),
        footer=(t["report.items_note"], f"{data.report_no} - {t['report.end']}"),
        subject=t["outgoing.title"],
    )


def render_outgoing_html(data: OutgoingReportData, locale: str | None = None) -> str:
    page = document_html(compose_outgoing(data, catalogue(locale or data.locale)))
    if consistency.enabled():
        consistency.enforce(data.as_report_data(), consistency.html_text(page))
    return page


def render_outgoing_pdf(data: OutgoingReportData, locale: str | None = None) -> bytes:
    # reportlab is heavy: loaded only when a PDF is asked for
    from results.reports.pdf import check_glyphs, document_pdf, pdf_text, report_strings

    t = catalogue(locale or data.locale)
    check_glyphs(data.report_no, report_strings(data), t)
    content = document_pdf(
        compose_outgoing(data, t), t, page_label=data.report_no, date=data.issued_at
    )
    if consistency.enabled():
        consistency.enforce(data.as_report_data(), pdf_text(content))
    return content
