"""What a reply letter may say about each returned unit: its outcome as the store records it.

A letter that gives one disposition for seven packs, or opens with "every test passed" above a
failed measurement, contradicts the report it summarises. So the letter is built from one
``UnitResult`` per unit, read here from the rows: the unit's recorded disposition (proposed by
the bench or confirmed by QA), the findings the runs concluded, and every measurement that did
not pass, sorted into failed, marginal, not tested and not completed (an equipment error). A
claim that tests passed is made only by ``UnitResult.all_passed``, which is true only when the
unit has a run and nothing in any of its latest runs failed, was skipped or errored.

Per unit, the latest finished or interrupted run of each procedure counts (the diagnosis and the
appearance check are separate evidence); older runs of the same procedure were superseded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from procedures.records import Verdict
from results.models import RunStatus
from results.read_model import ComplaintRead, RunRead
from results.unit_path import disposition_confirmed

FINDING_KINDS = ("root_cause", "contributing")
"""Conclusion kinds the rules record as findings on the pack: the primary cause first, then
each contributing finding (procedures/diagnosis/rules.py)."""
PASSING = (Verdict.PASS.name, Verdict.MARGINAL.name)
"""Run and measurement verdicts that count as passing; any other verdict (fail, skipped, error,
aborted, incomplete, or one added later) does not."""
_VERDICT_OF_NAME = Verdict.__members__
"""Stored names (exact, upper case) to the engine's verdicts; the one list of verdict words."""
UNTESTED_VALUES = ("not_tested", "not_measured")
"""Recorded answers meaning the test was not performed, whatever verdict they were given."""


@dataclass(frozen=True)
class UnitResult:
    """One returned unit's outcome as recorded; measurement names are the recorded names."""

    serial: str
    verdict: str
    """Worst verdict of the unit's latest runs, lower case (``""``: no run recorded)."""
    findings: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    marginal: tuple[str, ...] = ()
    not_tested: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    disposition: str = ""
    confirmed: bool = False
    """``True`` once QA confirmed the disposition; otherwise it is the bench's proposal."""
    advice: tuple[str, ...] = ()
    stopped: bool = False
    """A run ended without a verdict that its measurements explain (error, abort, interruption,
    incomplete): the analysis of this unit is not complete."""

    @property
    def tested(self) -> bool:
        return bool(self.verdict)

    @property
    def all_passed(self) -> bool:
        """Every recorded test of every latest run passed (marginal results are listed apart)."""
        return (
            self.tested
            and self.verdict.upper() in PASSING
            and not (self.failed or self.not_tested or self.errors or self.stopped)
        )

    def outcome(self) -> tuple[object, ...]:
        """Units with equal outcomes share one line of the letter."""
        return (
            self.verdict,
            self.findings,
            self.failed,
            self.marginal,
            self.not_tested,
            self.errors,
            self.disposition,
            self.confirmed,
            self.stopped,
        )


def _worst(verdicts: list[str]) -> str:
    """Worst of the runs' verdicts in the engine's own order (procedures.records.Verdict); a
    name the enum does not know ranks as incomplete rather than as a pass."""

    def rank(v: str) -> int:
        return Verdict[v] if v in Verdict.__members__ else Verdict.INCOMPLETE

    return max(verdicts, key=rank) if verdicts else ""


COUNTED_STATUSES = (RunStatus.FINISHED.value, RunStatus.INTERRUPTED.value)
"""Runs that are evidence: a running run is not yet, and a status added later (e.g. a run QA
marked invalid) is left out rather than guessed at."""


def latest_runs(runs: Sequence[RunRead]) -> list[RunRead]:
    """The latest finished or interrupted run of each procedure, in start order."""
    latest: dict[str, RunRead] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.id)):
        if run.status in COUNTED_STATUSES:
            latest[run.procedure] = run
    return sorted(latest.values(), key=lambda r: (r.started_at, r.id))


def _once(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def unit_result(
    serial: str, runs: Sequence[RunRead], disposition: str, confirmed: bool
) -> UnitResult:
    """The outcome of one unit from its latest runs (see the module's docstring)."""
    chosen = latest_runs(runs)
    failed: list[str] = []
    marginal: list[str] = []
    not_tested: list[str] = []
    errors: list[str] = []
    findings: list[str] = []
    advice: list[str] = []
    proposed: list[str] = []
    stopped = False
    for run in chosen:
        for step in run.steps:
            for m in step.measurements:
                said = _VERDICT_OF_NAME.get(m.verdict)  # None: a name newer than this code
                if m.text_value in UNTESTED_VALUES or said is Verdict.SKIPPED:
                    not_tested.append(m.name)
                elif said is Verdict.FAIL:
                    failed.append(m.name)
                elif said is Verdict.MARGINAL:
                    marginal.append(m.name)
                elif said in (Verdict.ERROR, Verdict.ABORTED):
                    errors.append(m.name)
                elif said is not Verdict.PASS:
                    not_tested.append(m.name)
        verdict = run.verdict or Verdict.ABORTED.name
        if run.status != RunStatus.FINISHED.value or verdict not in (*PASSING, Verdict.FAIL.name):
            stopped = True
        for c in run.conclusions or []:
            kind, value = str(c.get("kind")), str(c.get("value"))
            if kind in FINDING_KINDS:
                findings.append(value)
            elif kind == "advice":
                advice.append(value)
            elif kind == "disposition":
                proposed.append(value)
    verdicts = [
        (r.verdict or Verdict.ABORTED.name)
        if r.status == RunStatus.FINISHED.value
        else Verdict.ABORTED.name
        for r in chosen
    ]
    return UnitResult(
        serial=serial,
        verdict=_worst(verdicts).lower(),
        findings=_once(findings),
        failed=_once(failed),
        marginal=_once(marginal),
        not_tested=_once(not_tested),
        errors=_once(errors),
        disposition=disposition or (proposed[-1] if proposed else ""),
        confirmed=bool(disposition) and confirmed,
        advice=_once(advice),
        stopped=stopped,
    )


def units_of(complaint: ComplaintRead) -> tuple[UnitResult, ...]:
    """Every returned unit of the complaint, by serial, with its recorded outcome: from the
    same read model as the report (``readback.load_complaint``), so the letter weighs the runs
    the report shows."""
    results = []
    for unit in sorted(complaint.units, key=lambda u: (u.serial, u.id)):
        runs = unit.runs
        confirmed = disposition_confirmed(unit.status)
        results.append(unit_result(unit.serial, runs, unit.disposition or "", confirmed))
    return tuple(results)


def grouped(units: tuple[UnitResult, ...]) -> list[tuple[tuple[str, ...], UnitResult]]:
    """Units with the same outcome together (serials in order), groups in first-serial order."""
    groups: dict[tuple[object, ...], list[UnitResult]] = {}
    for unit in units:
        groups.setdefault(unit.outcome(), []).append(unit)
    return [(tuple(u.serial for u in members), members[0]) for members in groups.values()]
