"""Audit chain and ``verify`` benchmarks (issue #18): the fixed cost of a run, and ``verify``.

Fixed cost: what a bench pays per run whatever the run holds, on SQLite in a temporary
directory, through ``DatabaseRecorder`` (``results.run_writer``: on the run's driver connection):
``run_started`` (BEGIN IMMEDIATE, unit check, run row, its audit event linked onto the chain
head, COMMIT) and ``run_finished`` (BEGIN IMMEDIATE, the run row read and updated, the unit's
stored result rewritten, the run-finished and step-seal audit events, COMMIT), including the
pool checkout of the run's connection and its return. The figure is wall time
(``time.perf_counter``) of those two calls; their CPU time (``time.process_time``) is printed
beside it, since on a shared machine wall time includes waiting for a core. The line names the
statements SQLite ran (traced on one extra run) and the store's ``journal_mode`` and
``synchronous`` as read from it: WAL with ``synchronous=NORMAL`` (``results.db``), so a commit
writes the WAL without an fsync (a killed process loses nothing committed; a power cut may lose
the last commits, never the database). The one step in between is timed apart (its own figure
and target are in ``bench_results``). Each run is on a unit of its own (created outside the
timing, through another pooled connection, as in a lab where other writers share the store).
Median of many runs after a warm-up.

``verify --full`` on a store of 2,000 realistic runs (15 steps, 60 measurements, a 10,000-sample
trace each) on SQLite and on PostgreSQL: its rate, the CPU time per run, the verifying process's
peak memory (in a child process of its own); once in one process and once with the worker
processes ``packbench verify --full`` uses (one per core: ``results.verify_parallel``), which
carries the targets. The store is then grown to 5,000 runs and verified again with the workers:
the extrapolation to 1,000,000 runs that carries the target is taken from the growth between the
two sizes (the cost of one more run, with the fixed cost of starting counted once), and says it
is one; the one through the origin from 2,000 runs is printed beside it for comparison.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_results import T0, _info, _step, _unit
from benchmarks.postgres import private_schema, server_url
from benchmarks.report import Result
from benchmarks.service_documents import (
    REALISTIC_MEASUREMENTS_PER_STEP,
    REALISTIC_STEPS,
    REALISTIC_TRACE_SAMPLES,
)
from procedures.records import (
    LimitsRecord,
    MeasurementRecord,
    RunOutcome,
    StepRecord,
    TraceRecord,
    Verdict,
)
from results.complaints import add_returned_unit
from results.recorder import DatabaseRecorder
from results.run_import import import_run
from results.store import open_store
from results.verify_parallel import default_jobs

FIXED_WARMUP = 30
FIXED_RUNS = 300
VERIFY_RUNS = 2000
VERIFY_RUNS_LARGER = 5000


def _one_run(
    sessions: sessionmaker[Session], complaint_id: int, serial: str
) -> tuple[DatabaseRecorder, StepRecord, RunOutcome]:
    """A recorder for a new unit of ``serial`` (created here, outside any timing)."""
    with sessions.begin() as session:
        unit = add_returned_unit(
            session, complaint_id, serial=serial, received_at=T0, actor="bench"
        )
        unit_id = unit.id
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    return recorder, _step(0, []), RunOutcome(Verdict.PASS, T0 + timedelta(minutes=5))


_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(?!json_each)([a-z_]+)\b(?!\()")


def _traced_statements(sessions: sessionmaker[Session], complaint_id: int) -> list[str]:
    """The statements SQLite runs for one run's start and finish (not its step), each cut to
    its verb and tables, from SQLite's own trace of every pooled connection (an executemany
    shows once per row)."""
    engine = sessions.kw["bind"]
    seen: list[str] = []
    tracing = [False]

    def trace(sql: str) -> None:
        if not tracing[0]:
            return
        verb = sql.split(None, 1)[0]
        tables = dict.fromkeys(_TABLE.findall(sql.replace('"', "")))
        seen.append(f"{verb} {'+'.join(tables)}" if tables else sql.strip())

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_trace_callback(trace)

    event.listen(engine, "checkout", on_checkout)
    try:
        recorder, step, outcome = _one_run(sessions, complaint_id, "SN-F-traced")
        tracing[0] = True
        recorder.run_started(_info("SN-F-traced", None))
        tracing[0] = False
        recorder.step_finished(step)
        tracing[0] = True
        recorder.run_finished(outcome)
        tracing[0] = False
    finally:
        event.remove(engine, "checkout", on_checkout)
    return seen


def _sqlite_settings(sessions: sessionmaker[Session]) -> str:
    """The store's journal mode and synchronous level, as a pooled connection has them."""
    with sessions() as session:
        mode: str = session.execute(text("PRAGMA journal_mode")).scalar_one()
        sync: int = session.execute(text("PRAGMA synchronous")).scalar_one()
    name = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(int(sync), str(sync))
    return f"journal_mode={mode}, synchronous={name}"


