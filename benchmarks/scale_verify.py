"""``python -m benchmarks.scale_verify URL NEW_RUNS``: the scale harness's two verifies of one
store, in a process of its own so that its peak memory is theirs, printed as one JSON line.

First ``verify --full`` as ``packbench verify --full`` runs it (the runs checked by
``default_jobs()`` worker processes). Then, if it found nothing, the routine ``verify`` a lab runs
every day: what changed since the last checkpoint plus a random sample of older rows
(``Scope(since=...)``, the default sample), after a checkpoint that leaves the newest
``NEW_RUNS`` runs unchecked, as if they had been recorded since the last verify.

Why a checkpoint at an earlier extent and not new runs: the harness's store is built in bulk, and
building more runs after the full verify would time the builder too. A checkpoint says "everything
up to here was verified"; the full verify has just checked everything, so a checkpoint that
claims less (an earlier chain position, lower run, step and attachment ids) is true, and the
routine verify re-checks everything after it: the newest runs' rows, their steps, and every
audit event from the first of theirs on (the builder's workers interleave, so that is more than
the runs' own events).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from results.db import make_engine, session_factory
from results.models import Attachment, AuditEvent, Run, Step
from results.verify import verify_store
from results.verify_checkpoint import Checkpoint, write_checkpoint
from results.verify_parallel import default_jobs
from results.verify_scope import Scope


def earlier_extent(session: Session, new_runs: int) -> Checkpoint:
    """A checkpoint that leaves the newest ``new_runs`` runs, their steps and attachments, and
    every audit event from the first about them on, after it."""
    newest = session.scalar(select(func.max(Run.id))) or 0
    last_run = max(0, newest - new_runs)
    first_new_step = session.scalar(select(func.min(Step.id)).where(Step.run_id > last_run))
    last_step = (
        (session.scalar(select(func.max(Step.id))) or 0)
        if first_new_step is None
        else first_new_step - 1
    )
    last_attachment = (
        session.scalar(select(func.max(Attachment.id)).where(Attachment.step_id <= last_step)) or 0
    )
    new_run_keys = select(cast(Run.id, String)).where(Run.id > last_run)
    first_seq = session.scalar(
        select(func.min(AuditEvent.seq)).where(
            AuditEvent.entity_type == "run", AuditEvent.entity_id.in_(new_run_keys)
        )
    )
    seq = (
        (session.scalar(select(func.max(AuditEvent.seq))) or 0)
        if first_seq is None
        else first_seq - 1
    )
    chain_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq)) or ""
    return Checkpoint(seq, chain_hash, last_run, last_step, last_attachment)


def main(url: str, new_runs: int) -> dict[str, Any]:
    sessions = session_factory(make_engine(url))
    jobs = default_jobs()
    out: dict[str, Any] = {"jobs": jobs}
    with tempfile.TemporaryDirectory() as evidence:
        start = time.perf_counter()
        with sessions() as session:
            full = verify_store(session, evidence, jobs=jobs)
        out["full_s"] = time.perf_counter() - start
        out["full_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["measurements"] = full.measurements
        out["problems"] = [f"{p.kind} {p.ref}: {p.detail}" for p in full.problems[:5]]
        if not full.ok:
            return out
        with sessions.begin() as session:
            since = earlier_extent(session, new_runs)
            write_checkpoint(session, since, actor="scale harness", full=True)
        start = time.perf_counter()
        with sessions() as session:
            routine = verify_store(session, evidence, scope=Scope(since=since))
        out["routine_s"] = time.perf_counter() - start
        out["routine_runs"] = routine.sealed_runs
        out["routine_events"] = routine.audit_events
        out["routine_problems"] = [f"{p.kind} {p.ref}: {p.detail}" for p in routine.problems[:5]]
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
