"""The run journal: lossless records, exactly-once replay (also after a crash half-way), and the
journaled recorder's behaviour while the store is unavailable. SQLite and PostgreSQL."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, T0, outcome, register, run_info, step

from procedures.records import LimitsRecord, MeasurementRecord, StepRecord, Verdict
from results.journal import (
    EmptyJournal,
    JournalWriter,
    RunHeader,
    UnitUpdate,
    claimed,
    decode_step,
    encode_step,
    read_journal,
)
from results.journal_apply import replay
from results.journaled_recorder import (
    CONTINUE,
    STOP,
    JournaledRecorder,
    StorePolicy,
    is_store_outage,
    recording_sessions,
    store_name,
)
from results.models import (
    Attachment,
    AuditEvent,
    AuditHead,
    Measurement,
    ReturnedUnit,
    Run,
    Step,
    Trace,
    TraceChannel,
)
from results.recorder import DatabaseRecorder, mark_interrupted_runs
from results.verify import verify_store

COUNTED = (Run, Step, Measurement, Trace, TraceChannel, Attachment, AuditEvent)


def counts(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Rows per table and the audit head: equal before and after means nothing was written."""
    with sessions() as session:
        found: dict[str, Any] = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in COUNTED
        }
        head = session.get(AuditHead, 1)
        found["head"] = (head.seq, head.hash) if head else None
    return found


def odd_step(index: int, *, nan: bool = True) -> StepRecord:
    """A step with every awkward value: NaN, infinities, text answers, traces, a photo.

    (SQLite stores a NaN REAL as NULL, live or replayed alike, so store tests leave NaN out.)
    """
    base = step(index, n_measurements=2, samples=50, attachments=[("photo.png", PNG_BYTES)])
    extra = [
        MeasurementRecord(
            name=name,
            value=value,
            unit="ohm",
            limits=LimitsRecord(low=None, high=1e6, nominal=0.1 + 0.2),
            verdict=Verdict.FAIL,
            comparison=f"{value} ohm",
            timestamp=base.started + timedelta(microseconds=123457),
            instrument=None,
            description="désolé, 断路",
        )
        for name, value in (("nan", math.nan), ("inf", math.inf), ("ninf", -math.inf))
        if nan or name != "nan"
    ]
    return replace(base, measurements=base.measurements + extra, message="line\nbreak")


def header(tmp_path: Path, unit_id: int, number: str, store: str = "s") -> RunHeader:
    return RunHeader(
        key="k" * 32,
        store=store,
        unit_id=unit_id,
        complaint_id=None,
        evidence_dir=str(tmp_path / "evidence"),
        host="bench-pc",
        pid=4242,
        info=run_info(complaint_number=number),
        unit_update=UnitUpdate("on_bench", "wang.wei", "bench run"),
    )


def write_journal(
    tmp_path: Path, head: RunHeader, steps: list[StepRecord], *, finished: bool = True
) -> Path:
    writer = JournalWriter(tmp_path / "journal")
    writer.key = head.key
    writer.path = writer.directory / f"{head.key}.journal"
    writer.start(head)
    for s in steps:
        writer.step(s)
    if finished:
        writer.finished(outcome(), UnitUpdate("analysed", "wang.wei", "bench run", "scrap"))
    writer.close()
    return writer.path


def test_a_step_survives_the_journal_bit_for_bit() -> None:
    original = odd_step(3)
    decoded = decode_step(encode_step(original))
    # What the store hashes (values, limits, times, verdicts) and the trace bytes are identical.
    assert (
        DatabaseRecorder.measurement_rows(7, decoded)[:-3]
        == (DatabaseRecorder.measurement_rows(7, original)[:-3])
    )
    hashes = [r["row_hash"] for r in DatabaseRecorder.measurement_rows(7, decoded)]
    assert hashes == [r["row_hash"] for r in DatabaseRecorder.measurement_rows(7, original)]
    assert [DatabaseRecorder.trace_rows_of(t)[0] for t in decoded.traces] == [
        DatabaseRecorder.trace_rows_of(t)[0] for t in original.traces
    ]
    assert decoded.attachments == original.attachments
    assert (decoded.name, decoded.index, decoded.started, decoded.ended, decoded.message) == (
        original.name,
        original.index,
        original.started,
        original.ended,
        original.message,
    )
    assert math.isnan(decoded.measurements[-3].value or 0.0)
    assert decoded.measurements[-1].value == -math.inf