def bench_fixed_cost(root: Path) -> list[Result]:
    sessions = open_store(root / "fixed.sqlite3")
    complaint_id, _unit_id, _number = _unit(sessions, "SN-F")
    start_seal: list[float] = []
    step_only: list[float] = []
    cpu_start_seal: list[float] = []
    for i in range(FIXED_WARMUP + FIXED_RUNS):
        serial = f"SN-F{i}"
        recorder, step, outcome = _one_run(sessions, complaint_id, serial)
        info = _info(serial, None)
        c0, t0 = time.process_time(), time.perf_counter()
        recorder.run_started(info)
        c1, t1 = time.process_time(), time.perf_counter()
        recorder.step_finished(step)
        c2, t2 = time.process_time(), time.perf_counter()
        recorder.run_finished(outcome)
        c3, t3 = time.process_time(), time.perf_counter()
        if i >= FIXED_WARMUP:
            start_seal.append((t1 - t0) + (t3 - t2))
            step_only.append(t2 - t1)
            cpu_start_seal.append((c1 - c0) + (c3 - c2))
    statements = _traced_statements(sessions, complaint_id)
    settings = _sqlite_settings(sessions)
    sessions.kw["bind"].dispose()
    what = (
        f"fixed cost of a run on SQLite ({settings}): run_started + run_finished, wall time (run "
        "row, unit result, 3 audit events incl. the step-chain seal, 2 commits)"
    )
    traced = f"{len(statements)} statement executions: {', '.join(statements)}"
    return [
        Result(
            f"{what}, median of {FIXED_RUNS} ({traced})",
            statistics.median(start_seal) * 1e3,
            "ms",
            0.5,
            open_in="#18",
        ),
        Result(f"{what}, best of {FIXED_RUNS}", min(start_seal) * 1e3, "ms"),
        Result(
            f"the same, CPU time of this process (the machine is shared: wall time includes "
            f"waiting for a core), median of {FIXED_RUNS}",
            statistics.median(cpu_start_seal) * 1e3,
            "ms",
        ),
        Result(
            f"the one empty step between them (insert + heartbeat + commit), median of "
            f"{FIXED_RUNS}",
            statistics.median(step_only) * 1e3,
            "ms",
        ),
    ]


def _realistic_steps(seed: int) -> list[StepRecord]:
    """15 steps of 4 measurements, one 10,000-sample recharge trace (as the service benchmark's
    documents: ``benchmarks.service_documents.realistic_run_document``)."""
    limits = LimitsRecord(low=3.0, high=4.2)
    steps = []
    for s in range(REALISTIC_STEPS):
        measurements = [
            MeasurementRecord(
                name=f"m{s}_{i}",
                value=3.6 + 0.001 * ((seed + s * 7 + i) % 500),
                unit="V",
                limits=limits,
                verdict=Verdict.PASS,
                comparison="3 <= v <= 4.2 V",
                timestamp=T0 + timedelta(seconds=s * 60 + i),
                instrument="Keysight Technologies,34461A,MY1,A.03",
            )
            for i in range(REALISTIC_MEASUREMENTS_PER_STEP)
        ]
        traces = []
        if s == REALISTIC_STEPS // 2:
            t = np.arange(REALISTIC_TRACE_SAMPLES, dtype=np.float64) * 0.5
            traces.append(
                TraceRecord(
                    "recharge",
                    t,
                    {"voltage": (3.0 + t * 1e-4, "V"), "current": (2.6 - t * 1e-4, "A")},
                    T0,
                )
            )
        steps.append(_step(s, measurements, traces=traces))
    return steps


