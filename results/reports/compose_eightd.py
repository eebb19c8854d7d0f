"""The 8D part of a report as document nodes, composed once for HTML and PDF alike."""

from __future__ import annotations

from collections.abc import Sequence

from results.reports import fmt
from results.reports.document import (
    Block,
    Heading,
    KeyValues,
    Link,
    Missing,
    Paragraph,
    Rich,
    Row,
    Section,
    Span,
    Table,
)
from results.reports.labels import Catalogue
from results.reports.model import EightD, EvidenceRef, ProblemDescription, ReportData
from results.reports.names import record_label, with_code

PROBLEM_FIELDS = ("what", "where", "when", "who", "why", "how", "how_many")
"""D2 in 5W2H order; each field's label is ``eightd.<field>`` in the catalogues."""

CONTAINMENT_COLUMNS = (
    "location",
    "qty_checked",
    "qty_ng",
    "frozen",
    "method",
    "owner",
    "due",
    "done",
)
ACTION_COLUMNS = ("action", "owner", "due", "done", "verification")


def problem_pairs(problem: ProblemDescription, t: Catalogue) -> list[tuple[str, str]]:
    """D2's label/value rows."""
    return [(t[f"eightd.{name}"], getattr(problem, name)) for name in PROBLEM_FIELDS]


def evidence_spans(refs: Sequence[EvidenceRef], report: ReportData, t: Catalogue) -> list[Span]:
    """A cause's or an action's evidence in ``t``'s language: a measurement by its run and
    label, a run by its title (links to their places in the report), a file by its number and
    digest (a link to its annex row where the report lists it); the recorded reference is the
    link's hover text. A measurement the report does not contain is flagged, with its
    reference, not silently dropped."""
    out: list[Span] = []
    for number, ref in enumerate(refs):
        if number:
            out.append(t["summary.separator"])
        if ref.kind == "measurement":
            run, _, record = ref.ref.partition("/")
            label = t.format("evidence.measurement_ref", run=run, name=record_label(t, record))
            anchor = report.measurement_ref_anchor(ref.ref)
            shown = with_code(t, label, ref.ref)
            out.append(Link(label, anchor, ref.ref) if anchor else Missing(shown))
        elif ref.kind == "run":
            out.append(Link(t.format("run.title", run=ref.ref), f"run-{ref.ref}", ref.ref))
        elif ref.kind == "attachment":
            text = (
                t.format("evidence.attachment_digest", id=ref.ref, digest=ref.sha256[:16])
                if ref.sha256
                else t.format("evidence.attachment_ref", id=ref.ref)
            )
            listed = any(f.attachment_id == ref.ref for f in report.evidence)
            code = f"attachment:{ref.ref}"
            out.append(Link(text, f"evidence-{ref.ref}", code) if listed else text)
        else:
            digest = f" sha256:{ref.sha256[:16]}" if ref.sha256 else ""
            out.append(f"{ref.kind}:{ref.ref}{digest}")
    return out


def _plain(*rows: Sequence[str]) -> tuple[Row, ...]:
    return tuple(Row(tuple(row)) for row in rows)


def eightd_section(report: ReportData, e: EightD | None, t: Catalogue) -> Section:
    head = Heading(2, t["section.eightd"])
    if e is None:
        return Section("eightd", (head, Paragraph((t["eightd.none"],), "note")))
    yes_no = {True: t["eightd.yes"], False: t["eightd.no"], None: ""}
    parts: list[Block] = [head]
    if report.eightd_draft:
        parts.append(Paragraph((t["eightd.draft"],), "note"))
    parts.append(Heading(3, t["eightd.d1"]))
    parts.append(
        Table(
            (t["eightd.name"], t["eightd.department"], t["eightd.role"]),
            _plain(*([m.name, m.department, t.enum("role", m.role)] for m in e.team)),
        )
    )
    parts += [Heading(3, t["eightd.d2"]), KeyValues(tuple(problem_pairs(e.problem, t)))]
    parts.append(Heading(3, t["eightd.d3"]))
    parts.append(
        Table(
            tuple(t[f"eightd.{k}"] for k in CONTAINMENT_COLUMNS),
            _plain(
                *(
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
                )
            ),
            numeric=frozenset({1, 2}),
        )
    )
    parts.append(Heading(3, t["eightd.d4"]))
    parts.append(
        Table(
            (t["eightd.kind"], t["eightd.description"], t["eightd.status"], t["eightd.evidence"]),
            tuple(
                Row(
                    (
                        t.enum("cause_kind", c.kind),
                        c.description,
                        t.enum("cause_status", c.status),
                        Rich(tuple(evidence_spans(c.evidence, report, t))),
                    )
                )
                for c in e.causes
            ),
        )
    )
    for phase in ("d5", "d6", "d7"):
        parts.append(Heading(3, t[f"eightd.{phase}"]))
        rows = []
        for a in e.actions:
            if a.phase != phase:
                continue
            refs = evidence_spans(a.evidence, report, t)
            verification = Rich((a.verification, " ", *refs) if refs else (a.verification,))
            rows.append(
                Row((a.description, a.owner, fmt.day(a.due), fmt.day(a.done), verification))
            )
        parts.append(Table(tuple(t[f"eightd.{k}"] for k in ACTION_COLUMNS), tuple(rows)))
    cl = e.closure
    parts.append(Heading(3, t["eightd.d8"]))
    parts.append(
        KeyValues(
            (
                (t["eightd.closure_criteria"], cl.criteria),
                (t["eightd.closed_by"], cl.closed_by),
                (t["eightd.closed_at"], fmt.timestamp(cl.closed_at)),
                (t["eightd.customer_acceptance"], yes_no[cl.customer_acceptance]),
            )
        )
    )
    return Section("eightd", tuple(parts))