def test_a_torn_last_line_is_dropped_and_an_empty_journal_is_no_run(tmp_path: Path) -> None:
    head = header(tmp_path, 1, "CC-1")
    path = write_journal(tmp_path, head, [step(0), step(1)], finished=False)
    with path.open("ab") as handle:
        handle.write(b'{"seq":3,"kind":"step","step":{"name":')  # the crash came mid-append
    contents = read_journal(path)
    assert [s.index for s in contents.steps] == [0, 1]
    assert contents.torn_tail and contents.finished is None
    empty = tmp_path / "journal" / "e.journal"
    empty.write_bytes(b'{"seq":0,"kind":"run_st')
    with pytest.raises(EmptyJournal):
        read_journal(empty)


def test_a_live_writer_holds_its_journal(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "journal")
    writer.start(header(tmp_path, 1, "CC-1"))
    with claimed(writer.path) as mine:
        assert not mine  # the recording process still holds it: no replay touches it
    writer.close()
    with claimed(writer.path) as mine:
        assert mine


def test_replay_writes_once_and_verify_passes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _cid, number, unit_id = register(sessions)
    path = write_journal(
        tmp_path, header(tmp_path, unit_id, number), [odd_step(0, nan=False), step(1, samples=20)]
    )
    first = replay(sessions, read_journal(path), writer_gone=True)
    assert (first.steps_written, first.finished) == (2, True)
    after_first = counts(sessions)
    second = replay(sessions, read_journal(path), writer_gone=True)
    assert not second.wrote_anything and second.run_id == first.run_id
    assert counts(sessions) == after_first
    with sessions() as session:
        run = session.get(Run, first.run_id)
        assert run is not None
        assert (run.status, run.verdict, run.steps_recorded) == ("finished", "FAIL", 2)
        assert [s.name for s in run.steps] == ["step_0", "step_1"]
        unit = session.get(ReturnedUnit, unit_id)
        assert unit is not None and (unit.status, unit.disposition) == ("analysed", "scrap")
        report = verify_store(session, tmp_path / "evidence")
    assert report.ok, report.problems
    assert report.sealed_runs == 1 and report.evidence_files == 1


@pytest.mark.parametrize("lost", ["before_commit", "after_commit"])
def test_a_crash_in_the_middle_of_a_replay_writes_nothing_twice(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lost: str,
) -> None:
    """The replay dies at step 2: before its COMMIT, or after it with the answer lost."""
    _cid, number, unit_id = register(sessions)
    steps = [step(i, samples=10) for i in range(4)]
    path = write_journal(tmp_path, header(tmp_path, unit_id, number), steps)
    original = DatabaseRecorder.step_finished

    def dying(self: DatabaseRecorder, record: StepRecord) -> None:
        if record.index == 2 and lost == "before_commit":
            raise sqlite3.OperationalError("disk I/O error")
        original(self, record)
        if record.index == 2:
            raise sqlite3.OperationalError("connection lost after COMMIT")

    monkeypatch.setattr(DatabaseRecorder, "step_finished", dying)
    with pytest.raises(sqlite3.OperationalError):
        replay(sessions, read_journal(path), writer_gone=True)
    monkeypatch.setattr(DatabaseRecorder, "step_finished", original)
    result = replay(sessions, read_journal(path), writer_gone=True)
    assert result.steps_written == (2 if lost == "before_commit" else 1)
    with sessions() as session:
        run = session.get(Run, result.run_id)
        assert run is not None and [s.idx for s in run.steps] == [0, 1, 2, 3]
        assert session.scalar(select(func.count()).select_from(Run)) == 1
        report = verify_store(session, tmp_path / "evidence")
    assert report.ok, report.problems


