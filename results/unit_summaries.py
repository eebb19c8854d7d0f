"""Per-unit summaries: each procedure's latest valid run, never a mix of runs.

A unit tested by diagnosis and then by appearance has two results; a summary row that takes its
verdict from one run and its root cause or disposition from another says something no run
recorded. So every summary (``complaint show``, the service pages, the report) is built here, one
entry per procedure, every field of an entry from the same run. Invalid runs (QA's decision) and
aborted or interrupted runs are not evidence: they are listed apart, never summarised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from results.models import Run, RunInvalidation
from results.read_model import RunRead
from results.reports.model import is_primary_procedure
from results.run_validity import RunStanding, standing

DIAGNOSIS_KINDS = ("root_cause", "symptom", "disposition", "cause_category")


@dataclass(frozen=True)
class ProcedureResult:
    """The latest valid run of one procedure on one unit, every field from that one run."""

    procedure: str
    run_id: int
    verdict: str
    """Lower-case verdict name as stored (``pass``, ``incomplete``...); unknown names kept as-is."""
    message: str
    conclusions: tuple[dict[str, Any], ...]
    earlier_runs: int = 0
    """Older valid runs of the same procedure, superseded by this one."""

    def conclusion(self, kind: str) -> str | None:
        for c in self.conclusions:
            if c.get("kind") == kind:
                return str(c.get("value"))
        return None

    def diagnosis(self) -> dict[str, Any]:
        result: dict[str, Any] = {kind: self.conclusion(kind) for kind in DIAGNOSIS_KINDS}
        result["advice"] = [c["value"] for c in self.conclusions if c.get("kind") == "advice"]
        result["contributing"] = [
            c["value"] for c in self.conclusions if c.get("kind") == "contributing"
        ]
        root = next((c for c in self.conclusions if c.get("kind") == "root_cause"), None)
        result["evidence"] = list(root.get("evidence", [])) if root else []
        return result


@dataclass(frozen=True)
class SetAsideRun:
    """A run kept in the record but not used as evidence, and why."""

    run_id: int
    procedure: str
    standing: RunStanding
    reason: str


@dataclass(frozen=True)
class UnitSummary:
    results: tuple[ProcedureResult, ...] = ()
    """One per procedure, the primary procedure (diagnosis) first, then by name."""
    set_aside: tuple[SetAsideRun, ...] = field(default=())

    @property
    def primary(self) -> ProcedureResult | None:
        """The result that speaks for the unit as a whole: its diagnosis, else the only one."""
        for r in self.results:
            if is_primary_procedure(r.procedure):
                return r
        return self.results[0] if len(self.results) == 1 else None


def _order(run: Run | RunRead) -> tuple[Any, int]:
    return (run.started_at, run.id)


def summarise_unit(
    runs: Iterable[Run | RunRead], invalid: Mapping[int, RunInvalidation] | None = None
) -> UnitSummary:
    """``runs`` of one unit (any order); ``invalid`` maps run id -> QA's invalidation."""
    invalid = invalid or {}
    by_procedure: dict[str, list[Run | RunRead]] = {}
    set_aside: list[SetAsideRun] = []
    for run in sorted(runs, key=_order):
        mark = standing(run, invalid.get(run.id))
        if mark is RunStanding.VALID:
            by_procedure.setdefault(run.procedure, []).append(run)
        elif mark is not RunStanding.RUNNING:
            inv = invalid.get(run.id)
            reason = inv.reason if inv is not None else run.message
            set_aside.append(SetAsideRun(run.id, run.procedure, mark, reason))
    results = []
    for procedure, valid in by_procedure.items():
        latest = valid[-1]
        results.append(
            ProcedureResult(
                procedure=procedure,
                run_id=latest.id,
                verdict=(latest.verdict or "").lower(),
                message=latest.message,
                conclusions=tuple(latest.conclusions or ()),
                earlier_runs=len(valid) - 1,
            )
        )
    results.sort(key=lambda r: (not is_primary_procedure(r.procedure), r.procedure))
    return UnitSummary(tuple(results), tuple(set_aside))
