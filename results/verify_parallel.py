"""``verify --full``'s run checks in worker processes, while the calling process checks the chain
and the records.

Why: the run checks are CPU-bound Python (a SHA-256 per measurement over its ``repr``, every
trace's samples hashed) and were four fifths of a full verify; one process cannot check a
million runs in ten minutes (issue #18). The runs are split into ranges of ids, each range is
verified by ``results.verify_runs.verify_runs`` in a worker (a process of its own, forked when
that is safe, else spawned: ``start_method``) on its own connection to the same store, and the
partial reports are merged in id order, so the problems come out in the order a single process
finds them.

A worker reads in its own transactions: on a store that is being written, a run that finishes
while the verify runs may be seen by a worker as still recording (its steps are then checked
against their digests only), as a sequential verify on PostgreSQL's READ COMMITTED may too.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from results.db import make_engine, read_session_factory
from results.models import Run
from results.verify_report import VerifyReport
from results.verify_runs import verify_runs
from results.verify_scope import RUN_BATCH, Progress, no_progress

RANGES_PER_WORKER = 8
"""Id ranges per worker: enough that the workers finish together, few enough that each range
is many batches."""
LARGEST_RANGE = 20_000
"""Runs per range at most, so that progress is reported and problems merged as work is done."""
_COUNTED = ("measurements", "steps", "traces", "sealed_runs", "unsealed_steps")
"""The fields of a ``VerifyReport`` that the run checks count (merged by adding; a test holds
the merged report equal to a single process's, field by field)."""

_worker_sessions: sessionmaker[Session] | None = None


def default_jobs() -> int:
    """Worker processes of ``packbench verify --full``: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _start_worker(url: str) -> None:
    """A worker's sessions only read: on SQLite they begin deferred, so they take no write lock
    and never wait for the caller's transaction (which may hold one) or a recording bench."""
    global _worker_sessions
    _worker_sessions = read_session_factory(make_engine(url))


def _verify_range(first: int, last: int) -> tuple[int, VerifyReport]:
    """Verify the runs with ids in ``first``..``last`` (in a worker); return how many there were
    and what was found."""
    assert _worker_sessions is not None, "worker not started"
    report = VerifyReport()
    with _worker_sessions() as session:
        ids = list(session.scalars(select(Run.id).where(Run.id.between(first, last))))
        verify_runs(session, report, sorted(ids), no_progress, 0)
    return len(ids), report


def start_method(dialect: str) -> str:
    """``fork`` for a PostgreSQL store when this process has no other thread and the platform
    forks, else ``spawn``.

    A forked worker starts in milliseconds with everything imported; a spawned one imports the
    store's modules again (about 0.6 s of CPU each here, which at 2,000 runs was as much as the
    runs' own checks). But forking is only safe without other threads (a lock another thread
    holds stays held in the child), and never with SQLite open in this process: SQLite keeps
    its file locks' bookkeeping in process memory, which a child would inherit without the
    locks themselves (sqlite.org/howtocorrupt.html, 2.6). A forked worker opens its own
    connection and never touches those it inherited; it leaves with ``os._exit``, so they are
    not closed under the caller either.
    """
    forks = "fork" in multiprocessing.get_all_start_methods()
    alone = threading.active_count() == 1
    return "fork" if forks and alone and dialect != "sqlite" else "spawn"


def id_ranges(lowest: int, highest: int, jobs: int) -> list[tuple[int, int]]:
    """``lowest``..``highest`` cut into consecutive ranges (``RANGES_PER_WORKER`` per worker,
    at most ``LARGEST_RANGE`` ids each, whole batches of ``RUN_BATCH`` once there are many)."""
    span = highest - lowest + 1
    if span <= 0:
        return []
    size = max(1, min(LARGEST_RANGE, span // (jobs * RANGES_PER_WORKER)))
    if size > RUN_BATCH:
        size -= size % RUN_BATCH
    return [(first, min(first + size - 1, highest)) for first in range(lowest, highest + 1, size)]


class RunWorkers:
    """The run checks of a full verify, submitted to ``jobs`` worker processes at once."""

    def __init__(self, session: Session, jobs: int) -> None:
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
        lowest, highest = session.execute(select(func.min(Run.id), func.max(Run.id))).one()
        self._executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context(start_method(session.get_bind().dialect.name)),
            initializer=_start_worker,
            initargs=(url,),
        )
        self._pending: list[Future[tuple[int, VerifyReport]]] = []
        if lowest is not None:
            for first, last in id_ranges(int(lowest), int(highest), jobs):
                self._pending.append(self._executor.submit(_verify_range, first, last))

    def collect(self, report: VerifyReport, progress: Progress, total: int) -> None:
        """Wait for every range, in id order, and add what it found to ``report``."""
        done = 0
        for future in self._pending:
            count, found = future.result()
            done += count
            for name in _COUNTED:
                setattr(report, name, getattr(report, name) + getattr(found, name))
            report.problems.extend(found.problems)
            progress("runs", done, total)
        self._pending = []

    def close(self) -> None:
        """Stop the workers; ranges not started yet are dropped (the verify failed early)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