def test_a_run_marked_interrupted_meanwhile_is_completed_from_its_journal(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A store-opening command marked the run interrupted (its process was gone) before the
    journal came back: the replay adds the missing steps and the true end; verify agrees."""
    _cid, number, unit_id = register(sessions)
    head = header(tmp_path, unit_id, number)
    path = write_journal(tmp_path, head, [step(0), step(1), step(2)])
    contents = read_journal(path)
    partial = replace(contents, steps=contents.steps[:1], finished=None)
    replay(sessions, partial, writer_gone=False)  # the live run got the start and one step in
    with sessions.begin() as session:
        session.execute(text("UPDATE run SET pid = 999999999"))  # a process that is gone
    with sessions.begin() as session:
        assert len(mark_interrupted_runs(session)) == 1
    result = replay(sessions, contents, writer_gone=True)
    assert (result.steps_written, result.finished) == (2, True)
    with sessions() as session:
        run = session.get(Run, result.run_id)
        assert run is not None
        assert (run.status, run.interrupted, run.verdict) == ("finished", False, "FAIL")
        report = verify_store(session, tmp_path / "evidence")
    assert report.ok, report.problems


def test_a_journal_without_an_end_closes_the_run_as_interrupted(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _cid, number, unit_id = register(sessions)
    path = write_journal(tmp_path, header(tmp_path, unit_id, number), [step(0)], finished=False)
    result = replay(sessions, read_journal(path), writer_gone=True)
    assert result.interrupted and result.steps_written == 1
    before = counts(sessions)
    assert not replay(sessions, read_journal(path), writer_gone=True).wrote_anything
    assert counts(sessions) == before
    with sessions() as session:
        run = session.get(Run, result.run_id)
        assert run is not None and run.status == "interrupted"
        assert "bench-pc:4242" in run.message and "1 step(s)" in run.message
        report = verify_store(session, tmp_path / "evidence")
    assert report.ok, report.problems


# -- the journaled recorder -------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Outage:
    """Makes every store write fail like a locked SQLite database while ``on`` is set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.on = False
        self.attempts = 0
        from results import journal_apply

        for name in ("start", "step", "finish"):
            original = getattr(journal_apply.JournalApplier, name)
            monkeypatch.setattr(journal_apply.JournalApplier, name, self._wrap(original))

    def _wrap(self, original: Any) -> Any:
        def wrapped(applier: Any, *args: Any) -> Any:
            self.attempts += 1
            if self.on:
                raise sqlite3.OperationalError("database is locked")
            return original(applier, *args)

        return wrapped


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outage]:
    yield Outage(monkeypatch)


def recorder(
    db_url: str, tmp_path: Path, unit_id: int, policy: StorePolicy, clock: FakeClock
) -> JournaledRecorder:
    return JournaledRecorder(
        recording_sessions(db_url, policy),
        journal_dir=tmp_path / "journal",
        store=store_name(db_url),
        unit_id=unit_id,
        complaint_id=None,
        evidence_dir=tmp_path / "evidence",
        policy=policy,
        on_start=UnitUpdate("on_bench", "wang.wei", "bench run"),
        after_run=lambda o: UnitUpdate("analysed", "wang.wei", "bench run"),
        sleep=clock.sleep,
        clock=clock,
    )


def test_continue_keeps_measuring_and_stores_everything_once_the_store_is_back(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, outage: Outage
) -> None:
    _cid, number, unit_id = register(sessions)
    clock = FakeClock()
    rec = recorder(db_url, tmp_path, unit_id, StorePolicy(CONTINUE, retry_for_s=20), clock)
    rec.run_started(run_info(complaint_number=number))
    rec.step_finished(step(0))
    outage.on = True
    for i in (1, 2, 3):
        rec.step_finished(step(i))  # returns at once: the bench goes on measuring
        clock.now += 0.2
    assert rec.pending == 3 and rec.outage and "locked" in rec.outage
    assert not rec.stop_event.is_set()
    assert outage.attempts <= 4  # backoff: not one attempt per step
    assert [s.index for s in read_journal(rec.journal.path).steps] == [0, 1, 2, 3]
    outage.on = False
    rec.run_finished(outcome())
    assert rec.pending_journal is None and not rec.journal.path.exists()
    with sessions() as session:
        run = session.get(Run, rec.run_id)
        assert run is not None and [s.idx for s in run.steps] == [0, 1, 2, 3]
        assert run.status == "finished"
        report = verify_store(session, tmp_path / "evidence")
    assert report.ok, report.problems


