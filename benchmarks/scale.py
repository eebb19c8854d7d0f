"""A store of N realistic runs built through the real intake and run-writing paths, and each read
timed at that size (issue 18 item 6).

    python -m benchmarks.scale --runs 20000 [--database URL] [--complaints C] [--workers W]
                               [--via import|recorder]

Why a harness and not one more ``bench_*`` figure: the reads the issue sets targets for (the
complaint list, Pareto, the KPI query, one complaint, ``verify``) must be shown flat in the size of
the store, and a store of a million runs takes longer to build than ``make bench`` may run. So
this builds a store of the size asked, says how fast it built, and times every read on it; run it
at two sizes to see whether a read grows with the store.

What a run holds (``--steps``, ``--measurements``, ``--samples``): by default a diagnosis' 15
steps with 60 measurements in all (each with limits, a verdict and the instrument's identity),
one recharge trace of 360 samples (time, voltage, current and mode channels) and the
diagnosis' conclusions (root cause, cause category, disposition), sealed as at a bench.

How it is built: each worker process (``--workers``; on SQLite one: it has one writer) takes
every W-th complaint, registers it with its returned units through ``register_complaint`` and
``add_returned_unit`` (the intake path, with its audit events), then writes their runs
(``--via``): ``import`` (default) through ``results.run_import.import_run``, the path by which
benches' finished runs reach a shared store, a complaint's runs in one transaction with each
unit's stored result refreshed once at its end (as the service's batch sync does); ``recorder``
through the bench's live ``DatabaseRecorder``, a commit per step. Both write the same rows,
hashes, audit events and chain seals. Each unit has two runs; the first complaint gets 100 runs
for the "one 100-run complaint" read.

On PostgreSQL the workers' connections run with ``synchronous_commit=off`` (a bulk build: nobody
waits on a commit's durability, and a build cut short by a crash is redone on a fresh database;
the rows written are the same) and without the pool's pre-ping. The service and the command line
keep the server's setting, so the build rate is that of a bulk load, not of a live intake.

What each read's figure includes: a fresh session, building the statement, the SQL, and
turning the rows into the objects the caller gets (no HTTP, no rendering); the median of several
calls after a warm-up. ``verify --full`` is timed once (it reads everything), with the worker
processes ``packbench verify --full`` uses, in a child process, so its peak memory
(``ru_maxrss``) is the verify's own and not the builder's; then the routine ``verify`` (what
changed since the last checkpoint and a sample), after a checkpoint that leaves the newest 100
runs unchecked (``benchmarks.scale_verify``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.report import Result, median_ms
from instruments.units import Q_
from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
    Verdict,
)
from results.complaint_query import ComplaintFilter, find_complaints
from results.complaints import ComplaintForm, add_returned_unit, register_complaint
from results.db import make_engine, session_factory
from results.heap import settle_startup_heap
from results.kpi import kpi
from results.models import Run
from results.readback import load_complaint
from results.recorder import DatabaseRecorder
from results.reports.analytics import pareto
from results.run_import import import_run
from results.store import open_store
from results.unit_results import refreshed_once

T0 = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
FIRST_COMPLAINT_RUNS = 100
RUNS_PER_UNIT = 2
WARMUP = 2
REPEATS = 7
CUSTOMERS = [f"Customer {i:03d}" for i in range(200)]
MODELS = ["PB-1S2P-18650-5200", "PB-1S1P-18650-2600", "PB-2S1P-18650-2600", "PB-1S1P-LFP-3000"]
SYMPTOMS = [
    "no_power_on",
    "no_charge_discharge",
    "shuts_off_after_power_on",
    "no_voltage_or_high_ir",
]
ROOT_CAUSES = ["deep_discharge", "mosfet_latched", "cell_high_resistance", "no_fault_found"]
DISPOSITIONS = ["return_to_customer", "scrap", "rework"]
TARGETS_MS = {"list": 50.0, "filter": 50.0, "pareto": 200.0, "kpi": 200.0, "complaint": 60.0}


@dataclass(frozen=True)
class Shape:
    """The size of one run: what ``--steps``, ``--measurements`` and ``--samples`` ask for."""

    steps: int = 15
    measurements: int = 60
    samples: int = 360


def _form(i: int) -> ComplaintForm:
    return ComplaintForm(
        customer=CUSTOMERS[i % len(CUSTOMERS)],
        product_model=MODELS[i % len(MODELS)],
        shipped_qty=500,
        defect_qty=4,
        symptom=SYMPTOMS[i % len(SYMPTOMS)],
        severity="general",
        received_at=T0 + timedelta(hours=7 * i),
        received_by="scale",
        usage_temperature=Q_(25, "degC"),
    )


def units_per_complaint(runs: int, complaints: int) -> list[int]:
    """How many units each complaint gets: 50 for the first (100 runs), the rest spread evenly."""
    first = min(FIRST_COMPLAINT_RUNS, runs) // RUNS_PER_UNIT
    rest_units = max(0, runs // RUNS_PER_UNIT - first)
    others = max(1, complaints - 1)
    return [first] + [rest_units // others + (k < rest_units % others) for k in range(others)]


Unit = tuple[int, str, int, str]
"""A registered unit: (unit id, serial, complaint id, complaint number)."""

VIAS = ("import", "recorder")
"""How runs are written: ``import`` is ``results.run_import.import_run``, the path by which
benches' runs reach a shared store (``POST /api/runs``, sync), a complaint's runs in one
transaction; ``recorder`` is the bench's live ``DatabaseRecorder``, one commit per step. Both
write the same rows, hashes and audit events (``tests/results/test_run_import_equality.py``);
the recorder path pays a commit per step, which is what a bench pays, not what a shared store
pays to receive a finished run."""


def _register_one(session: Session, i: int, count: int) -> list[Unit]:
    """Complaint ``i`` and its ``count`` units, through intake (with their audit events)."""
    form = _form(i)
    complaint = register_complaint(session, form, actor="scale", now=form.received_at)
    units: list[Unit] = []
    for u in range(count):
        unit = add_returned_unit(
            session,
            complaint.id,
            serial=f"SN-{i:06d}-{u:03d}",
            received_at=complaint.received_at,
            actor="scale",
        )
        units.append((unit.id, unit.serial, complaint.id, complaint.number))
    return units


def _recharge(samples: int) -> tuple[npt.NDArray[np.float64], dict[str, tuple[Any, str]]]:
    """The recharge trace's time and channel arrays, the same in every run (``_steps``): built
    once per worker and shape, not per run (they are never written to)."""
    cached = _RECHARGE.get(samples)
    if cached is None:
        t = np.arange(samples, dtype=np.float64) * 10.0
        channels: dict[str, tuple[Any, str]] = {
            "voltage": (3.0 + 1.2 * (1 - np.exp(-t / 3000)), "V"),
            "current": (np.full(samples, 2.6), "A"),
            "mode": (np.zeros(samples), ""),
        }
        cached = _RECHARGE[samples] = (t, channels)
    return cached


_RECHARGE: dict[int, tuple[npt.NDArray[np.float64], dict[str, tuple[Any, str]]]] = {}
_LIMITS = LimitsRecord(low=2.4, high=4.35, nominal=3.7)


def _steps(shape: Shape, started: datetime, seed: int) -> Iterator[StepRecord]:
    """A run's steps: its own measured values (one draw for the whole run, seeded by the run's
    number) and times; the trace's arrays and the limits are shared between runs."""
    per_step = max(1, shape.measurements // shape.steps)
    values = (3.7 + np.random.default_rng(seed).normal(0, 0.05, per_step * shape.steps)).tolist()
    names = _names(shape.steps, per_step)
    for index in range(shape.steps):
        at = started + timedelta(seconds=30 * index)
        first = index * per_step
        measurements = [
            MeasurementRecord(
                name=name,
                value=values[first + k],
                unit="V",
                limits=_LIMITS,
                verdict=Verdict.PASS,
                comparison="2.4 <= v <= 4.35 V",
                timestamp=at,
                instrument="Keysight Technologies,34461A,MY1,A.03",
            )
            for k, name in enumerate(names[index])
        ]
        traces = []
        if index == 1 and shape.samples:
            t, channels = _recharge(shape.samples)
            traces.append(TraceRecord("recharge", t, channels, at))
        yield StepRecord(
            name=f"step{index}",
            index=index,
            started=at,
            ended=at + timedelta(seconds=29),
            verdict=Verdict.PASS,
            measurements=measurements,
            traces=traces,
        )


@cache
def _names(steps: int, per_step: int) -> list[list[str]]:
    """The measurements' names by step: the same in every run, formatted once per worker."""
    return [[f"m{index}_{k}" for k in range(per_step)] for index in range(steps)]


def _conclusions(n: int) -> tuple[Conclusion, ...]:
    root = ROOT_CAUSES[n % len(ROOT_CAUSES)]
    return (
        Conclusion("root_cause", root, f"{root} (scale harness)", ("step0/m0_0",)),
        Conclusion("cause_category", "cell" if n % 3 else "board", "scale harness"),
        Conclusion("disposition", DISPOSITIONS[n % len(DISPOSITIONS)], "scale harness"),
    )


@dataclass(frozen=True)
class Job:
    """One worker's share: the complaints ``indices`` (complaint ``i`` has ``counts[i]`` units,
    its first run is number ``first_runs[i]``), their runs written ``via`` one of ``VIAS``."""

    url: str
    indices: list[int]
    counts: list[int]
    first_runs: list[int]
    shape: Shape
    via: str


@dataclass(frozen=True)
class Done:
    """What a worker did and how long each part took (its own wall time)."""

    complaints: int
    units: int
    runs: int
    intake_s: float
    runs_s: float


def _work(job: Job) -> Done:
    """Worker: register each of its complaints with its units (one transaction), then write their
    runs (``_import_runs`` or ``_record_runs``)."""
    try:
        return _work_on(job)
    except Exception as exc:  # the project's errors take three arguments and do not unpickle
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def builder_engine(url: str) -> Engine:
    """A worker's engine: on PostgreSQL its connections commit with ``synchronous_commit=off``
    and are not pinged at checkout.

    Why: a bulk build has no client waiting to be told its data is durable, and a build that a
    crash cut short is started again on a fresh database, so waiting for each commit's WAL flush
    bought nothing but idle cores (what the server writes is the same rows, flushed a moment
    later). The service and the command line keep the server's setting. The pool's pre-ping is
    a round trip per transaction to detect connections a long idle let the server drop; a worker's
    connection is never idle."""
    if url.startswith("sqlite"):
        return make_engine(url)
    return make_engine(
        url, pool_pre_ping=False, connect_args={"options": "-c synchronous_commit=off"}
    )


def _work_on(job: Job) -> Done:
    sessions = session_factory(builder_engine(job.url))
    write = _import_runs if job.via == "import" else _record_runs
    intake_s = runs_s = 0.0
    units = runs = 0
    for i in job.indices:
        start = time.perf_counter()
        with sessions.begin() as session:
            registered = _register_one(session, i, job.counts[i])
        middle = time.perf_counter()
        runs += write(
            sessions, registered, job.shape, first_run=RUNS_PER_UNIT * sum(job.counts[:i])
        )
        intake_s += middle - start
        runs_s += time.perf_counter() - middle
        units += len(registered)
    sessions.kw["bind"].dispose()
    return Done(len(job.indices), units, runs, intake_s, runs_s)


def _runs_of(
    units: list[Unit], shape: Shape, first_run: int
) -> Iterator[tuple[Unit, RunInfo, list[StepRecord], RunOutcome]]:
    """Each unit's runs, numbered from ``first_run`` (which sets their times and values)."""
    for k, unit in enumerate(units):
        for r in range(RUNS_PER_UNIT):
            n = first_run + k * RUNS_PER_UNIT + r
            started = T0 + timedelta(minutes=n)
            info = RunInfo("diagnose", "1.0", "bench-1", "scale", "PB", unit[1], unit[3], started)
            ended = started + timedelta(seconds=30 * shape.steps)
            outcome = RunOutcome(Verdict.PASS, ended, conclusions=_conclusions(n))
            yield unit, info, list(_steps(shape, started, n)), outcome


def _import_runs(
    sessions: sessionmaker[Session], units: list[Unit], shape: Shape, *, first_run: int
) -> int:
    """A complaint's runs through ``import_run``, in one transaction, each unit's stored result
    refreshed once at its end (``refreshed_once``, as the service's batch sync does: a unit's
    result depends only on its runs as they stand at the commit, so the rows are the same)."""
    done = 0
    with sessions.begin() as session, refreshed_once(session):
        for unit, info, steps, outcome in _runs_of(units, shape, first_run):
            import_run(session, info, steps, outcome, unit_id=unit[0])
            done += 1
    return done


def _record_runs(
    sessions: sessionmaker[Session], units: list[Unit], shape: Shape, *, first_run: int
) -> int:
    """A complaint's runs through the bench's live recorder, a commit per step."""
    done = 0
    for unit, info, steps, outcome in _runs_of(units, shape, first_run):
        recorder = DatabaseRecorder(sessions, unit_id=unit[0], complaint_id=unit[2])
        recorder.run_started(info)
        for step in steps:
            recorder.step_finished(step)
        recorder.run_finished(outcome)
        done += 1
    return done


def build(
    url: str, runs: int, complaints: int, workers: int, shape: Shape, via: str = "import"
) -> list[Result]:
    """Fill ``url`` (migrated here) with ``runs`` runs; the build's own figures.

    Each worker registers its share of the complaints and writes their runs, so intake is
    spread over the workers too (a million runs are half a million units to register)."""
    open_store(url).kw["bind"].dispose()  # migrate once, before the workers connect
    counts = units_per_complaint(runs, complaints)
    first_runs = [RUNS_PER_UNIT * before for before in accumulate(counts, initial=0)]
    jobs = [
        Job(url, list(range(w, len(counts), workers)), counts, first_runs, shape, via)
        for w in range(workers)
    ]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        done = pool.map(_work, jobs)
    wall = time.perf_counter() - start
    analysed_s = _analyse(url)
    recorded = sum(d.runs for d in done)
    intake = sum(d.intake_s for d in done)
    writing = sum(d.runs_s for d in done)
    per_run_s = wall / recorded if recorded else float("nan")
    how = (
        "import_run, a complaint's runs per transaction"
        if via == "import"
        else "DatabaseRecorder, a commit per step"
    )
    what = f"{shape.steps} steps, {shape.measurements} measurements, {shape.samples}-sample trace"
    analysed = (
        []
        if analysed_s is None
        else [Result("ANALYZE after the build (not in the build's time)", analysed_s, "s")]
    )
    return [
        *analysed,
        Result(
            f"intake: {sum(d.complaints for d in done)} complaints, {sum(d.units for d in done)} "
            f"units registered through intake, {workers} workers: share of the workers' time",
            100 * intake / (intake + writing) if intake + writing else float("nan"),
            "%",
        ),
        Result(
            f"build: {recorded} runs ({what}) through {how}, intake included, {workers} workers, "
            f"wall time {wall:.1f} s",
            recorded / wall if wall else float("nan"),
            "runs/s",
        ),
        Result(
            f"build: 1,000,000 runs in {round(1_000_000 * complaints / max(runs, 1)):,} "
            "complaints at that rate, intake included (an extrapolation, target under an hour)",
            1_000_000 * per_run_s / 3600,
            "h",
            1.0,
        ),
    ]


def _analyse(url: str) -> float | None:
    """PostgreSQL: ``ANALYZE`` the store just built, as autovacuum would soon after on a live
    store; seconds taken (``None`` on SQLite, which keeps no statistics unless asked).

    Why: the reads and ``verify`` are timed right after the build, and a server running without
    autovacuum (this machine's) would otherwise plan them with no statistics at all, which no
    maintained store does (``verify``'s statements before branch h-verify18 were planned as
    sequential scans per batch that way: twice the server's time at 10,000 runs)."""
    if url.startswith("sqlite"):
        return None
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        return time.perf_counter() - start
    finally:
        engine.dispose()


def _median_ms(call: Callable[[], object]) -> float:
    return median_ms(call, warmup=WARMUP, repeats=REPEATS)


def _reads(
    sessions: sessionmaker[Session], first_complaint: int
) -> dict[str, Callable[[], object]]:
    now = datetime.now(UTC)
    year = T0.year

    def within(call: Callable[[Session], object]) -> Callable[[], object]:
        def timed() -> object:
            with sessions() as session:
                return call(session)

        return timed

    return {
        "list: complaint list, no filter, page of 50": within(
            lambda s: find_complaints(s, ComplaintFilter(), limit=50, now=now)
        ),
        "filter: complaint list by customer + model, page of 50": within(
            lambda s: find_complaints(
                s,
                ComplaintFilter(customer=CUSTOMERS[7], product_model=MODELS[3]),
                limit=50,
                now=now,
            )
        ),
        "pareto: root causes of every complaint": within(lambda s: pareto(s, "root_cause")),
        "kpi: quality-target KPIs over a year": within(
            lambda s: kpi(s, date(year, 1, 1), date(year, 12, 31), now=now)
        ),
        f"complaint: load the {FIRST_COMPLAINT_RUNS}-run complaint": within(
            lambda s: load_complaint(s, first_complaint)
        ),
    }


def measure(url: str, *, freeze: bool = True) -> list[Result]:
    """Time each read on the store at ``url``, and ``packbench verify`` in a child process.

    ``freeze``: first ``results.heap.settle_startup_heap``, as the service's workers and the
    command line do after their imports, so a read's figure is what it costs there: without it
    a generation-2 collection set off by a big read walks the whole imported heap (40-50 ms of
    the 100-run complaint's load).
    """
    if freeze:
        settle_startup_heap()
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        size = session.scalar(select(func.count()).select_from(Run)) or 0
        first = session.scalar(select(func.min(Run.complaint_id))) or 1
    results = []
    for label, call in _reads(sessions, first).items():
        key = label.split(":")[0]
        results.append(
            Result(
                f"{label} (store of {size} runs), median of {REPEATS}",
                _median_ms(call),
                "ms",
                TARGETS_MS.get(key),
            )
        )
    engine.dispose()
    results.extend(_verify(url, size))
    return results


ROUTINE_NEW_RUNS = 100
"""Runs left after the checkpoint of the routine verify: about a day of a busy lab's diagnoses."""


def _verify(url: str, size: int) -> list[Result]:
    """``verify --full`` with ``packbench verify --full``'s workers, then the routine verify after
    a checkpoint (``benchmarks.scale_verify``), in a child process so its peak memory is its own."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_verify", url, str(ROUTINE_NEW_RUNS)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return [Result.not_measured("verify", done.stderr.strip().splitlines()[-1][:200])]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    elapsed, measurements = float(probe["full_s"]), int(probe["measurements"])
    rate = measurements / elapsed
    million = 1_000_000 * measurements / max(size, 1) / rate / 60
    how = f"{probe['jobs']} worker processes checking the runs, as packbench verify --full"
    results = [
        Result(
            f"verify --full: whole store ({size} runs, {measurements} measurements, {how}; "
            f"problems: {'; '.join(probe['problems']) or 'none'})",
            elapsed,
            "s",
        ),
        Result("verify --full: rate", rate, "measurements/s"),
        Result(
            "verify --full: peak memory of the verifying process",
            float(probe["full_peak_mb"]),
            "MB",
            300.0,
        ),
        Result(
            "verify --full: 1,000,000 runs at that rate (an extrapolation through the origin, "
            "target 10 min)",
            million,
            "min",
            10.0,
        ),
    ]
    if "routine_s" not in probe:
        return [*results, Result.not_measured("routine verify", "verify --full found problems")]
    problems = "; ".join(probe["routine_problems"]) or "none"
    return [
        *results,
        Result(
            f"routine verify (store of {size} runs): the {ROUTINE_NEW_RUNS} runs and "
            f"{probe['routine_events']} audit events after the last checkpoint, and a random "
            f"sample of older ones; {probe['routine_runs']} runs checked; problems: {problems}",
            float(probe["routine_s"]),
            "s",
            5.0,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--runs", type=int, required=True, help="how many runs to record")
    parser.add_argument("--database", help="store URL (default: a new SQLite file, deleted)")
    parser.add_argument("--complaints", type=int, help="default: one per 10 runs")
    parser.add_argument("--workers", type=int, help="recording processes (SQLite: 1, else 2)")
    parser.add_argument("--steps", type=int, default=Shape.steps)
    parser.add_argument("--measurements", type=int, default=Shape.measurements)
    parser.add_argument("--samples", type=int, default=Shape.samples)
    parser.add_argument(
        "--via", choices=VIAS, default="import", help="how runs are written (default: import)"
    )
    parser.add_argument("--reads-only", action="store_true", help="time the reads of a built store")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="time the reads without settle_startup_heap (the service and the CLI settle)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: give a positive number of runs")
    shape = Shape(args.steps, args.measurements, args.samples)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'scale.sqlite3'}"
        sqlite = url.startswith("sqlite")
        workers = args.workers or (1 if sqlite else 2)
        complaints = args.complaints or max(2, args.runs // 10)
        results = (
            [] if args.reads_only else build(url, args.runs, complaints, workers, shape, args.via)
        )
        for result in results:
            print(result.line(), flush=True)
        measured = measure(url, freeze=not args.no_freeze)
        for result in measured:
            print(result.line(), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"info   harness process peak memory: {peak:.0f} MB")
    return 1 if any(r.met is False for r in results + measured) else 0


if __name__ == "__main__":
    sys.exit(main())
