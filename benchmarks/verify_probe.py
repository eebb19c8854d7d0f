"""``python -m benchmarks.verify_probe URL EVIDENCE_DIR [JOBS]``: one ``verify --full`` in a fresh
process (its runs checked by ``JOBS`` worker processes, default 1: none), printing its time, what
it checked and the process's peak memory as JSON.

A process of its own, so that the peak resident size (``ru_maxrss``) is the verify's and not the
benchmark's that built the store; the resident size after the imports is printed too, so the
figure can say how much of the peak the verify itself added. With workers, their CPU time is
added to the verify's and the largest worker's peak is printed apart (each is a process of its
own: the peaks do not add up in one address space, but they are resident at the same time).
On PostgreSQL on this host, ``backend_cpu_seconds`` is the CPU time of the verifying session's
backend (read from ``/proc``; the workers' backends are not counted), ``null`` otherwise: with
one process the verifier waits while its backend works, so both count in the wall time.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from results.db import make_engine, session_factory
from results.verify import verify_store
from results.verify_scope import Scope


def _backend_cpu(session: Session) -> tuple[Path, float] | None:
    """PostgreSQL on this host: the ``/proc`` stat file of the session's backend and its CPU
    seconds so far, so the server's share of the verify can be printed beside the verifier's
    (``None`` on SQLite, or when the server's processes are not readable from here)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    stat = Path(f"/proc/{session.execute(text('SELECT pg_backend_pid()')).scalar_one()}/stat")
    return (stat, _stat_cpu(stat)) if stat.exists() else None


def _stat_cpu(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(url: str, evidence_dir: str, jobs: int = 1) -> None:
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    cpu = time.process_time()
    with sessions() as session:
        backend = _backend_cpu(session)
        report = verify_store(session, evidence_dir, scope=Scope(), jobs=jobs)
        backend_s = None if backend is None else _stat_cpu(backend[0]) - backend[1]
    seconds = time.perf_counter() - started
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() - cpu + workers.ru_utime + workers.ru_stime
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "backend_cpu_seconds": backend_s,
                "ok": report.ok,
                "problems": [f"{p.kind} {p.ref}: {p.detail}" for p in report.problems[:5]],
                "audit_events": report.audit_events,
                "records": report.records,
                "steps": report.steps,
                "measurements": report.measurements,
                "traces": report.traces,
                "baseline_kb": baseline_kb,
                "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "jobs": jobs,
                "worker_peak_kb": workers.ru_maxrss if jobs > 1 else 0,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))