def build_store(sessions: sessionmaker[Session], runs: int, *, start: int = 0) -> None:
    """Realistic runs ``start`` .. ``runs - 1``, ten units per complaint, written by
    ``results.run_import`` (the rows, hashes and audit events of the live recorder, a
    complaint's runs per transaction)."""
    template = _realistic_steps(0)
    outcome = RunOutcome(Verdict.PASS, T0 + timedelta(hours=1))
    for first in range(start, runs, 10):
        complaint_id, _unit_id, _number = _unit(sessions, f"SN-V{first}")
        with sessions.begin() as session:
            for r in range(first, min(first + 10, runs)):
                serial = f"SN-V{r}-u"
                unit_id = add_returned_unit(
                    session, complaint_id, serial=serial, received_at=T0, actor="bench"
                ).id
                import_run(session, _info(serial, None), template, outcome, unit_id=unit_id)


def probe_verify(url: str, evidence: Path, jobs: int) -> dict[str, Any]:
    """``benchmarks.verify_probe`` in a child process: its peak memory is the verify's own."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.verify_probe", url, str(evidence), str(jobs)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def verify_results(where: str, runs: int, probe: dict[str, Any]) -> list[Result]:
    """The figures of one probe. Only the probe with ``packbench verify --full``'s own number
    of workers (``default_jobs``) carries the targets; the one-process probe is for comparison."""
    seconds = float(probe["seconds"])
    rows = sum(probe[k] for k in ("audit_events", "records", "steps", "measurements", "traces"))
    per_run_s = seconds / runs
    peak_mb = probe["peak_kb"] / 1024
    added_mb = (probe["peak_kb"] - probe["baseline_kb"]) / 1024
    if not probe["ok"]:
        raise RuntimeError(f"verify of the benchmark store found problems: {probe['problems']}")
    jobs = int(probe["jobs"])
    carries = jobs == default_jobs()
    how = (
        f"runs checked by {jobs} worker processes while the verifying process checks the chain "
        "and the records"
        if jobs > 1
        else "one process"
    )
    what = f"verify --full on {where}, {runs} realistic runs ({rows} rows), {how}"
    workers = (
        f"; each worker peaked at {probe['worker_peak_kb'] / 1024:.0f} MB at most"
        if jobs > 1
        else ""
    )
    return [
        Result(f"{what}: rate", rows / seconds, "rows/s"),
        Result(f"{what}: runs checked per second", runs / seconds, "runs/s"),
        Result(
            f"{what}: CPU time per run, all verifying processes (not the database server's; "
            "the machine is shared: wall time includes waiting for a core)",
            probe["cpu_seconds"] / runs * 1e3,
            "ms",
        ),
        Result(
            f"{what}: peak memory of the verifying process (imports {probe['baseline_kb'] // 1024} "
            f"MB, verify added {added_mb:.0f} MB{workers}; it reads in batches of a fixed size, "
            "measured at this store size only)",
            peak_mb,
            "MB",
            300.0 if carries else None,
        ),
        Result(
            f"verify --full on {where} at 1,000,000 runs, {how}, EXTRAPOLATED through the origin "
            f"from {runs} runs (not measured at that size; the fixed cost of starting, such as "
            "spawning the workers, is scaled with the runs)",
            per_run_s * 1_000_000 / 60,
            "min",
        ),
    ]


def extrapolated(
    where: str, small: tuple[int, dict[str, Any]], large: tuple[int, dict[str, Any]]
) -> list[Result]:
    """``verify --full`` at 1,000,000 runs from the growth of its time between two store sizes,
    with ``packbench verify --full``'s own workers: the target's figure.

    Why the growth and not one size through the origin: a full verify has a fixed cost (the
    workers' start: a spawned worker imports the store's modules again, about 0.6 s of CPU
    each), which at 2,000 runs is a third of the time and at a million runs nothing; scaled with
    the runs it made the figure twice what a million runs cost. The slope between two sizes is
    the cost of one more run; the fixed cost is counted once.
    """
    (n1, p1), (n2, p2) = small, large
    jobs = int(p2["jobs"])
    per_run_s = (float(p2["seconds"]) - float(p1["seconds"])) / (n2 - n1)
    fixed_s = float(p2["seconds"]) - per_run_s * n2
    how = f"{jobs} worker processes" if jobs > 1 else "one process"
    what = (
        f"verify --full on {where} at 1,000,000 runs, {how}, EXTRAPOLATED from its growth between "
        f"{n1} and {n2} runs ({float(p1['seconds']):.2f} s and {float(p2['seconds']):.2f} s: "
        f"{per_run_s * 1e3:.3f} ms per further run, {fixed_s:.2f} s that does not grow; not "
        "measured at that size)"
    )
    memory = Result(
        f"verify --full on {where}, {n2} realistic runs, {how}: peak memory of the verifying "
        f"process (worker peak {p2['worker_peak_kb'] / 1024:.0f} MB; at {n1} runs "
        f"{p1['peak_kb'] / 1024:.0f} MB: constant while the store grows)",
        p2["peak_kb"] / 1024,
        "MB",
        300.0,
    )
    if per_run_s <= 0:  # the memory was still measured; only the growth is unusable
        return [memory, Result.not_measured(what, "the larger store verified no slower")]
    return [
        memory,
        Result(what, (fixed_s + per_run_s * 1_000_000) / 60, "min", 10.0, open_in="#18"),
    ]


def _probes(where: str, url: str, evidence: Path, sessions: sessionmaker[Session]) -> list[Result]:
    """On a store of ``VERIFY_RUNS`` runs: one process, then ``packbench verify --full``'s own
    number of workers (if more); then, the store grown to ``VERIFY_RUNS_LARGER``, the workers
    again, for the extrapolation from the growth (``extrapolated``)."""
    results = []
    jobs = default_jobs()
    probes = {j: probe_verify(url, evidence, j) for j in sorted({1, jobs})}
    for probe in probes.values():
        results += verify_results(where, VERIFY_RUNS, probe)
    build_store(sessions, VERIFY_RUNS_LARGER, start=VERIFY_RUNS)
    sessions.kw["bind"].dispose()
    large = probe_verify(url, evidence, jobs)
    return results + extrapolated(where, (VERIFY_RUNS, probes[jobs]), (VERIFY_RUNS_LARGER, large))


def bench_verify_sqlite(root: Path) -> list[Result]:
    path = root / "verify.sqlite3"
    sessions = open_store(path)
    build_store(sessions, VERIFY_RUNS)
    sessions.kw["bind"].dispose()
    return _probes("SQLite", str(path), root / "evidence", sessions)


def bench_verify_postgres(root: Path) -> list[Result]:
    """The same on PostgreSQL (``benchmarks.postgres``: never the test suite's database)."""
    server, source = server_url()
    if server is None:
        return [Result.not_measured("verify --full on PostgreSQL", source)]
    with private_schema(server, "pbverify") as url:
        sessions = open_store(url)
        build_store(sessions, VERIFY_RUNS)
        sessions.kw["bind"].dispose()
        return _probes(f"PostgreSQL ({source})", url, root / "evidence", sessions)


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="packbench-bench-audit-") as tmp:
        root = Path(tmp)
        return [*bench_fixed_cost(root), *bench_verify_sqlite(root), *bench_verify_postgres(root)]


if __name__ == "__main__":
    for result in run():
        print(result.line())
