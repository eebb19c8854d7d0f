"""``verify`` reads steps, measurements, traces and attachments as the driver's own tuples
(``results.verify_runs``): every column it hashes, edited behind the store's back, is caught,
and the tuple path hashes exactly what the ORM path hashed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from store_builders import outcome, recorded_run, register, run_info, step

from results.audit import record
from results.integrity import (
    MEASUREMENT_HASHED,
    canonical_json,
    measurement_hash,
    measurement_hash_of,
    snapshot,
    step_link,
    step_link_of,
    stored_iso,
    stored_micros,
)
from results.measurement_schema import read_back_casts, read_back_converters, stored_row_of
from results.models import (
    Attachment,
    AuditEvent,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    Step,
    Trace,
    TraceChannel,
)
from results.recorder import DatabaseRecorder
from results.run_import import import_run
from results.step_writer import _sqlite_utc
from results.verify import verify_store
from results.verify_runs import _CAST_MEASUREMENTS_SQL

_STEP_SEALED = ("idx", "name", "started_at", "ended_at", "verdict", "message", "digest")
"""Every column of a step that ``integrity.step_link`` folds into the run's seal, but its run."""


def _changed(value: Any, python_type: type) -> Any:
    """A different value of the column's type (a NULL becomes a value)."""
    if value is None:
        return {float: 1.25, str: "x", bool: True}[python_type]
    if isinstance(value, bool):
        return not value
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    if isinstance(value, bytes):
        return value[:-1] + bytes([value[-1] ^ 1])
    if isinstance(value, str):  # same length: hashes and short codes fit their columns
        return value[:-1] + ("1" if value.endswith("0") else "0") if value else "x"
    return value + (1 if isinstance(value, int) else 0.5)


def _tamper(sessions: sessionmaker[Session], model: Any, column: str, row_id: int) -> None:
    """Change one column of one row with a plain UPDATE (no audit event, no hash recomputed)."""
    table = cast(Table, model.__table__)
    with sessions.begin() as session:
        value: Any = session.execute(
            select(table.c[column]).where(table.c.id == row_id)
        ).scalar_one()
        new = _changed(value, table.c[column].type.python_type)
        session.execute(update(table).where(table.c.id == row_id).values({column: new}))


def _kinds(sessions: sessionmaker[Session], evidence_dir: Path) -> set[str]:
    with sessions() as session:
        return {p.kind for p in verify_store(session, evidence_dir).problems}


def _first_id(sessions: sessionmaker[Session], model: Any, **where: Any) -> int:
    with sessions() as session:
        row_id = session.scalar(select(model.id).filter_by(**where).order_by(model.id).limit(1))
    assert row_id is not None
    return int(row_id)


def test_an_untouched_run_verifies_through_the_tuple_path(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert (report.steps, report.measurements, report.traces, report.sealed_runs) == (2, 8, 1, 1)


def test_traces_with_names_and_units_beyond_ascii_verify_on_every_store(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """PostgreSQL re-hashes a trace where it is stored (``verify_runs._PG_TRACES_SQL``), from
    the text of its names and units: those bytes must be the UTF-8 the recorder hashed."""
    _complaint_id, number, unit_id = register(sessions)
    recorded = step(0, samples=50)
    trace = recorded.traces[0]
    wide = dataclasses.replace(
        trace,
        name="充电曲线 0.5C",
        channels={
            "电压": (trace.channels["voltage"][0], "°C"),
            "内阻": (trace.channels["current"][0], "µΩ"),
        },
    )
    steps = [dataclasses.replace(recorded, traces=[trace, wide])]
    with sessions.begin() as session:
        import_run(session, run_info(complaint_number=number), steps, outcome(), unit_id=unit_id)
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert report.traces == 2
    _tamper(sessions, TraceChannel, "unit", _first_id(sessions, TraceChannel, name="电压"))
    assert _kinds(sessions, evidence_dir) == {"trace", "step"}


@pytest.mark.parametrize("column", [*MEASUREMENT_HASHED, "row_hash"])
@pytest.mark.parametrize("name", ["cell_voltage_1", "operator_visual"])
def test_every_hashed_measurement_column_edited_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path, column: str, name: str
) -> None:
    """Both a numeric measurement and a text answer (NULL value and limits, no instrument)."""
    recorded_run(sessions, evidence_dir)
    _tamper(sessions, Measurement, column, _first_id(sessions, Measurement, name=name))
    kinds = _kinds(sessions, evidence_dir)
    assert "measurement" in kinds
    if column != "row_hash":  # the step digest is re-derived from the recomputed hashes
        assert "step" in kinds


def test_a_deleted_measurement_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    gone = _first_id(sessions, Measurement, name="cell_voltage_0")
    with sessions.begin() as session:
        session.query(Measurement).filter_by(id=gone).delete()
    assert _kinds(sessions, evidence_dir) == {"step"}


@pytest.mark.parametrize("column", _STEP_SEALED)
def test_every_sealed_step_column_edited_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path, column: str
) -> None:
    run_id = recorded_run(sessions, evidence_dir)
    _tamper(sessions, Step, column, _first_id(sessions, Step, run_id=run_id, idx=1))
    with sessions() as session:
        problems = verify_store(session, evidence_dir).problems
    assert ("step", f"run id={run_id}") in {(p.kind, p.ref) for p in problems}


