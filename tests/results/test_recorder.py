from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, T0, outcome, register, run_info, step

from procedures.records import Recorder, Verdict
from results.attachments import EvidenceStore
from results.audit import history
from results.complaints import add_returned_unit
from results.db import make_engine, session_factory
from results.errors import NotFound, RecorderStateError, ValidationError
from results.integrity import sha256_hex, snapshot
from results.models import AuditEvent, Measurement, Run, RunStatus, Step, UnitResult
from results.readback import load_run
from results.recorder import DatabaseRecorder, mark_interrupted_runs
from results.run_import import import_run
from results.verify import verify_store


def test_recorded_run_reads_back_identical(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, number, unit_id = register(sessions)
    evidence = EvidenceStore(evidence_dir)
    recorder: Recorder = DatabaseRecorder(
        sessions, unit_id=unit_id, complaint_id=complaint_id, evidence=evidence
    )
    info = run_info(complaint_number=number)
    steps = [
        step(0, n_measurements=5),
        step(1, samples=2001, attachments=[("photo.png", PNG_BYTES), ("log.txt", b"ok\n")]),
        step(2, n_measurements=0),
    ]
    steps[1].traces[0].channels["voltage"][0][7] = np.nan  # NaN must survive bit for bit
    recorder.run_started(info)
    for s in steps:
        recorder.step_finished(s)
    recorder.run_finished(outcome())

    assert isinstance(recorder, DatabaseRecorder) and recorder.run_id is not None
    with sessions() as session:
        back = load_run(session, recorder.run_id, evidence=evidence)
    assert back.status is RunStatus.FINISHED and not back.interrupted
    assert back.info == info
    assert back.outcome == outcome()
    assert len(back.steps) == len(steps)
    for original, stored in zip(steps, back.steps, strict=True):
        assert dataclasses.replace(stored, traces=[]) == dataclasses.replace(original, traces=[])
        assert len(stored.traces) == len(original.traces)
        for t_orig, t_back in zip(original.traces, stored.traces, strict=True):
            assert t_back.name == t_orig.name and t_back.timestamp == t_orig.timestamp
            assert t_back.time_s.tobytes() == t_orig.time_s.tobytes()
            assert t_back.channels.keys() == t_orig.channels.keys()
            for key, (values, unit) in t_orig.channels.items():
                assert t_back.channels[key][1] == unit
                assert t_back.channels[key][0].tobytes() == values.tobytes()
    stored_files = back.attachments[1]
    assert [a.sha256 for a in stored_files] == [sha256_hex(PNG_BYTES), sha256_hex(b"ok\n")]
    assert [a.media_type for a in stored_files] == ["image/png", "text/plain"]


def test_each_step_is_committed_when_it_finishes(sessions: sessionmaker[Session]) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    for index in range(3):
        recorder.step_finished(step(index, n_measurements=4))
        with sessions() as other:  # a separate session sees the step at once
            assert other.scalar(select(func.count()).select_from(Step)) == index + 1
            assert other.scalar(select(func.count()).select_from(Measurement)) == 5 * (index + 1)
            run = other.scalars(select(Run)).one()
            assert run.status == "running" and run.steps_recorded == index + 1


def test_run_is_audited_and_verifies(sessions: sessionmaker[Session], evidence_dir: Path) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, evidence=EvidenceStore(evidence_dir))
    recorder.run_started(run_info())
    recorder.step_finished(step(0, samples=10, attachments=[("p.png", PNG_BYTES)]))
    recorder.run_finished(outcome())
    with sessions() as session:
        actions = [e.action for e in history(session, "run", recorder.run_id)]
        report = verify_store(session, evidence_dir)
    assert actions == ["run.started", "run.finished"]
    assert report.ok, report.problems
    assert (report.steps, report.measurements, report.traces, report.evidence_files) == (1, 4, 1, 1)


