"""``python -m benchmarks.verify_probe URL EVIDENCE_DIR [JOBS]``: one ``verify --full`` in a fresh
process (its runs checked by ``JOBS`` worker processes, default 1: none), printing its time, what
it checked and the process's peak memory as JSON.

A process of its own, so that the peak resident size (``ru_maxrss``) is the verify's and not the
benchmark's that built the store; the resident size after the imports is printed too, so the
figure can say how much of the peak the verify itself added. With workers, their CPU time is
added to the verify's and the largest worker's peak is printed apart (each is a process of its
own: the peaks do not add up in one address space, but they are resident at the same time).
"""

from __future__ import annotations

import json
import resource
import sys
import time

from results.db import make_engine, session_factory
from results.verify import verify_store
from results.verify_scope import Scope


def main(url: str, evidence_dir: str, jobs: int = 1) -> None:
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    cpu = time.process_time()
    with sessions() as session:
        report = verify_store(session, evidence_dir, scope=Scope(), jobs=jobs)
    seconds = time.perf_counter() - started
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() - cpu + workers.ru_utime + workers.ru_stime
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
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
