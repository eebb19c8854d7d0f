"""The step writer's own datetime binding must store exactly what SQLAlchemy's would, and it
holds one pooled connection for a run, gives it back on ``close`` and drops one that cannot roll
back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Engine, Integer, Table, Text, bindparam, literal, select
from sqlalchemy.dialects import sqlite

from results.db import make_engine
from results.models import AuditHead, Measurement, UTCDateTime
from results.step_writer import StepWriter, _bind_processor, _sqlite_utc

_DIALECT = sqlite.dialect()
_REFERENCE = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
        ),
    )
)
def test_sqlite_time_text_matches_sqlalchemy(value: datetime) -> None:
    assert _REFERENCE is not None
    assert _sqlite_utc(value) == _REFERENCE(value)


def test_naive_time_is_refused_like_the_orm_does() -> None:
    with pytest.raises(ValueError, match="time zone"):
        _sqlite_utc(datetime(2026, 3, 2, 1, 30))


def test_fast_binding_is_chosen_only_for_utc_datetimes_on_sqlite() -> None:
    table = Measurement.__table__
    assert _bind_processor(_DIALECT, table.c.measured_at) is _sqlite_utc  # type: ignore[attr-defined]
    assert _bind_processor(_DIALECT, table.c.name) is None  # type: ignore[attr-defined]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _checked_out(engine: Engine) -> int:
    return engine.pool.checkedout()  # type: ignore[attr-defined,no-any-return]


def _head_seq(writer: StepWriter) -> int:
    return int(writer.fetch_one("SELECT seq FROM audit_head WHERE id = 1")[0])


def test_one_pooled_connection_is_held_for_the_run_and_given_back(engine: Engine) -> None:
    writer = StepWriter(engine)
    assert _checked_out(engine) == 0  # nothing is taken before the first transaction
    writer.begin()
    first = writer._dbapi
    assert _head_seq(writer) == 0
    writer.commit()
    writer.begin()
    assert writer._dbapi is first  # the same driver connection for every transaction
    writer.commit()
    assert _checked_out(engine) == 1
    held = writer._pooled  # referenced here, so only an explicit return can give it back
    writer.close()
    assert _checked_out(engine) == 0
    assert held is not None and held.dbapi_connection is None  # returned, not just forgotten
    writer.close()  # a second close is harmless
    assert _checked_out(engine) == 0


def test_a_rolled_back_transaction_keeps_the_connection_for_the_next(engine: Engine) -> None:
    writer = StepWriter(engine)
    writer.begin()
    writer.execute("UPDATE audit_head SET seq = 41 WHERE id = 1", ())
    writer.rollback()
    writer.begin()
    assert _head_seq(writer) == 0  # the update was undone
    writer.commit()
    assert _checked_out(engine) == 1
    writer.close()
    assert _checked_out(engine) == 0


def test_a_connection_that_cannot_roll_back_is_dropped_not_reused(engine: Engine) -> None:
    writer = StepWriter(engine)
    writer.begin()
    broken = writer._dbapi
    broken.close()  # the driver connection is gone: its rollback fails
    with pytest.raises(engine.dialect.loaded_dbapi.Error):
        writer.rollback()
    assert _checked_out(engine) == 0  # given back, as invalid
    fresh = StepWriter(engine)
    fresh.begin()
    assert fresh._dbapi is not broken
    assert _head_seq(fresh) == 0
    fresh.commit()
    fresh.close()


def test_core_statement_binds_its_literals_and_each_use_of_a_parameter(engine: Engine) -> None:
    """``fetch_all`` binds a statement's own literals once, through their types (a JSON
    document is sent as its text, as ``Connection.execute`` sends it), and a parameter at every
    place it is used."""
    n = bindparam("n", type_=Integer)
    statement = select(
        n + literal(5, Integer),
        n * literal(2, Integer),
        literal("Zelle 3", Text),
        literal({"cell": 3}, JSON),
    )
    writer = StepWriter(engine)
    writer.begin()
    try:
        for value in (1, 7):  # the bound literals are kept, the parameter changes
            ((plus, twice, text, doc),) = writer.fetch_all(statement, {"n": value})
            assert (plus, twice, text) == (value + 5, 2 * value, "Zelle 3")
            assert (json.loads(doc) if isinstance(doc, str) else doc) == {"cell": 3}
        with pytest.raises(KeyError, match="'n'"):
            writer.fetch_all(statement, {})
    finally:
        writer.rollback()
        writer.close()


def test_update_row_sets_the_given_columns_of_the_keyed_row_only(engine: Engine) -> None:
    head = cast(Table, AuditHead.__table__)
    writer = StepWriter(engine)
    writer.begin()
    try:
        writer.update_row(head, {"seq": 7, "hash": "ab" * 32}, "id", 2)  # no such row
        assert writer.fetch_one("SELECT seq, hash FROM audit_head WHERE id = 1") == (0, "0" * 64)
        writer.update_row(head, {"hash": "cd" * 32, "seq": 3}, "id", 1)  # any column order
        assert writer.fetch_one("SELECT seq, hash FROM audit_head WHERE id = 1") == (3, "cd" * 32)
    finally:
        writer.rollback()
        writer.close()