def test_recorder_refuses_calls_out_of_order(sessions: sessionmaker[Session]) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    with pytest.raises(RecorderStateError, match="run_started"):
        recorder.step_finished(step(0))
    recorder.run_started(run_info())
    with pytest.raises(RecorderStateError, match="already started"):
        recorder.run_started(run_info())
    with pytest.raises(RecorderStateError, match="evidence store"):
        recorder.step_finished(step(0, attachments=[("p.png", PNG_BYTES)]))
    recorder.run_finished(outcome())
    with pytest.raises(RecorderStateError, match="already finished"):
        recorder.step_finished(step(1))


def test_run_for_another_unit_is_refused_and_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    with pytest.raises(ValidationError, match="unit_serial"):
        recorder.run_started(run_info(serial="SN-9999"))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0


def test_bad_step_writes_nothing(sessions: sessionmaker[Session]) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    bad = step(0, samples=5)
    bad.traces[0].channels["voltage"] = (np.zeros(4), "V")  # 4 values against 5 time points
    with pytest.raises(ValidationError, match=r"recharge\.voltage"):
        recorder.step_finished(bad)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Step)) == 0
        assert session.scalar(select(func.count()).select_from(Measurement)) == 0


def test_stale_running_run_is_marked_interrupted(sessions: sessionmaker[Session]) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    recorder.step_finished(step(0))
    with sessions.begin() as session:
        assert mark_interrupted_runs(session) == []  # our own process is alive: still running
    later = T0 + timedelta(days=3650)
    with sessions.begin() as session:
        assert mark_interrupted_runs(session, now=later) == [recorder.run_id]
    with sessions() as session:
        back = load_run(session, recorder.run_id or 0)
    assert back.status is RunStatus.INTERRUPTED and back.interrupted
    assert back.outcome is not None and back.outcome.verdict is Verdict.ABORTED
    assert "1 step(s) recorded" in back.outcome.message
    assert len(back.steps) == 1 and len(back.steps[0].measurements) == 4


def _record_forever(url: str, unit_id: int) -> None:
    """Child process: record steps until killed (never reaches run_finished)."""
    engine = make_engine(url)
    recorder = DatabaseRecorder(session_factory(engine), unit_id=unit_id)
    recorder.run_started(run_info())
    index = 0
    while True:
        recorder.step_finished(step(index, n_measurements=20, samples=50))
        index += 1


def test_killed_recording_keeps_every_finished_step(
    db_url: str, sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    pid = os.fork()
    if pid == 0:  # child: never returns to pytest
        try:
            _record_forever(db_url, unit_id)
        finally:
            os._exit(1)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sessions() as session:
                if (session.scalar(select(func.count()).select_from(Step)) or 0) >= 5:
                    break
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

    with sessions.begin() as session:
        run_ids = mark_interrupted_runs(session)
    assert len(run_ids) == 1
    with sessions() as session:
        back = load_run(session, run_ids[0])
        report = verify_store(session, evidence_dir)
        run = session.get(Run, run_ids[0])
        assert run is not None
    assert back.status is RunStatus.INTERRUPTED and back.interrupted
    assert len(back.steps) >= 5 and len(back.steps) == run.steps_recorded
    assert [s.index for s in back.steps] == list(range(len(back.steps)))
    for s in back.steps:  # every committed step is whole
        assert len(s.measurements) == 21 and len(s.traces) == 1
        assert len(s.traces[0].time_s) == 50
    assert report.ok, report.problems


def _run_events(session: Session, run_id: int) -> list[tuple[str, Any, Any]]:
    """(action, before, after) of a run's events and its seal, oldest first; ``id``, ``unit_id``,
    ``pid`` and ``host`` dropped from the snapshots (they differ between two runs by design) and
    the seal's chain (it is bound to the run's id)."""
    drop = {"id", "unit_id", "pid", "host"}
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type.in_(["run", "run_steps"]),
            AuditEvent.entity_id == str(run_id),
        )
        .order_by(AuditEvent.seq)
    )
    out: list[tuple[str, Any, Any]] = []
    for e in events:
        before: dict[str, Any] | None = None if e.before_json is None else json.loads(e.before_json)
        after: dict[str, Any] = json.loads(e.after_json or "{}")
        for snap in (before or {}, after):
            for key in drop & snap.keys():
                del snap[key]
        if e.action == "run.steps_sealed":
            after.pop("chain")
        out.append((e.action, before, after))
    return out