def test_a_step_moved_to_another_run_is_caught_in_both(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    first = recorded_run(sessions, evidence_dir)
    second = recorded_run(sessions, evidence_dir)
    moved = _first_id(sessions, Step, run_id=first, idx=1)
    with sessions.begin() as session:
        session.execute(update(Step).where(Step.id == moved).values(run_id=second, idx=7))
    with sessions() as session:
        refs = {(p.kind, p.ref) for p in verify_store(session, evidence_dir).problems}
    assert {("step", f"run id={first}"), ("step", f"run id={second}")} <= refs


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (Trace, "name"),
        (Trace, "sha256"),
        *((TraceChannel, c) for c in ("name", "unit", "dtype", "shape", "data")),
    ],
)
def test_every_hashed_trace_column_edited_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path, model: Any, column: str
) -> None:
    recorded_run(sessions, evidence_dir)
    _tamper(sessions, model, column, _first_id(sessions, model))
    assert "trace" in _kinds(sessions, evidence_dir)


def test_a_deleted_trace_channel_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    recorded_run(sessions, evidence_dir)
    gone = _first_id(sessions, TraceChannel)
    with sessions.begin() as session:
        session.query(TraceChannel).filter_by(id=gone).delete()
    assert _kinds(sessions, evidence_dir) == {"trace", "step"}


@pytest.mark.parametrize("column", ["sha256", "original_name", "media_type"])
def test_every_hashed_attachment_column_edited_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path, column: str
) -> None:
    recorded_run(sessions, evidence_dir)
    _tamper(sessions, Attachment, column, _first_id(sessions, Attachment))
    assert "step" in _kinds(sessions, evidence_dir)


_moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(moment=_moments)
def test_stored_times_read_sqlite_text_as_the_orm_does(moment: datetime) -> None:
    """SQLite stores ``UTCDateTime`` as text (``_sqlite_utc``, the ORM's own spelling); the tuple
    path's microseconds equal those of the aware value the ORM loads, as do those of the aware
    and naive values a PostgreSQL driver may return."""
    expected = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert stored_micros(_sqlite_utc(moment)) == expected
    assert stored_micros(moment) == expected
    assert stored_micros(moment.replace(tzinfo=None)) == expected
    assert stored_micros(moment.astimezone(datetime.now().astimezone().tzinfo)) == expected
    spelled = canonical_json(moment)[1:-1]  # how an audit event's time is hashed
    assert stored_iso(_sqlite_utc(moment)) == stored_iso(moment) == spelled
    assert stored_iso(moment.replace(tzinfo=None)) == spelled
    assert stored_iso(moment.astimezone(datetime.now().astimezone().tzinfo)) == spelled


_optional_floats = st.one_of(st.none(), st.floats(allow_nan=False))
_texts = st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {
            "idx": st.integers(0, 10_000),
            "name": _texts,
            "value": _optional_floats,
            "text_value": st.one_of(st.none(), _texts),
            "unit": _texts,
            "low": _optional_floats,
            "high": _optional_floats,
            "low_inclusive": st.sampled_from([0, 1]),
            "high_inclusive": st.sampled_from([0, 1]),
            "nominal": _optional_floats,
            "marginal_low": _optional_floats,
            "marginal_high": _optional_floats,
            "verdict": st.sampled_from(["PASS", "FAIL", "MARGINAL"]),
            "comparison": _texts,
            "instrument": st.one_of(st.none(), _texts),
            "description": _texts,
            "measured_at": _moments,
        }
    ),
    run_id=st.integers(1, 10**9),
    step_idx=st.integers(0, 500),
)
def test_the_tuple_hash_is_the_orm_hash(values: dict[str, Any], run_id: int, step_idx: int) -> None:
    """A row as SQLite's driver returns it (flags as 0/1, time as text), converted as
    ``verify_runs`` converts it, hashes to what the recorder's ``measurement_hash`` gives for
    the row as the ORM loads it (flags as bools, time aware)."""

    class Loaded:
        pass

    loaded = Loaded()
    for column, value in values.items():
        setattr(loaded, column, value)
    expected = measurement_hash(run_id, step_idx, stored_row_of(loaded))
    raw = [values[c] for c in MEASUREMENT_HASHED]
    raw[-1] = _sqlite_utc(raw[-1])
    for at, convert in read_back_converters(MEASUREMENT_HASHED):
        raw[at] = convert(raw[at])
    raw[-1] = stored_micros(raw[-1])
    assert measurement_hash_of(run_id, step_idx, tuple(raw)) == expected


