"""The 8D content as one pydantic model: what the CLI (``--from FILE``) and the API accept.

One model for both entry points so that a field added to the form is checked the same way
everywhere. It converts to the report's frozen dataclasses (``results.reports.model.EightD``)
that the store validates against the complaint's evidence and the report renders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from results.errors import ValidationError
from results.reports.model import (
    ActionItem,
    Closure,
    ContainmentAction,
    EightD,
    EvidenceRef,
    ProblemDescription,
    RootCause,
    TeamMember,
)


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EvidenceIn(_Form):
    """``run`` (ref = run id), ``measurement`` (ref = ``<run>/<step>/<name>``) or
    ``attachment`` (ref = attachment id; sha256 filled from the store when empty)."""

    kind: Literal["run", "measurement", "attachment"]
    ref: str = Field(min_length=1)
    sha256: str = ""


class TeamIn(_Form):
    name: str = Field(min_length=1)
    department: str = ""
    role: Literal["champion", "leader", "member", "customer_contact"] = "member"


class ProblemIn(_Form):
    """D2 in 5W2H order."""

    what: str = ""
    where: str = ""
    when: str = ""
    who: str = ""
    why: str = ""
    how: str = ""
    how_many: str = ""


class ContainmentIn(_Form):
    location: str = Field(min_length=1)
    qty_checked: int = Field(ge=0)
    qty_ng: int = Field(ge=0)
    frozen: bool = False
    method: str = ""
    owner: str = ""
    due: date | None = None
    done: date | None = None

    @model_validator(mode="after")
    def _ng_within_checked(self) -> ContainmentIn:
        if self.qty_ng > self.qty_checked:
            raise ValueError("qty_ng is larger than qty_checked; NG is a part of those checked")
        return self


class CauseIn(_Form):
    kind: Literal["occurrence", "escape"]
    description: str = Field(min_length=1)
    status: Literal["verified", "hypothesis"] = "hypothesis"
    method: str = ""
    category: str = ""
    evidence: list[EvidenceIn] = []


class ActionIn(_Form):
    """D5 (corrective), D6 (implemented and verified), D7 (preventive)."""

    phase: Literal["d5", "d6", "d7"]
    description: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: date | None = None
    done: date | None = None
    verification: str = ""
    evidence: list[EvidenceIn] = []


class ClosureIn(_Form):
    criteria: str = ""
    closed_by: str = ""
    closed_at: datetime | None = None
    customer_acceptance: bool | None = None


class EightDForm(_Form):
    """D0-D8 of one complaint."""

    team: list[TeamIn] = []
    problem: ProblemIn = ProblemIn()
    containment: list[ContainmentIn] = []
    causes: list[CauseIn] = []
    actions: list[ActionIn] = []
    closure: ClosureIn = ClosureIn()

    def to_record(self) -> EightD:
        """The frozen dataclasses the store checks against the complaint and the report shows."""

        def refs(items: list[EvidenceIn]) -> tuple[EvidenceRef, ...]:
            return tuple(EvidenceRef(e.kind, e.ref, e.sha256) for e in items)

        return EightD(
            team=tuple(TeamMember(m.name, m.department, m.role) for m in self.team),
            problem=ProblemDescription(**self.problem.model_dump()),
            containment=tuple(ContainmentAction(**c.model_dump()) for c in self.containment),
            causes=tuple(
                RootCause(c.kind, c.description, c.status, c.method, c.category, refs(c.evidence))
                for c in self.causes
            ),
            actions=tuple(
                ActionItem(
                    a.phase,
                    a.description,
                    a.owner,
                    a.due,
                    a.done,
                    a.verification,
                    refs(a.evidence),
                )
                for a in self.actions
            ),
            closure=Closure(**self.closure.model_dump()),
        )


def parse_form(data: object) -> EightDForm:
    """The form from plain data (a JSON or TOML document); a bad field becomes the store's
    ``ValidationError`` naming the field path (e.g. ``causes.0.kind``) and what is accepted."""
    try:
        return EightDForm.model_validate(data)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "8D"
        raise ValidationError(
            where,
            first["msg"],
            "correct this field of the 8D form (see docs/eightd.md for the fields)",
        ) from None
