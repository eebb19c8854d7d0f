"""A first 8D draft filled from what the store already knows, for a person to correct.

D2 (5W2H) comes from the complaint's registration and the clock pauses (each pause sentence is
written into "when", as the procedure asks); D3 from the containment records; D4 hypotheses from
the diagnosis conclusions of this complaint's finished runs, each citing its run. The pause
sentences and containment lines are passed in, not looked up here, so this module does not
depend on how clocks and containment are stored (the caller wires
``results.complaint_clocks.pause_sentences`` and ``results.containment.containment_actions``).

The draft is written in the language of the page that offers it: a person edits it and it is
saved as typed, so a code or an English sentence left in a Chinese draft would end up in the
signed 8D. Coded values (symptom, containment area, action kind, conclusion) are written by their
labels in the report catalogue, the one place the pages and the reports read them from; the
sentences the procedures recorded (conclusion explanations) are read back in the language
through the procedures' record catalogue (``procedures.phrases.localise``, the codes they
quote labelled: ``results.reports.recorded``).

Words only in the draft, the codes as evidence: the pages and reports write a quoted record as
``label [code]`` so QA can trace it, but the 8D draft is prose a person edits, signs and sends
on, so a hypothesis names its records by their labels alone and cites each quoted measurement
as a ``measurement`` evidence reference (``<run>/<step>/<name>``) beside the run it comes from:
the code stays with the entry (the 8D page links it), not in the sentence. English keeps the
recorded sentence as it is (it is the record itself); its evidence is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.clock_records import pause_sentences
from results.containment import ActionKind, containment_actions, containment_checks
from results.eightd_form import (
    CauseIn,
    ContainmentIn,
    EightDForm,
    EvidenceIn,
    ProblemIn,
)
from results.errors import NotFound
from results.models import Complaint, Run
from results.reports.labels import DEFAULT_LOCALE, Catalogue, catalogue
from results.reports.recorded import quoted_records, said


@dataclass(frozen=True, slots=True)
class ContainmentLine:
    """One containment check or action as D3 shows it (the containment records map onto it)."""

    location: str
    qty_checked: int = 0
    qty_ng: int = 0
    frozen: bool = False
    method: str = ""
    owner: str = ""
    due: date | None = None
    done: date | None = None


def problem_from_complaint(
    complaint: Complaint, pause_sentences: Sequence[str], lang: str = DEFAULT_LOCALE
) -> ProblemIn:
    """D2 in 5W2H from the registration, in ``lang``; the pauses follow the receipt date in
    "when" (the caller passes them in the same language)."""
    t = catalogue(lang)
    symptom = t.enum("symptom", complaint.symptom) + (
        f": {complaint.symptom_other}" if complaint.symptom_other else ""
    )
    when = [t.format("eightd.prefill.received", date=complaint.received_at.date().isoformat())]
    if complaint.shipment_date is not None:
        when.insert(0, t.format("eightd.prefill.shipped", date=complaint.shipment_date.isoformat()))
    if complaint.time_in_use_days is not None:
        when.append(t.format("eightd.prefill.in_use", days=f"{complaint.time_in_use_days:g}"))
    when.extend(s for s in pause_sentences if s.strip())
    where = complaint.usage_location
    if complaint.usage_temperature_c is not None:
        where = f"{where} ({complaint.usage_temperature_c:g} °C)".strip()
    return ProblemIn(
        what=f"{complaint.product_model} {symptom}".strip(),
        where=where,
        when=t["eightd.prefill.separator"].join(when),
        who=complaint.customer,
        why=complaint.customer_demands,
        how=complaint.decision or "",
        how_many=f"{complaint.defect_qty}/{complaint.shipped_qty}",
    )


def _conclusion_text(conclusion: dict[str, object], t: Catalogue) -> str:
    """A conclusion as a sentence in ``t``'s language: its recorded explanation read back from
    the procedures' catalogue (the codes it quotes labelled, ``results.reports.recorded``),
    else its value by its label (a coded category, or a recorded sentence such as advice);
    text that is neither is kept as recorded."""
    explanation = str(conclusion.get("explanation") or "").strip()
    if explanation:
        return said(explanation, t.locale, with_codes=False)
    value = str(conclusion.get("value") or "").strip()
    if not value:
        return ""
    label = t.conclusion(str(conclusion.get("kind", "")), value)
    return said(value, t.locale, with_codes=False) if label == value else label


def _recorded_text(conclusion: dict[str, object]) -> str:
    """What the conclusion recorded in words (its explanation, else its value)."""
    return str(conclusion.get("explanation") or conclusion.get("value") or "")


def _evidence(run: Run, quoted: Sequence[str]) -> list[EvidenceIn]:
    """The run, then each measurement of ``run`` that ``quoted`` names (``step/name``, or a
    measurement's name alone: every step's measurement of that name); a step named alone is
    covered by the run, a name the run does not hold is not cited."""
    refs: list[str] = []
    for code in quoted:
        step_name, _, name = code.rpartition("/")
        for step in run.steps:
            if step_name and step.name != step_name:
                continue
            refs += [f"{run.id}/{step.name}/{m.name}" for m in step.measurements if m.name == name]
    cited = [EvidenceIn(kind="measurement", ref=ref) for ref in dict.fromkeys(refs)]
    return [EvidenceIn(kind="run", ref=str(run.id)), *cited]


def causes_from_runs(
    session: Session, complaint_id: int, lang: str = DEFAULT_LOCALE
) -> list[CauseIn]:
    """One D4 hypothesis per diagnosis conclusion of the complaint's runs, in ``lang``, citing
    the run and the measurements its sentence quotes; the method names the conclusion's kind
    by its label."""
    t = catalogue(lang)
    runs = session.scalars(
        select(Run).where(Run.complaint_id == complaint_id).order_by(Run.id)
    ).all()
    causes: list[CauseIn] = []
    for run in runs:
        for conclusion in run.conclusions or []:
            text = _conclusion_text(conclusion, t)
            if not text:
                continue
            causes.append(
                CauseIn(
                    kind="occurrence",
                    description=text,
                    status="hypothesis",
                    method=t.enum("conclusion", str(conclusion.get("kind", ""))),
                    evidence=_evidence(run, quoted_records(_recorded_text(conclusion))),
                )
            )
    return causes


def prefill(
    session: Session,
    complaint_id: int,
    *,
    pause_sentences: Sequence[str] = (),
    containment: Sequence[ContainmentLine] = (),
    lang: str = DEFAULT_LOCALE,
) -> EightDForm:
    """A draft 8D for the complaint in ``lang`` (nothing written); the author edits it before
    saving. The pause sentences and containment lines come in already written in ``lang``."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return EightDForm(
        problem=problem_from_complaint(complaint, pause_sentences, lang),
        containment=[
            ContainmentIn(
                location=c.location,
                qty_checked=c.qty_checked,
                qty_ng=min(c.qty_ng, c.qty_checked),
                frozen=c.frozen,
                method=c.method,
                owner=c.owner,
                due=c.due,
                done=c.done,
            )
            for c in containment
        ],
        causes=causes_from_runs(session, complaint_id, lang),
    )


