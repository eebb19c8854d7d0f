"""Read-only sessions: QA pages must not queue behind a bench that is writing a run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError
from store_builders import register

from results.db import make_engine, read_session_factory, session_factory
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
