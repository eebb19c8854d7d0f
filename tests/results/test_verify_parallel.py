"""``verify_store(jobs=N)``: the runs checked in worker processes give the report one process
gives, counts and problems in the same order (``results.verify_parallel``)."""

from __future__ import annotations

import threading
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from store_builders import outcome, register, run_info, step

from results.models import Measurement, Step
from results.recorder import DatabaseRecorder
from results.verify import verify_store
from results.verify_parallel import id_ranges, start_method


def _run(sessions: sessionmaker[Session]) -> int:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    for index in range(2):
        recorder.step_finished(step(index, n_measurements=2, samples=8 if index else 0))
    recorder.run_finished(outcome())
    assert recorder.run_id is not None
    return recorder.run_id


def test_workers_report_what_one_process_reports(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    runs = [_run(sessions) for _ in range(6)]
    with sessions.begin() as session:  # two runs tampered, far apart: two ranges report
        first_step = select(Step.id).where(Step.run_id == runs[1]).order_by(Step.id).limit(1)
        session.execute(
            update(Measurement)
            .where(Measurement.step_id == first_step.scalar_subquery(), Measurement.idx == 0)
            .values(value=9.5)
        )
        session.execute(update(Step).where(Step.run_id == runs[4]).values(message="edited"))
    with sessions() as session:
        alone = verify_store(session, evidence_dir)
    with sessions() as session:
        shared = verify_store(session, evidence_dir, jobs=2)
    assert {p.ref for p in alone.problems} >= {f"run id={runs[4]}"}
    assert alone.measurements == 6 * 6 and alone.problems
    assert asdict(shared) == asdict(alone)


@given(lowest=st.integers(1, 10**6), span=st.integers(0, 300_000), jobs=st.integers(1, 8))
def test_id_ranges_cover_every_id_once_in_order(lowest: int, span: int, jobs: int) -> None:
    highest = lowest + span - 1
    ranges = id_ranges(lowest, highest, jobs)
    if span == 0:
        assert ranges == []
        return
    assert ranges[0][0] == lowest and ranges[-1][1] == highest
    for (_first, last), (following, _end) in pairwise(ranges):
        assert following == last + 1
    assert all(first <= last for first, last in ranges)


def test_workers_fork_only_without_sqlite_and_without_other_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every case: SQLite or not, alone or with other threads (the thread count patched:
    pytest-xdist's own threads would otherwise decide)."""
    for threads, dialect, expected in [
        (1, "sqlite", "spawn"),
        (1, "postgresql", "fork"),  # Linux forks
        (2, "sqlite", "spawn"),
        (2, "postgresql", "spawn"),
    ]:
        monkeypatch.setattr(threading, "active_count", lambda n=threads: n)
        assert start_method(dialect) == expected, (threads, dialect)
