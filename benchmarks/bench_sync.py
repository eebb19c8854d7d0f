"""A bench hands a big run to the QA service: issue 16's "syncs in under 2 s on loopback".

The service runs as deployed (``uvicorn`` child process, one worker) on PostgreSQL in a schema of
its own (``benchmarks.postgres``: ``PACKBENCH_BENCH_DATABASE_URL`` or the benchmarks' own
database, never the test suite's). The bench is this process: its SQLite store holds a run
recorded by the live recorder (so it carries its step seal) with one recharge trace of 100,000
samples (time, voltage, current, mode) and 20 photos of 400 KiB each. The figure is the median,
over three such benches one after another (each its own run and photos), of the wall time of
``bench.sync.sync_now``: reading the run back from the bench's store, hashing it, asking which
blobs the service lacks, posting the run document with the 4 trace arrays and 20 photos (each
under ``INLINE_BLOB_BYTES``, so they travel inside the batch request instead of in uploads of
their own), and the service checking each blob's hash and the step seal and writing the run,
its rows, its trace blobs and its evidence files to PostgreSQL and disk, answered 201.

The backlog figure (issue 16: "a backlog of 10,000 runs synced from benches drains in under 2
minutes", so at least 84 runs/s) drains ``BACKLOG`` small runs (one step, three measurements, no
blob) queued while the link was down, recorded live into one bench's SQLite store before the
clock starts, into a fresh service (one uvicorn worker, PostgreSQL). It times ``sync_now`` from
call to return: reading each run back from the bench's store and encoding it (a thread of its
own, a batch ahead), ``BATCH_RUNS`` runs per ``POST /api/sync/runs/batch`` on one kept-alive
connection, the service checking each run's step seal and recording it with its complaint and
unit, a batch's new runs in one transaction (``service.sync_document.store_synced_batch``),
and the bench's state file written once per batch. Every run
must end "sent" and stored once.

Issue #18 asks the same of realistic runs: 10,000 of them (``realistic_run_document``, the
runs ``bench_service`` posts: 15 steps, 60 measurements, a 10,000-sample trace), recorded by
the live recorder into ``BACKLOG_BENCHES`` benches' SQLite stores before the clock starts, all
benches syncing at once (a thread each, as when a link comes back for a whole lab) into a
service of ``SERVICE_WORKERS`` uvicorn workers. The trace arrays travel as blobs, carried inside
the batch requests (``bench.sync._deliver_batch``); the voltage and current are each run's own,
while the time axis is the same bytes in every run, so every bench's batches carry one blob at
once; and the benches pair up on the same units, registered at both, which the service must
make once each (``UNITS_SHARED_BY``). The figure is the runs sent
over the time from the first ``sync_now`` call to the last one's return. The benches run in
this process, on the same two cores as the service: their reading, hashing and encoding is CPU
the service does not have.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import numpy as np
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.config import load_station
from bench.sync import BATCH_RUNS, Target, status, sync_now
from benchmarks.postgres import private_schema, server_url
from benchmarks.report import Result
from benchmarks.service_accounts import make_users
from benchmarks.service_documents import (
    REALISTIC_MEASUREMENTS_PER_STEP,
    REALISTIC_STEPS,
    REALISTIC_TRACE_SAMPLES,
    realistic_run_document,
)
from benchmarks.service_workers import uvicorn_workers
from procedures.records import (
    LimitsRecord,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
    Verdict,
)
from results.attachments import EvidenceStore
from results.complaints import add_returned_unit
from results.models import AuditEvent, ReturnedUnit, Run
from results.recorder import DatabaseRecorder
from results.run_sync import SYNC_ENTITY
from results.store import open_store as open_results_store
from results.verify import verify_audit_chain
from service.run_document import RunDocument, to_records
from service.settings import Settings
from service.store import open_store

TARGET_S = 2.0
SAMPLES = 100_000
PHOTOS = 20
PHOTO_BYTES = 400 * 1024
BACKLOG = 1000
BACKLOG_TARGET = 10_000 / 120  # runs/s: issue 16's 10,000 runs in 2 minutes
REPEATS = 3
REALISTIC_BACKLOG = 10_000
"""Issue #18's "a backlog of 10,000 runs synced from benches drains in under 2 minutes"."""
BACKLOG_BENCHES = 4
SERVICE_WORKERS = 4
"""As ``bench_service``: the service issue #18 sizes."""
UNITS_SHARED_BY = 2
"""Benches whose runs are of the same units (``_realistic_bench``)."""
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