def test_live_recorder_writes_what_the_import_writes(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """The live recorder (driver-level start and finish) and the run import (the ORM path shared
    with the journal replay) write the same run row, events and unit result for one run."""
    complaint_id, number, live_unit = register(sessions)
    with sessions.begin() as session:
        imported_unit = add_returned_unit(
            session, complaint_id, serial="SN-0002", received_at=T0, actor="li.na"
        ).id
    steps = [step(0, n_measurements=2), step(1, n_measurements=0, samples=5)]
    recorder = DatabaseRecorder(sessions, unit_id=live_unit, complaint_id=complaint_id)
    recorder.run_started(run_info(complaint_number=number))
    for s in steps:
        recorder.step_finished(s)
    recorder.run_finished(outcome())
    with sessions.begin() as session:
        imported = import_run(
            session,
            run_info(serial="SN-0002", complaint_number=number),
            steps,
            outcome(),
            unit_id=imported_unit,
        )
    assert recorder.run_id is not None
    with sessions() as session:
        live_events = _run_events(session, recorder.run_id)
        assert [a for a, _b, _a in live_events] == [
            "run.started",
            "run.finished",
            "run.steps_sealed",
        ]
        assert live_events == _run_events(session, imported)
        runs = {r.id: r for r in session.scalars(select(Run))}
        fields = set(snapshot(runs[imported])) - {"id", "unit_id", "pid", "host"}
        live, other = snapshot(runs[recorder.run_id]), snapshot(runs[imported])
        assert {f: live[f] for f in fields} == {f: other[f] for f in fields}
        assert runs[recorder.run_id].steps_recorded == runs[imported].steps_recorded == 2
        results = {
            r.unit_id: (r.primary_run_id, r.root_cause, r.cause_category, r.first_verdict)
            for r in session.scalars(select(UnitResult))
        }
        assert results[live_unit] == (recorder.run_id, *results[imported_unit][1:])
        assert results[imported_unit][0] == imported
        assert results[live_unit][1] is not None  # the outcome's root cause reached the row
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems


def test_live_recorder_refuses_a_run_for_another_complaint(
    sessions: sessionmaker[Session],
) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    _other_id, other_number, _other_unit = register(sessions, serial="SN-0002")
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    with pytest.raises(ValidationError, match="complaint_number"):
        recorder.run_started(run_info(complaint_number=other_number))
    with pytest.raises(NotFound, match="returned unit"):
        DatabaseRecorder(sessions, unit_id=unit_id + 1000).run_started(run_info())
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0
        assert [e.action for e in session.scalars(select(AuditEvent))].count("run.started") == 0


def test_finish_audits_the_row_as_stored_not_as_started(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """A run marked interrupted while its recorder still ran (another host's watchdog judged it
    stale) and then finished: the ``run.finished`` event starts from the stored row (read in
    the finishing transaction), so the chain of snapshots has no gap and ``verify`` agrees."""
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    recorder.step_finished(step(0))
    with sessions.begin() as session:
        assert mark_interrupted_runs(session, now=T0 + timedelta(days=3650)) == [recorder.run_id]
    recorder.run_finished(outcome())
    with sessions() as session:
        events = history(session, "run", recorder.run_id)
        report = verify_store(session, evidence_dir)
    assert [e.action for e in events] == ["run.started", "run.interrupted", "run.finished"]
    assert events[2].before_json == events[1].after_json
    assert json.loads(events[2].after_json or "{}")["status"] == RunStatus.FINISHED.value
    assert report.ok, report.problems