@settings(max_examples=100, deadline=None)
@given(started=_moments, seconds=st.integers(0, 10**6), name=_texts, message=_texts)
def test_the_tuple_step_link_is_the_orm_step_link(
    started: datetime, seconds: int, name: str, message: str
) -> None:
    ended = started + timedelta(seconds=seconds)
    row = {
        "run_id": 3,
        "idx": 2,
        "name": name,
        "started_at": started,
        "ended_at": ended,
        "verdict": "PASS",
        "message": message,
        "digest": "d" * 64,
    }
    expected = step_link("p" * 64, 9, row)
    tuple_values = (3, 2, name, _sqlite_utc(started), _sqlite_utc(ended), "PASS", message)
    assert (
        step_link_of(
            "p" * 64,
            9,
            *tuple_values[:3],
            stored_micros(tuple_values[3]),
            stored_micros(tuple_values[4]),
            *tuple_values[5:],
            "d" * 64,
        )
        == expected
    )


def _drop_append_only_triggers(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        session.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))


@pytest.mark.parametrize(
    "column",
    ["at", "actor", "action", "entity_type", "entity_id", "reason", "before_json", "after_json"],
)
def test_every_hashed_audit_event_column_edited_is_caught(
    sessions: sessionmaker[Session], evidence_dir: Path, column: str
) -> None:
    """The chain is read as driver rows (the time as SQLite's text): each hashed column."""
    recorded_run(sessions, evidence_dir)
    with sessions.begin() as session:
        _drop_append_only_triggers(session)
        events = cast(Table, AuditEvent.__table__)
        value: Any = session.execute(select(events.c[column]).where(events.c.seq == 3)).scalar_one()
        new = _changed(value, events.c[column].type.python_type)
        session.execute(update(events).where(events.c.seq == 3).values({column: new}))
    with sessions() as session:
        problems = verify_store(session, evidence_dir).problems
    assert ("audit_chain", "audit_event seq=3") in {(p.kind, p.ref) for p in problems}


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (Complaint, "customer"),
        (ReturnedUnit, "serial"),
        (Run, "station"),
        (Run, "started_at"),
        (Run, "conclusions"),
        (Attachment, "created_by"),
    ],
)
def test_audited_records_edited_behind_the_stores_back_are_caught(
    sessions: sessionmaker[Session], evidence_dir: Path, model: Any, column: str
) -> None:
    """The records ``snapshot`` audits are read as Core rows of their audited columns."""
    recorded_run(sessions, evidence_dir)
    row_id = _first_id(sessions, model)
    if column == "conclusions":  # JSON: a changed document
        with sessions.begin() as session:
            session.execute(update(Run).where(Run.id == row_id).values(conclusions=[{"x": 1}]))
    else:
        _tamper(sessions, model, column, row_id)
    with sessions() as session:
        problems = verify_store(session, evidence_dir).problems
    name = {Complaint: "complaint", ReturnedUnit: "unit", Run: "run", Attachment: "attachment"}
    assert ("record", f"{name[model]} id={row_id}") in {(p.kind, p.ref) for p in problems}


def test_steps_audited_one_event_each_before_seals_existed_still_verify(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """A store recorded before run seals: each step has its own ``step`` event (its row as
    ``snapshot``); those steps are checked against it, and an edit is caught."""
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(run_info())
    for index in range(2):
        recorder.step_finished(step(index))
    recorder.close()  # no seal: the steps get the per-step events older stores have
    with sessions.begin() as session:
        for row in session.scalars(select(Step).order_by(Step.id)):
            record(
                session,
                actor="bench",
                action="step.recorded",
                entity_type="step",
                entity_id=row.id,
                after=snapshot(row),
            )
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert (report.steps, report.sealed_runs, report.unsealed_steps) == (2, 0, 0)
    edited = _first_id(sessions, Step)
    with sessions.begin() as session:
        session.execute(update(Step).where(Step.id == edited).values(message="edited"))
    with sessions() as session:
        problems = verify_store(session, evidence_dir).problems
    assert [(p.kind, p.ref) for p in problems] == [("step", f"step id={edited}")]


def test_postgres_casts_every_column_the_converters_convert() -> None:
    """PostgreSQL's measurement statement converts in SQL (``read_back_casts``) instead of in
    Python: each converted column is cast, to the type whose driver value is the converter's
    result, so dropping the converters there changes no hash."""
    converted = {
        MEASUREMENT_HASHED[at]: convert for at, convert in read_back_converters(MEASUREMENT_HASHED)
    }
    casts = read_back_casts(MEASUREMENT_HASHED)
    assert set(casts) == set(converted) and casts
    for column, sql_type in casts.items():
        assert f"CAST({column} AS {sql_type})" in _CAST_MEASUREMENTS_SQL
        assert sql_type == ("boolean" if converted[column] is bool else "double precision")