STATION = """
[station]
id = "{station}"
operator = "op"
simulated = true
database = "{root}/bench.sqlite3"
evidence_dir = "{root}/evidence"

[limits]
max_voltage = "10 V"
max_current = "5 A"

[instruments.dmm]
model = "34461A"
[instruments.source]
model = "E36312A"
[instruments.load]
model = "DL3021"
[instruments.rmeter]
model = "BT3562"
"""


def _measurements(n: int) -> list[MeasurementRecord]:
    return [
        MeasurementRecord(
            name=f"v{i}",
            value=3.7 + i * 1e-3,
            unit="V",
            limits=LimitsRecord(low=2.4, high=4.35),
            verdict=Verdict.PASS,
            comparison="2.4 <= v <= 4.35 V",
            timestamp=T0,
        )
        for i in range(n)
    ]


def _record(
    sessions: sessionmaker[Session], root: Path, unit_id: int, serial: str, *, big: bool, bench: int
) -> None:
    """One run recorded live into the bench's store (its seal written at the end)."""
    recorder = DatabaseRecorder(
        sessions, unit_id=unit_id, evidence=EvidenceStore(root / "evidence")
    )
    recorder.run_started(RunInfo("diagnose", "1.0", f"bench-{bench}", "op", "PB", serial, None, T0))
    traces: list[TraceRecord] = []
    photos: list[tuple[str, bytes]] = []
    if big:
        rng = np.random.default_rng(bench)  # other photos per bench: none already there
        t = np.arange(SAMPLES, dtype=np.float64) * 0.072
        traces = [
            TraceRecord(
                "recharge",
                t,
                {
                    "voltage": (3.0 + rng.random(SAMPLES), "V"),
                    "current": (rng.random(SAMPLES) * 2.6, "A"),
                    "mode": (np.round(rng.random(SAMPLES)), ""),
                },
                T0,
            )
        ]
        photos = [
            (f"photo-{i:02d}.jpg", b"\xff\xd8\xff\xe0" + rng.bytes(PHOTO_BYTES - 4))
            for i in range(PHOTOS)
        ]
    recorder.step_finished(
        StepRecord(
            name="recharge",
            index=0,
            started=T0,
            ended=T0 + timedelta(hours=2),
            verdict=Verdict.PASS,
            measurements=_measurements(3),
            traces=traces,
            attachments=photos,
        )
    )
    recorder.run_finished(RunOutcome(Verdict.PASS, T0 + timedelta(hours=2)))


def _bench(root: Path, serials: list[str], *, big: bool, bench: int = 0) -> sessionmaker[Session]:
    """The bench's store with one recorded run per serial."""
    sessions = open_results_store(root / "bench.sqlite3")
    with sessions.begin() as session:
        ids = [
            add_returned_unit(session, None, serial=s, received_at=T0, actor="op").id
            for s in serials
        ]
    for unit_id, serial in zip(ids, serials, strict=True):
        _record(sessions, root, unit_id, serial, big=big, bench=bench)
    return sessions


def _sync(server: str, *, big: bool, runs: int, benches: int = 1) -> tuple[list[float], int]:
    """(seconds of each bench's ``sync_now``, runs sent): ``benches`` fresh benches, one after
    another, against one fresh service (each bench's runs are new to it)."""
    with private_schema(server, "pbsync") as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        service = open_store(Settings(url, root / "service-evidence"))
        token = make_users(service)["bench-3"]
        service.close()
        stations = []
        for k in range(benches):
            home = root / f"bench-{k}"
            home.mkdir()
            (home / "station.toml").write_text(
                STATION.format(root=home, station="bench-sync"), encoding="utf-8"
            )
            sessions = _bench(home, [f"SN-{i:05d}" for i in range(runs)], big=big, bench=k)
            stations.append((load_station(home / "station.toml"), sessions))
        times: list[float] = []
        sent = 0
        with uvicorn_workers(url, root / "service-evidence", workers=1) as base:
            for config, sessions in stations:
                started = time.perf_counter()
                summary = sync_now(config, sessions, Target(base, token))
                times.append(time.perf_counter() - started)
                states = [i.state for i in status(config, sessions)]
                if summary.refused or states != ["sent"] * runs:
                    raise RuntimeError(f"sync did not send every run: {states}")
                sent += len(summary.sent)
        stored = _stored_runs(url)
        if stored != sent:
            raise RuntimeError(f"{sent} runs sent, {stored} stored on the service")
        return times, sent


