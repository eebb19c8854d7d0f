"""A first 8D draft filled from what the store already knows, for a person to correct.

D2 (5W2H) comes from the complaint's registration and the clock pauses (each pause sentence is
written into "when", as the procedure asks); D3 from the containment records; D4 hypotheses from
the diagnosis conclusions of this complaint's finished runs, each citing its run. The pause
sentences and containment lines are passed in, not looked up here, so this module does not
depend on how clocks and containment are stored (the caller wires
``results.complaint_clocks.pause_sentences`` and ``results.containment.containment_actions``).
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


def problem_from_complaint(complaint: Complaint, pause_sentences: Sequence[str]) -> ProblemIn:
    """D2 in 5W2H from the registration; the pauses follow the receipt date in "when"."""
    symptom = complaint.symptom + (
        f": {complaint.symptom_other}" if complaint.symptom_other else ""
    )
    when = [f"received {complaint.received_at.date().isoformat()}"]
    if complaint.shipment_date is not None:
        when.insert(0, f"shipped {complaint.shipment_date.isoformat()}")
    if complaint.time_in_use_days is not None:
        when.append(f"{complaint.time_in_use_days:g} days in use")
    when.extend(s for s in pause_sentences if s.strip())
    where = complaint.usage_location
    if complaint.usage_temperature_c is not None:
        where = f"{where} ({complaint.usage_temperature_c:g} °C)".strip()
    return ProblemIn(
        what=f"{complaint.product_model} {symptom}".strip(),
        where=where,
        when="; ".join(when),
        who=complaint.customer,
        why=complaint.customer_demands,
        how=complaint.decision or "",
        how_many=f"{complaint.defect_qty}/{complaint.shipped_qty}",
    )


def causes_from_runs(session: Session, complaint_id: int) -> list[CauseIn]:
    """One D4 hypothesis per diagnosis conclusion of the complaint's runs, citing the run."""
    runs = session.scalars(
        select(Run).where(Run.complaint_id == complaint_id).order_by(Run.id)
    ).all()
    causes: list[CauseIn] = []
    for run in runs:
        for conclusion in run.conclusions or []:
            text = str(conclusion.get("explanation") or conclusion.get("value") or "").strip()
            if not text:
                continue
            causes.append(
                CauseIn(
                    kind="occurrence",
                    description=text,
                    status="hypothesis",
                    method=str(conclusion.get("kind", "")),
                    evidence=[EvidenceIn(kind="run", ref=str(run.id))],
                )
            )
    return causes


def prefill(
    session: Session,
    complaint_id: int,
    *,
    pause_sentences: Sequence[str] = (),
    containment: Sequence[ContainmentLine] = (),
) -> EightDForm:
    """A draft 8D for the complaint (nothing written); the author edits it before saving."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return EightDForm(
        problem=problem_from_complaint(complaint, pause_sentences),
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
        causes=causes_from_runs(session, complaint_id),
    )


def containment_lines(session: Session, complaint_id: int) -> list[ContainmentLine]:
    """D3 as the containment records state it: one line per area checked, one per action taken
    (its release is the date it was done; an open freeze is still frozen stock)."""
    lines = [
        ContainmentLine(location=c.area, qty_checked=c.qty_checked, qty_ng=c.qty_bad)
        for c in containment_checks(session, complaint_id)
    ]
    for a in containment_actions(session, complaint_id):
        lines.append(
            ContainmentLine(
                location=a.location or a.kind,
                qty_checked=a.qty_affected,
                frozen=a.kind == ActionKind.FREEZE_OUTGOING_STOCK and a.is_open,
                method=f"{a.kind}: {a.description}" if a.description else a.kind,
                owner=a.owner,
                done=a.released_at.date() if a.released_at is not None else None,
            )
        )
    return lines


def prefill_from_records(session: Session, complaint_id: int, lang: str = "en") -> EightDForm:
    """The draft 8D the CLI and the API offer: the complaint, its pauses (written into D2 by
    ``results.clock_records.pause_sentences``), its containment records and its runs' findings."""
    return prefill(
        session,
        complaint_id,
        pause_sentences=pause_sentences(session, complaint_id, lang),
        containment=containment_lines(session, complaint_id),
    )
