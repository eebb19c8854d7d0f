"""A ``Recorder`` that keeps runs in memory: for tests, benchmarks and dry runs.

It checks the order of calls the way a real store would (no step before ``run_started``, nothing
after ``run_finished``), so a test against it also catches an engine that breaks the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from procedures.errors import ProcedureError
from procedures.records import RunInfo, RunOutcome, StepRecord


@dataclass
class RecordedRun:
    info: RunInfo
    steps: list[StepRecord] = field(default_factory=list)
    outcome: RunOutcome | None = None


class MemoryRecorder:
    """Keeps every run it is given; ``on_step`` is called after each step is stored."""

    def __init__(self, on_step: Callable[[StepRecord], None] | None = None) -> None:
        self.runs: list[RecordedRun] = []
        self.on_step = on_step

    def _open_run(self, call: str) -> RecordedRun:
        if not self.runs or self.runs[-1].outcome is not None:
            raise ProcedureError(f"recorder: {call} without run_started; the engine broke order")
        return self.runs[-1]

    def run_started(self, info: RunInfo) -> None:
        if self.runs and self.runs[-1].outcome is None:
            raise ProcedureError("recorder: run_started while the previous run is still open")
        self.runs.append(RecordedRun(info))

    def step_finished(self, step: StepRecord) -> None:
        self._open_run("step_finished").steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    def run_finished(self, outcome: RunOutcome) -> None:
        self._open_run("run_finished").outcome = outcome

    @property
    def last(self) -> RecordedRun:
        if not self.runs:
            raise ProcedureError("recorder: no run recorded yet")
        return self.runs[-1]

    @property
    def steps(self) -> list[StepRecord]:
        """Steps of the last run (live: grows while the run is going)."""
        return self.last.steps

    @property
    def outcome(self) -> RunOutcome | None:
        return self.last.outcome
