"""Migration 0014 backfills the receipt day and deadlines of the complaints already stored, with
the calendar already stored, on SQLite and PostgreSQL; and goes down again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import MetaData, insert, select
from store_builders import complaint_row

from results.calendar import Calendar, deadline_values
from results.db import make_engine, session_factory
from results.migrations import downgrade, upgrade
from results.models import Complaint

T0 = datetime(2026, 2, 27, 9, 0, tzinfo=UTC)  # a Friday, 17:00 in Shanghai


def test_0014_backfills_every_stored_complaint(empty_store: str) -> None:
    upgrade(empty_store, "0013")
    engine = make_engine(empty_store)
    tables = MetaData()
    tables.reflect(engine)
    received = [T0 + timedelta(hours=7 * i) for i in range(12)]
    with engine.begin() as connection:
        connection.execute(
            insert(tables.tables["calendar_day"]),
            [{"day": date(2026, 3, 2), "is_workday": False, "note": "holiday"}],
        )
        connection.execute(
            insert(tables.tables["complaint"]),
            [complaint_row(f"CC-2026-{i:04d}", r, registered_at=r) for i, r in enumerate(received)],
        )
    engine.dispose()
    upgrade(empty_store)
    sessions = session_factory(make_engine(empty_store))
    with sessions() as session:
        calendar = Calendar.load(session)
        assert calendar.exceptions == {date(2026, 3, 2): False}
        rows = list(session.scalars(select(Complaint).order_by(Complaint.number)))
        assert [c.received_at for c in rows] == received
        for c in rows:
            stored = {name: getattr(c, name) for name in deadline_values(c.received_at, calendar)}
            assert stored == deadline_values(c.received_at, calendar)
            assert c.sla_open_due == c.due_handling_report and c.sla_missed is False
    sessions.kw["bind"].dispose()
    downgrade(empty_store, "0013")
    upgrade(empty_store)