def containment_lines(
    session: Session, complaint_id: int, lang: str = DEFAULT_LOCALE
) -> list[ContainmentLine]:
    """D3 as the containment records state it, in ``lang``: one line per area checked, one per
    action taken (its release is the date it was done; an open freeze is still frozen stock).
    Areas and action kinds are written by their labels; what a person typed stays as typed."""
    t = catalogue(lang)
    lines = [
        ContainmentLine(
            location=t.enum("area", c.area), qty_checked=c.qty_checked, qty_ng=c.qty_bad
        )
        for c in containment_checks(session, complaint_id)
    ]
    for a in containment_actions(session, complaint_id):
        kind = t.enum("action_kind", a.kind)
        lines.append(
            ContainmentLine(
                location=a.location or kind,
                qty_checked=a.qty_affected,
                frozen=a.kind == ActionKind.FREEZE_OUTGOING_STOCK and a.is_open,
                method=f"{kind}: {a.description}" if a.description else kind,
                owner=a.owner,
                done=a.released_at.date() if a.released_at is not None else None,
            )
        )
    return lines


def prefill_from_records(
    session: Session, complaint_id: int, lang: str = DEFAULT_LOCALE
) -> EightDForm:
    """The draft 8D the CLI and the API offer, in ``lang``: the complaint, its pauses (written
    into D2 by ``results.clock_records.pause_sentences``), its containment records and its
    runs' findings."""
    return prefill(
        session,
        complaint_id,
        pause_sentences=pause_sentences(session, complaint_id, lang),
        containment=containment_lines(session, complaint_id, lang),
        lang=lang,
    )