def _realistic_bench(home: Path, bench: int, runs: int) -> sessionmaker[Session]:
    """A bench's store holding ``runs`` realistic runs, each recorded live (step by step, its
    seal at the end) for a unit registered there, as ``station`` ``bench-<bench>``. Benches pair
    up on the same serials (``UNITS_SHARED_BY`` benches each), as a pack is tested at the pack
    fixture and again at the cell bench: the service must make one unit of the two benches'
    registrations, however their syncs interleave."""
    (home / "station.toml").write_text(
        STATION.format(root=home, station=f"bench-{bench}"), encoding="utf-8"
    )
    sessions = open_results_store(home / "bench.sqlite3")
    serials = [f"SN-{bench // UNITS_SHARED_BY}-{i:05d}" for i in range(runs)]
    with sessions.begin() as session:
        ids = [
            add_returned_unit(session, None, serial=s, received_at=T0, actor="op").id
            for s in serials
        ]
    evidence = EvidenceStore(home / "evidence")
    for i, (unit_id, serial) in enumerate(zip(ids, serials, strict=True)):
        document = realistic_run_document(unit_id, serial, None, seed=i, pack_traces=True)
        info, steps, outcome = to_records(RunDocument.model_validate(document))
        recorder = DatabaseRecorder(sessions, unit_id=unit_id, evidence=evidence)
        recorder.run_started(replace(info, station=f"bench-{bench}"))
        for step in steps:
            recorder.step_finished(step)
        recorder.run_finished(outcome)
    return sessions


