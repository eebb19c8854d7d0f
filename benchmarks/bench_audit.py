"""Audit chain and ``verify`` benchmarks (issue #18): the fixed cost of a run, and ``verify``.

Fixed cost: what a bench pays per run whatever the run holds, on SQLite in a temporary
directory, through ``DatabaseRecorder``: ``run_started`` (unit check, run row, its audit event,
commit) and ``run_finished`` (run row update, the unit's stored result, the run-finished and
step-seal audit events, commit). The one step in between is timed apart (its own figure and
target are in ``bench_results``). Each run is on a unit of its own (created outside the timing),
as in a lab where a unit sees a few runs. Median of many runs after a warm-up.

``verify --full`` on a store of a few thousand recorded runs (see ``bench_verify``).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.bench_results import T0, _info, _step, _unit
from benchmarks.report import Result
from procedures.records import RunOutcome, Verdict
from results.complaints import add_returned_unit
from results.recorder import DatabaseRecorder
from results.store import open_store

FIXED_WARMUP = 30
FIXED_RUNS = 300


def bench_fixed_cost(root: Path) -> list[Result]:
    sessions = open_store(root / "fixed.sqlite3")
    complaint_id, _unit_id, _number = _unit(sessions, "SN-F")
    start_seal: list[float] = []
    step_only: list[float] = []
    for i in range(FIXED_WARMUP + FIXED_RUNS):
        serial = f"SN-F{i}"
        with sessions.begin() as session:
            unit = add_returned_unit(
                session, complaint_id, serial=serial, received_at=T0, actor="bench"
            )
            unit_id = unit.id
        recorder = DatabaseRecorder(sessions, unit_id=unit_id)
        step = _step(0, [])
        outcome = RunOutcome(Verdict.PASS, T0 + timedelta(minutes=5))
        t0 = time.perf_counter()
        recorder.run_started(_info(serial, None))
        t1 = time.perf_counter()
        recorder.step_finished(step)
        t2 = time.perf_counter()
        recorder.run_finished(outcome)
        t3 = time.perf_counter()
        if i >= FIXED_WARMUP:
            start_seal.append((t1 - t0) + (t3 - t2))
            step_only.append(t2 - t1)
    sessions.kw["bind"].dispose()
    what = (
        "fixed cost of a run on SQLite: run_started + run_finished (run row, unit result, "
        "3 audit events incl. the step-chain seal, 2 commits)"
    )
    return [
        Result(f"{what}, median of {FIXED_RUNS}", statistics.median(start_seal) * 1e3, "ms", 0.5),
        Result(f"{what}, best of {FIXED_RUNS}", min(start_seal) * 1e3, "ms"),
        Result(
            f"the one empty step between them (insert + heartbeat + commit), median of "
            f"{FIXED_RUNS}",
            statistics.median(step_only) * 1e3,
            "ms",
        ),
    ]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="packbench-bench-audit-") as tmp:
        return bench_fixed_cost(Path(tmp))


if __name__ == "__main__":
    for result in run():
        print(result.line())
