"""``load_complaint``: every run, step and measurement of a complaint, and nothing of another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, outcome, register, run_info, step

from results.attachments import EvidenceStore
from results.complaints import add_returned_unit
from results.errors import NotFound
from results.models import Measurement, Step
from results.read_model import MeasurementRead, RunRead, TraceRead
from results.readback import load_complaint
from results.recorder import DatabaseRecorder

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _record(
    sessions: sessionmaker[Session],
    complaint_id: int,
    number: str,
    serial: str,
    steps: list[int],
    evidence: EvidenceStore,
) -> int:
    with sessions.begin() as session:
        unit_id = add_returned_unit(
            session, complaint_id, serial=serial, received_at=T0, actor="t"
        ).id
    recorder = DatabaseRecorder(
        sessions, unit_id=unit_id, complaint_id=complaint_id, evidence=evidence
    )
    recorder.run_started(run_info(serial, complaint_number=number))
    for index, n in enumerate(steps):
        files = [("photo.png", PNG + bytes([index]))] if index == 1 else None
        recorder.step_finished(step(index, n_measurements=n, samples=50, attachments=files))
    recorder.run_finished(outcome())
    assert recorder.run_id is not None
    return recorder.run_id


def test_complaint_loads_every_measurement_as_the_orm_reads_it(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    evidence = EvidenceStore(evidence_dir)
    complaint_id, number, _unit = register(sessions)
    other_id, other_number, _other_unit = register(sessions, serial="SN-OTHER")
    _record(sessions, complaint_id, number, "SN-A", [3, 0, 5], evidence)
    _record(sessions, other_id, other_number, "SN-X", [2], evidence)  # must not leak in
    _record(sessions, complaint_id, number, "SN-B", [1, 4], evidence)

    with sessions() as session:
        complaint = load_complaint(session, complaint_id)
        loaded = {
            (run.id, s.idx): list(s.measurements) for run in complaint.runs for s in run.steps
        }
        assert len(complaint.runs) == 2 and len(complaint.units) == 3
        assert sum(len(s.attachments) for run in complaint.runs for s in run.steps) == 2
        assert [len(t.channels) for run in complaint.runs for s in run.steps for t in s.traces] == [
            3
        ] * 5
        assert not session.dirty and not session.new and not session.identity_map
        assert all(c.data is None for t in _traces(complaint.runs) for c in t.channels)

    with sessions() as session:  # a fresh session: the ORM's own reading of the same rows
        rows = session.execute(
            select(Step.run_id, Step.idx, Measurement)
            .join(Measurement, Measurement.step_id == Step.id)
            .where(Step.run_id.in_([r for r, _i in loaded]))
            .order_by(Step.run_id, Step.idx, Measurement.idx)
        ).all()
        expected: dict[tuple[int, int], list[MeasurementRead]] = {key: [] for key in loaded}
        for run_id, idx, m in rows:
            expected[(run_id, idx)].append(
                MeasurementRead(*(getattr(m, name) for name in MeasurementRead._fields))
            )
    # 3 + 1 operator answer per step with measurements; the empty step gets an empty list.
    assert sorted(len(v) for v in loaded.values()) == [0, 2, 4, 5, 6]
    assert loaded == expected
    for views in loaded.values():
        for view in views:
            assert isinstance(view.low_inclusive, bool) and view.measured_at.tzinfo is not None
            assert [v.idx for v in views] == sorted(v.idx for v in views)


def test_samples_are_read_only_when_asked_for(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, number, _unit = register(sessions)
    _record(sessions, complaint_id, number, "SN-A", [2, 1], EvidenceStore(evidence_dir))
    with sessions() as session:
        complaint = load_complaint(session, complaint_id, samples=True)
        channels = [c for t in _traces(complaint.runs) for c in t.channels]
        assert channels and all(c.data for c in channels)
        assert [len(s.measurements) for s in complaint.runs[0].steps] == [3, 2]
        (unit,) = [u for u in complaint.units if u.serial == "SN-A"]
        assert unit.runs == complaint.runs


def _traces(runs: tuple[RunRead, ...]) -> list[TraceRead]:
    return [t for run in runs for s in run.steps for t in s.traces]


def test_unknown_complaint_is_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NotFound):
        load_complaint(session, 999)


def test_binary_rows_give_the_same_complaint_as_text_rows(
    sessions: sessionmaker[Session], evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads ask PostgreSQL for binary rows (``readback._BINARY``): every value, the run's
    conclusions (JSON) and the times included, must come back as the text rows give it."""
    evidence = EvidenceStore(evidence_dir)
    complaint_id, number, _unit = register(sessions)
    _record(sessions, complaint_id, number, "SN-A", [3, 0, 5], evidence)
    formats: list[object] = []

    def seen(_c: object, cursor: Any, *_a: object) -> None:
        formats.append(getattr(cursor, "format", None))

    engine = sessions.kw["bind"]
    event.listen(engine, "after_cursor_execute", seen)
    try:
        with sessions() as session:
            binary = load_complaint(session, complaint_id, samples=True)
        read_binary, formats[:] = list(formats), []
        monkeypatch.setattr("results.readback._BINARY", {})
        with sessions() as session:
            text = load_complaint(session, complaint_id, samples=True)
    finally:
        event.remove(engine, "after_cursor_execute", seen)
    assert binary == text
    if engine.dialect.name == "postgresql":  # psycopg's Format: 1 binary, 0 text
        assert read_binary and all(f == 1 for f in read_binary), read_binary
        assert formats and all(f == 0 for f in formats), formats
    (run,) = binary.runs
    assert run.conclusions and run.conclusions[0]["kind"] == "root_cause"
    assert all(m.measured_at.tzinfo is not None for s in run.steps for m in s.measurements)
