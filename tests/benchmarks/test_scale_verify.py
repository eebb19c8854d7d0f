"""The scale harness's routine verify starts from a checkpoint that claims less than the full
verify checked: the checkpoint must itself verify, and what it leaves out must really be checked
(an edit in one of the newest runs is found, one in an older run only by the full verify)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, update

from benchmarks import scale
from benchmarks.scale_verify import earlier_extent, main
from results.db import make_engine, session_factory
from results.models import Measurement, Run, Step
from results.verify import verify_store
from results.verify_checkpoint import write_checkpoint
from results.verify_scope import Scope


def _store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'scale.sqlite3'}"
    scale.build(url, 12, 3, 1, scale.Shape(steps=3, measurements=6, samples=20))
    return url


def _edit_a_measurement_of(url: str, run_id: int) -> None:
    sessions = session_factory(make_engine(url))
    with sessions.begin() as session:
        step_id = session.scalar(select(func.min(Step.id)).where(Step.run_id == run_id))
        first = session.scalar(
            select(func.min(Measurement.id)).where(Measurement.step_id == step_id)
        )
        session.execute(update(Measurement).where(Measurement.id == first).values(value=9.99))


def test_the_harness_s_routine_verify_checks_the_newest_runs_after_a_true_checkpoint(
    tmp_path: Path,
) -> None:
    url = _store(tmp_path)
    probe = main(url, 4)
    assert probe["problems"] == [] and probe["routine_problems"] == [], probe
    assert probe["routine_runs"] >= 4 and probe["routine_events"] > 0, probe


def test_an_edit_after_the_checkpoint_is_found_by_the_routine_verify(tmp_path: Path) -> None:
    url = _store(tmp_path)
    sessions = session_factory(make_engine(url))
    with sessions.begin() as session:
        since = earlier_extent(session, 4)
        write_checkpoint(session, since, actor="test", full=True)
        newest = session.scalar(select(func.max(Run.id)))
    assert newest is not None and since.max_run_id == newest - 4
    _edit_a_measurement_of(url, newest)
    _edit_a_measurement_of(url, 1)
    with sessions() as session:
        routine = verify_store(session, tmp_path, scope=Scope(since=since, sample=0))
        full = verify_store(session, tmp_path)
    assert not [p for p in routine.problems if p.kind == "checkpoint"], routine.problems
    edited = {p.ref for p in routine.problems if p.kind == "measurement"}
    assert len(edited) == 1, routine.problems  # the newest run's; run 1 is before the checkpoint
    assert len({p.ref for p in full.problems if p.kind == "measurement"} - edited) == 1