def test_a_store_still_down_at_the_end_leaves_the_run_in_its_journal(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, outage: Outage
) -> None:
    _cid, number, unit_id = register(sessions)
    clock = FakeClock()
    rec = recorder(db_url, tmp_path, unit_id, StorePolicy(CONTINUE, retry_for_s=20), clock)
    outage.on = True
    rec.run_started(run_info(complaint_number=number))  # even the start: nothing in the store
    rec.step_finished(step(0))
    rec.run_finished(outcome())
    assert clock.now >= 20 - StorePolicy().max_backoff_s  # it did retry for its budget
    assert rec.pending_journal is not None and rec.pending_journal.exists()
    assert rec.run_id is None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0
    outage.on = False
    result = replay(sessions, read_journal(rec.pending_journal), writer_gone=True)
    assert (result.steps_written, result.finished) == (1, True)
    with sessions() as session:
        report = verify_store(session, tmp_path / "evidence")
    assert report.ok, report.problems


def test_stop_ends_the_run_at_the_next_step_after_retrying(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, outage: Outage
) -> None:
    _cid, number, unit_id = register(sessions)
    clock = FakeClock()
    rec = recorder(db_url, tmp_path, unit_id, StorePolicy(STOP, retry_for_s=5), clock)
    rec.run_started(run_info(complaint_number=number))
    outage.on = True
    rec.step_finished(step(0))
    assert rec.stop_event.is_set() and 4 <= clock.now <= 5
    assert rec.stopped_reason and "on_store_unavailable" in rec.stopped_reason
    outage.on = False
    rec.run_finished(replace(outcome(), verdict=Verdict.ABORTED, message="abort requested"))
    with sessions() as session:
        run = session.get(Run, rec.run_id)
        assert run is not None and run.verdict == "ABORTED" and len(run.steps) == 1
        assert run.message.startswith("the results store was unavailable for 5 s")
        assert run.message.endswith("abort requested")


def test_a_refused_start_is_raised_and_leaves_no_journal(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _cid, number, unit_id = register(sessions)
    rec = recorder(db_url, tmp_path, unit_id, StorePolicy(), FakeClock())
    with pytest.raises(Exception, match="unit_serial"):
        rec.run_started(run_info(serial="OTHER", complaint_number=number))
    assert not rec.journal.path.exists()


def test_what_counts_as_an_outage() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert is_store_outage(sqlite3.OperationalError("database is locked"))
    assert is_store_outage(OperationalError("x", {}, sqlite3.OperationalError("full")))
    assert is_store_outage(OSError(28, "No space left on device"))
    assert not is_store_outage(IntegrityError("x", {}, Exception("duplicate")))
    assert not is_store_outage(ValueError("a bug"))
    assert not is_store_outage(PermissionError("journal folder not writable"))
    assert not is_store_outage(sqlite3.OperationalError("unable to open database file"))


def test_times_survive_with_microseconds() -> None:
    original = replace(step(0), started=T0 + timedelta(microseconds=1))
    assert decode_step(encode_step(original)).started == original.started


def test_trace_arrays_keep_their_dtype_and_every_bit() -> None:
    values = np.array([1.0, 2.5e-300, -0.0, np.nan, 1 / 3])
    base = step(0, samples=5)
    traced = replace(
        base,
        traces=[replace(base.traces[0], channels={"v": (values, "V")}, time_s=values.copy())],
    )
    decoded = decode_step(encode_step(traced)).traces[0]
    assert decoded.time_s.dtype == np.float64
    assert decoded.channels["v"][0].tobytes() == values.tobytes()
