"""The run import's fast path writes what the ORM import it replaced wrote (issue #18).

``results.run_import.import_run`` inserts the run row once, already finished, and writes
measurements, channels and the unit's stored result on the driver. The reference below is the
ORM import as it stood before (run row added and flushed, events from the loaded row, the
finish as ``recorder.finish_run`` writes it, every statement through the session). Both import
the same submission from the same store state with the same clock: every row they write and
every audit event, hashes and chain links included, must be equal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import MetaData, ScalarResult, Table, insert, select, text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, T0, outcome, register, run_info, step

from procedures.records import RunInfo, RunOutcome, StepRecord
from results import audit, run_import
from results.attachments import EvidenceStore
from results.integrity import snapshot, step_digest, step_link, steps_genesis
from results.models import Complaint, Measurement, ReturnedUnit, Step, Trace, TraceChannel
from results.recorder import DatabaseRecorder, finish_run, new_run_row, seal_steps
from results.verify import verify_store

_STEP = cast(Table, Step.__table__)
_MEASUREMENT = cast(Table, Measurement.__table__)
_TRACE = cast(Table, Trace.__table__)
_CHANNEL = cast(Table, TraceChannel.__table__)
_COMPARED = ("run", "step", "measurement", "trace", "trace_channel", "attachment", "unit_result")
NOW = T0 + timedelta(hours=5, microseconds=123457)


class _FrozenClock(datetime):
    """``datetime`` whose ``now`` is ``NOW``: the events' and the run row's times."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return NOW if tz is not None else NOW.replace(tzinfo=None)


def _reference_import(
    session: Session,
    info: RunInfo,
    steps: Sequence[StepRecord],
    result: RunOutcome,
    *,
    unit_id: int,
    evidence: EvidenceStore,
) -> int:
    """``import_run`` before issue #18's fast path, every statement through the ORM session."""
    unit = session.get(ReturnedUnit, unit_id)
    assert unit is not None and unit.serial == info.unit_serial
    complaint = session.get(Complaint, unit.complaint_id)
    assert complaint is not None and complaint.number == info.complaint_number
    operator = info.operator or "unknown"
    run = new_run_row(
        info, unit_id=unit.id, complaint_id=unit.complaint_id, started=info.started, now=NOW
    )
    session.add(run)
    session.flush()
    run_id = run.id
    audit.record(
        session,
        actor=operator,
        action="run.started",
        entity_type="run",
        entity_id=run_id,
        after=snapshot(run),
    )
    files = [[(name, evidence.put(data, name=name)) for name, data in s.attachments] for s in steps]
    built = []
    for s, step_files in zip(steps, files, strict=True):
        rows = DatabaseRecorder.measurement_rows(run_id, s)
        trace_rows = [DatabaseRecorder.trace_rows_of(t) for t in s.traces]
        values = {
            "run_id": run_id,
            "idx": s.index,
            "name": s.name,
            "started_at": s.started,
            "ended_at": s.ended,
            "verdict": s.verdict.name,
            "message": s.message,
            "digest": step_digest(
                [r["row_hash"] for r in rows],
                [sha for sha, _meta, _channels in trace_rows],
                [(f.sha256, name, f.media_type) for name, f in step_files],
            ),
        }
        built.append((values, rows, trace_rows))

    def insert_ids(table: Table, rows: list[dict[str, Any]]) -> list[int]:
        returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids: ScalarResult[Any] = session.execute(returning, rows).scalars()
        return [int(i) for i in ids]

    step_ids = insert_ids(_STEP, [values for values, _rows, _traces in built])
    measurements: list[dict[str, Any]] = []
    traces: list[dict[str, Any]] = []
    trace_channels: list[list[dict[str, Any]]] = []
    for step_id, (_values, rows, trace_rows) in zip(step_ids, built, strict=True):
        measurements.extend(r | {"step_id": step_id} for r in rows)
        for idx, (sha, meta, channels) in enumerate(trace_rows):
            traces.append({"step_id": step_id, "idx": idx, "sha256": sha, **meta})
            trace_channels.append(channels)
    session.execute(insert(_MEASUREMENT), measurements)
    channel_rows = [
        c | {"trace_id": trace_id}
        for trace_id, channels in zip(insert_ids(_TRACE, traces), trace_channels, strict=True)
        for c in channels
    ]
    session.execute(insert(_CHANNEL), channel_rows)
    for step_id, step_files in zip(step_ids, files, strict=True):
        for name, stored in step_files:
            run_import._insert_attachment(
                session, run_id, step_id, name, stored, actor=operator, now=NOW
            )
    chain = steps_genesis(run_id)
    for step_id, (values, _rows, _traces) in sorted(zip(step_ids, built, strict=True)):
        chain = step_link(chain, step_id, values)
    before = snapshot(run)
    run.steps_recorded = len(steps)
    finish_run(session, run, result, ended=result.ended, actor=operator, before=before)
    seal_steps(session, run_id, len(steps), chain, actor=operator)
    return run_id


