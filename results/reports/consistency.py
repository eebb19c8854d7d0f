"""The consistency check: a rendered report agrees with its own evidence.

Given a report's data and the text a reader sees (HTML or PDF, as plain text), it proves:

* no summary sentence contradicts a verdict: a run's verdict is never better than its steps',
  a step's never better than its measurements'; "every test passed" / "meets its specification"
  (English or Chinese) appears no more often than there are runs of which it is true; a failed run
  does not end in "no fault found" unless a conclusion cites the failed measurement;
* no instrument resource string, host or port appears in the text (``procedures.redaction``);
* every conclusion cites at least one measurement, and every citation names a measurement of its
  run.

``check_report`` returns the problems; ``enforce`` raises on any. With ``PACKBENCH_CHECK_REPORTS``
set (the test suite sets it for itself and its subprocesses) the renderers call ``enforce`` on
every report they produce, so each report a test makes is checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from html.parser import HTMLParser

from procedures.records import Verdict
from results.reports.model import ReportData, RunData
from results.reports.sanitise import leaks
from results.reports.summary import CLAIMS, claim_holds, diagnosis_runs

ENV = "PACKBENCH_CHECK_REPORTS"
NO_FAULT = frozenset({"no_fault_found", "customer_misjudgement"})


@dataclass(frozen=True)
class Problem:
    rule: str
    """``verdict``, ``claim``, ``leak`` or ``citation``."""
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}: {self.detail}"


class InconsistentReport(AssertionError):
    """A report contradicts its evidence (raised by ``enforce``)."""

    def __init__(self, report_no: str, problems: list[Problem]) -> None:
        self.problems = problems
        listed = "\n  ".join(str(p) for p in problems)
        super().__init__(f"report {report_no} is inconsistent:\n  {listed}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        self.parts.append(" ")
        # tooltips are read too
        self.parts.extend(f" {v} " for k, v in attrs if k in ("title", "alt") and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """What a reader of the HTML sees (tags, styles and embedded images left out)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _verdicts(run: RunData, where: str) -> list[Problem]:
    problems = []
    steps = Verdict.worst(tuple(s.verdict for s in run.steps))
    if run.steps and run.verdict < steps and run.verdict is not Verdict.SKIPPED:
        problems.append(
            Problem(
                "verdict",
                where,
                f"run verdict {run.verdict.name} is better than its worst step ({steps.name})",
            )
        )
    for step in run.steps:
        measured = Verdict.worst(tuple(m.verdict for m in step.measurements))
        if step.measurements and step.verdict < measured and step.verdict is not Verdict.SKIPPED:
            problems.append(
                Problem(
                    "verdict",
                    f"{where} step {step.name}",
                    f"step verdict {step.verdict.name} is better than its worst measurement "
                    f"({measured.name})",
                )
            )
    return problems


def _no_fault_on_failure(run: RunData, where: str) -> list[Problem]:
    if run.verdict < Verdict.FAIL or run.verdict is Verdict.ABORTED:
        return []
    claims = [c for c in run.conclusions if c.value in NO_FAULT]
    if not claims:
        return []
    cited_failures = any(
        (row := run.find_measurement(ref)) is not None and row.verdict >= Verdict.FAIL
        for c in run.conclusions
        for ref in c.evidence
    )
    if cited_failures:
        return []
    return [
        Problem(
            "claim",
            where,
            f"verdict {run.verdict.name} but the conclusion says "
            f"{claims[0].value} without citing the failed measurement",
        )
    ]


def _citations(run: RunData, where: str) -> list[Problem]:
    problems = []
    for c in run.conclusions:
        if not c.evidence:
            problems.append(
                Problem("citation", where, f"{c.kind} {c.value!r} cites no measurement")
            )
        for ref in c.evidence:
            if run.find_measurement(ref) is None:
                problems.append(
                    Problem("citation", where, f"{c.kind} {c.value!r} cites {ref!r}: no such row")
                )
    return problems


def check_report(data: ReportData, text: str) -> list[Problem]:
    """Every way ``data`` rendered as ``text`` contradicts its own evidence (empty: consistent)."""
    problems: list[Problem] = []
    true_claims = 0
    for unit in data.units:
        for run in unit.runs:
            where = f"unit {unit.serial} run {run.run_id}"
            problems += _verdicts(run, where)
            true_claims += claim_holds(run)
        for run in diagnosis_runs(unit):
            where = f"unit {unit.serial} run {run.run_id}"
            problems += _no_fault_on_failure(run, where)
            problems += _citations(run, where)
    made = [m.group(0) for pattern in CLAIMS for m in pattern.finditer(text)]
    if len(made) > true_claims:
        problems.append(
            Problem(
                "claim",
                data.report_no,
                f"{len(made)} summarising claim(s) ({', '.join(sorted(set(made)))}) but only "
                f"{true_claims} run(s) of which every step passed",
            )
        )
    problems += [
        Problem("leak", data.report_no, f"{kind} {found!r} in customer-facing text")
        for kind, found in leaks(text)
    ]
    return problems


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def enforce(data: ReportData, text: str) -> None:
    """Raise ``InconsistentReport`` if ``check_report`` finds anything."""
    problems = check_report(data, text)
    if problems:
        raise InconsistentReport(data.report_no, problems)
