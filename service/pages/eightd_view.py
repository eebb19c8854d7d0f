"""What pages show of a complaint's 8D: the current version, and the records it may cite.

Kept apart from the editor's routes so the complaint page can show the current version without
importing the editor (which imports the complaint page's form helpers).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.eightd_versions import EightDView, view
from results.errors import NotFound
from results.models import Attachment, Run
from results.reports import fmt
from results.reports.labels import Catalogue
from results.reports.names import measurement_label, step_label, value_label


@dataclass(frozen=True)
class EvidenceChoice:
    """One run, measurement or attachment of the complaint that an 8D entry may cite."""

    kind: str
    ref: str
    label: str
    href: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"


def current_eightd(session: Session, complaint_id: int) -> EightDView | None:
    """The latest 8D version of the complaint, or None before the first is saved."""
    try:
        return view(session, complaint_id)
    except NotFound:
        return None


def evidence_choices(session: Session, complaint_id: int, t: Catalogue) -> list[EvidenceChoice]:
    """What an 8D entry may cite, each named in ``t``'s language (a measurement by its step's
    and its own label, its value by its words, the verdict by its label); the recorded
    reference is the choice's key."""
    runs = list(
        session.scalars(select(Run).where(Run.complaint_id == complaint_id).order_by(Run.id))
    )
    choices: list[EvidenceChoice] = []
    for run in runs:
        verdict = (run.verdict or run.status).lower()
        run_title = t.format("run.title", run=run.id)
        choices.append(
            EvidenceChoice(
                "run",
                str(run.id),
                f"{run_title} {run.procedure} {t.enum('verdict', verdict)}",
                f"/runs/{run.id}",
            )
        )
        for step in run.steps:
            for m in step.measurements:
                value = (
                    value_label(t, m.name, m.text_value or "")
                    if m.value is None
                    else fmt.with_unit(m.value, m.unit)
                )
                name = f"{step_label(t, step.name)}/{measurement_label(t, m.name)}"
                said = t.enum("verdict", m.verdict.lower())
                choices.append(
                    EvidenceChoice(
                        "measurement",
                        f"{run.id}/{step.name}/{m.name}",
                        f"{run_title} {name} = {value} ({said})",
                        f"/runs/{run.id}#measurements",
                    )
                )
    run_ids = [r.id for r in runs]
    owned = Attachment.complaint_id == complaint_id
    if run_ids:
        owned = owned | Attachment.run_id.in_(run_ids)
    for a in session.scalars(select(Attachment).where(owned).order_by(Attachment.id)):
        choices.append(
            EvidenceChoice("attachment", str(a.id), a.original_name, f"/files/{a.sha256}")
        )
    return choices