def _written(session: Session, head_seq: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the compared tables and every audit event after ``head_seq``, in order."""
    audit.append_pending(session)
    tables = MetaData()
    tables.reflect(session.connection(), only=[*_COMPARED, "audit_event", "audit_head"])
    written: dict[str, list[tuple[Any, ...]]] = {}
    for name in _COMPARED:
        table = tables.tables[name]
        order = table.c.id if "id" in table.c else table.c.unit_id
        written[name] = [tuple(r) for r in session.execute(select(table).order_by(order))]
    events = tables.tables["audit_event"]
    written["audit_event"] = [
        tuple(r)
        for r in session.execute(
            select(events).where(events.c.seq > head_seq).order_by(events.c.seq)
        )
    ]
    written["audit_head"] = [tuple(r) for r in session.execute(select(tables.tables["audit_head"]))]
    return written


def _sequences(session: Session) -> Callable[[], None]:
    """A function that puts PostgreSQL's sequences back where they are now (a rollback does
    not), so the second import gets the ids the first one got; nothing to do on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return lambda: None
    state = session.execute(
        text(
            "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = current_schema()"
        )
    ).all()

    def restore() -> None:
        with session.begin():
            for name, last in state:
                session.execute(
                    text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                    {"s": name, "v": last or 1, "called": last is not None},
                )

    return restore


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(audit, "datetime", _FrozenClock)
    monkeypatch.setattr(run_import, "datetime", _FrozenClock)
    yield


def test_fast_import_writes_the_rows_and_chain_of_the_orm_import(
    sessions: sessionmaker[Session], evidence_dir: Path, frozen: None
) -> None:
    _complaint_id, number, unit_id = register(sessions)
    evidence = EvidenceStore(evidence_dir)
    info = run_info(complaint_number=number)
    steps = [step(i, n_measurements=4) for i in range(15)]
    steps[7] = step(7, n_measurements=4, samples=2000)
    steps[3] = step(3, n_measurements=0, attachments=[("photo.png", PNG_BYTES)])
    answer = dataclasses.replace(steps[11].measurements[1], value=None, text_value="bulged")
    steps[11].measurements[1] = answer  # a text-only answer, as an operator prompt gives
    imports: list[Callable[..., int]] = [_reference_import, run_import.import_run]
    written = []
    for import_one in imports:
        with sessions() as session:
            head_seq = int(session.execute(text("SELECT seq FROM audit_head")).scalar_one())
            restore = _sequences(session)
            session.rollback()
            with session.begin():
                import_one(session, info, steps, outcome(), unit_id=unit_id, evidence=evidence)
                written.append(_written(session, head_seq))
                session.rollback()
            restore()
    reference, fast = written
    assert len(reference["measurement"]) == 14 * 5 and len(reference["audit_event"]) == 4
    for name in reference:
        assert fast[name] == reference[name], name
    with sessions.begin() as session:
        run_import.import_run(session, info, steps, outcome(), unit_id=unit_id, evidence=evidence)
    with sessions() as session:
        assert _written(session, 0)["audit_event"][-4:] == reference["audit_event"]
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
