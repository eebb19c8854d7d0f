"""Read-only sessions: QA pages must not queue behind a bench that is writing a run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError
from store_builders import register

from results.db import BINARY_RESULTS_OPTION, make_engine, read_session_factory, session_factory
from results.models import Complaint


def test_reader_completes_while_another_connection_holds_a_write_transaction(
    db_url: str,
) -> None:
    writer_engine = make_engine(db_url)
    reader_engine = make_engine(db_url)
    if reader_engine.dialect.name == "sqlite":

        @event.listens_for(reader_engine, "connect")
        def _no_wait(dbapi_connection: Any, _record: Any) -> None:
            # Fail at once instead of after 30 s if the reader ever asks for the write lock.
            dbapi_connection.execute("PRAGMA busy_timeout=0")

    try:
        register(session_factory(writer_engine))
        with session_factory(writer_engine).begin() as writing:
            writing.execute(text("UPDATE complaint SET customer = 'in progress'"))
            with read_session_factory(reader_engine)() as reading:
                customers = list(reading.scalars(select(Complaint.customer)))
            assert customers == ["Acme Scanners Ltd"]  # the last committed state
            if reader_engine.dialect.name == "sqlite":
                # The control: an ordinary session begins IMMEDIATE and meets the held lock.
                with (
                    pytest.raises(OperationalError, match="locked"),
                    session_factory(reader_engine)() as blocked,
                ):
                    blocked.scalars(select(Complaint.customer)).all()
    finally:
        writer_engine.dispose()
        reader_engine.dispose()


def test_binary_results_option_reads_postgres_rows_in_binary_with_the_same_values(
    db_url: str,
) -> None:
    """``verify`` asks for PostgreSQL's binary result format (a ``bytea`` is not sent as hex
    text); the rows are the same Python values either way, and other drivers ignore the option."""
    engine = make_engine(db_url)
    sql = (
        "SELECT CAST(? AS BLOB), 1.5, ?"
        if engine.dialect.name == "sqlite"
        else ("SELECT CAST(%s AS bytea), CAST(1.5 AS double precision), %s")
    )
    try:
        with engine.connect() as connection:
            rows = {}
            for binary in (False, True):
                result = connection.exec_driver_sql(
                    sql,
                    (b"\x00\xff samples", "text"),
                    execution_options={BINARY_RESULTS_OPTION: binary},
                )
                if engine.dialect.name != "sqlite":
                    formats = {result.cursor.pgresult.fformat(i) for i in range(3)}
                    assert formats == {1 if binary else 0}
                rows[binary] = result.one()
            assert tuple(rows[True]) == tuple(rows[False]) == (b"\x00\xff samples", 1.5, "text")
    finally:
        engine.dispose()