def _realistic_backlog(server: str) -> tuple[float, int, float]:
    """(seconds from the first ``sync_now`` to the last one's return, runs sent, CPU of this
    process meanwhile in cores): ``BACKLOG_BENCHES`` benches syncing their share of
    ``REALISTIC_BACKLOG`` realistic runs at once into a fresh service."""
    with private_schema(server, "pbsync") as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        service = open_store(Settings(url, root / "service-evidence"))
        token = make_users(service)["bench-3"]
        service.close()
        share = REALISTIC_BACKLOG // BACKLOG_BENCHES
        benches = []
        for k in range(BACKLOG_BENCHES):
            home = root / f"bench-{k}"
            home.mkdir()
            sessions = _realistic_bench(home, k, share)
            benches.append((load_station(home / "station.toml"), sessions))
        with (
            uvicorn_workers(
                url, root / "service-evidence", workers=SERVICE_WORKERS, ready_timeout=180.0
            ) as base,
            ThreadPoolExecutor(BACKLOG_BENCHES) as pool,
        ):
            started, cpu = time.perf_counter(), time.process_time()
            summaries = list(
                pool.map(lambda bench: sync_now(bench[0], bench[1], Target(base, token)), benches)
            )
            drained = time.perf_counter() - started
            cpu = time.process_time() - cpu
        for (config, sessions), summary in zip(benches, summaries, strict=True):
            states = [i.state for i in status(config, sessions)]
            if summary.refused or states != ["sent"] * share:
                unsent = [
                    i.entry.reason if i.entry else "not sent" for i in status(config, sessions)
                ]
                reasons = [r for r, state in zip(unsent, states, strict=True) if state != "sent"]
                raise RuntimeError(f"{config.station_id}: not every run sent: {reasons[:3]}")
        sent = sum(len(s.sent) for s in summaries)
        stored = _stored_runs(url)
        if stored != sent:
            raise RuntimeError(f"{sent} runs sent, {stored} stored on the service")
        _check_units_and_chain(url, REALISTIC_BACKLOG // UNITS_SHARED_BY)
        return drained, sent, cpu / drained


def _check_units_and_chain(url: str, serials: int) -> None:
    """Each of ``serials`` serials is one unit on the service, and the audit chain verifies with
    every committed event on it (none left pending)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            units = session.scalars(select(ReturnedUnit.serial)).all()
            chain = verify_audit_chain(session)
    finally:
        engine.dispose()
    if len(units) != serials or len(set(units)) != serials:
        raise RuntimeError(f"{len(units)} units for {len(set(units))} serials, not {serials}")
    if chain.problems or chain.pending_events:
        raise RuntimeError(
            f"audit chain: {len(chain.problems)} problem(s), {chain.pending_events} event(s) "
            f"left pending; first: {chain.problems[:1]}"
        )


def _stored_runs(url: str) -> int:
    """Runs the service holds, each checked to be there once (one ``run_sync`` event each)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            runs = session.scalar(select(func.count()).select_from(Run)) or 0
            synced = session.scalars(
                select(AuditEvent.entity_id).where(AuditEvent.entity_type == SYNC_ENTITY)
            ).all()
    finally:
        engine.dispose()
    if len(synced) != len(set(synced)) or len(synced) != runs:
        raise RuntimeError(f"{runs} runs stored for {len(set(synced))} UUIDs ({len(synced)} syncs)")
    return runs


def run() -> list[Result]:
    server, source = server_url()
    big = (
        f"sync one run to the service (uvicorn, 1 worker, PostgreSQL, loopback): a {SAMPLES:,}-"
        f"sample trace (4 arrays) and {PHOTOS} photos of {PHOTO_BYTES // 1024} KiB, read from the "
        "bench's SQLite, sent as blobs inside the batch request, seal checked and stored"
    )
    backlog = (
        f"sync backlog of {BACKLOG} small runs (one step, 3 values each) from one bench's SQLite, "
        f"batches of {BATCH_RUNS} on one connection, into a fresh service (uvicorn, 1 worker, "
        "PostgreSQL), each run seal-checked, a batch's runs stored in one transaction"
    )
    realistic = (
        f"sync backlog of {REALISTIC_BACKLOG:,} realistic runs ({REALISTIC_STEPS} steps, "
        f"{REALISTIC_STEPS * REALISTIC_MEASUREMENTS_PER_STEP} measurements, a "
        f"{REALISTIC_TRACE_SAMPLES:,}-sample trace as 3 blobs, 2 of them each run's own, carried "
        f"in the batch requests) from {BACKLOG_BENCHES} benches' "
        f"SQLite at once, into a fresh service ({SERVICE_WORKERS} uvicorn workers, PostgreSQL), "
        f"each run seal-checked, every run sent and stored once, the audit chain verified; "
        f"benches in pairs testing the same {REALISTIC_BACKLOG // UNITS_SHARED_BY:,} units, each "
        "made once"
    )
    if server is None:
        return [
            Result.not_measured(big, source),
            Result.not_measured(backlog, source),
            Result.not_measured(realistic, source),
        ]
    seconds, _ = _sync(server, big=True, runs=1, benches=REPEATS)
    (drained,), sent = _sync(server, big=False, runs=BACKLOG)
    whole, synced, benches_cores = _realistic_backlog(server)
    return [
        Result(f"{big}; median of {REPEATS} benches ({source})", median(seconds), "s", TARGET_S),
        Result(
            f"{backlog}, {sent} runs in {drained:.1f} s ({source})",
            sent / drained,
            "runs/s",
            BACKLOG_TARGET,
            at_least=True,
        ),
        Result(
            f"{realistic}, {synced:,} runs in {whole:.1f} s ({source})",
            synced / whole,
            "runs/s",
            BACKLOG_TARGET,
            at_least=True,
            open_in="#18",
        ),
        Result(
            f"  CPU the {BACKLOG_BENCHES} benches took meanwhile (threads of this process, on "
            "the service's 2 cores: reading, hashing and encoding their runs)",
            benches_cores * 100,
            "% of one core",
        ),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.line())
