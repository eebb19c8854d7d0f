"""Migration 0010 moves the major complaints' containment records onto containment actions (and
back on downgrade), on SQLite and PostgreSQL, with stores that already hold data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, insert, select

from results.containment import containment_actions, containment_completed_at
from results.db import make_engine, session_factory
from results.migrations import downgrade, upgrade

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _complaint(number: str) -> dict[str, object]:
    return {
        "number": number,
        "customer": "Acme",
        "project": "",
        "product_model": "PB-1S2P-18650-5200",
        "product_spec": "",
        "shipped_qty": 500,
        "defect_qty": 3,
        "symptom": "leakage",
        "symptom_other": "",
        "usage_location": "",
        "customer_demands": "",
        "severity": "severe",
        "received_at": T0,
        "received_by": "li.na",
        "registered_at": T0,
        "registered_by": "li.na",
        "status": "under_analysis",
    }


def _old_store(url: str) -> list[tuple[int, int, str, bool, str]]:
    """Two major complaints at revision 0009, one holding production; their records."""
    upgrade(url, "0009")
    engine = make_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        complaint, major, record = (
            tables.tables[n] for n in ("complaint", "major_complaint", "containment_record")
        )
        with engine.begin() as connection:
            for i, hold in ((1, True), (2, False)):
                cid = connection.execute(
                    insert(complaint).returning(complaint.c.id), _complaint(f"CC-2026-000{i}")
                ).scalar_one()
                mid = connection.execute(
                    insert(major).returning(major.c.id),
                    {
                        "complaint_id": cid,
                        "category": "leakage",
                        "escalated_at": T0,
                        "escalated_by": "li.na",
                    },
                ).scalar_one()
                connection.execute(
                    insert(record),
                    {
                        "major_id": mid,
                        "stock_frozen_qty": 100 * i,
                        "locations": f"FG warehouse A{i}; customer site " + "x" * 300,
                        "production_hold": hold,
                        "opened_at": T0 + timedelta(hours=i),
                        "opened_by": f"wu.wh{i}",
                    },
                )
            return [
                (r.major_id, r.stock_frozen_qty, r.locations, bool(r.production_hold), r.opened_by)
                for r in connection.execute(select(record).order_by(record.c.id))
            ]
    finally:
        engine.dispose()


def test_major_containment_moves_onto_containment_actions_and_back(empty_store: str) -> None:
    before = _old_store(empty_store)
    upgrade(empty_store)
    engine = make_engine(empty_store)
    try:
        migrated = MetaData()
        migrated.reflect(engine)
        assert "containment_record" not in migrated.tables
        with session_factory(engine)() as session:
            first = containment_actions(session, 1)
            second = containment_actions(session, 2)
            assert containment_completed_at(session, 1) is None  # the checks were never made
    finally:
        engine.dispose()
    assert [(a.kind, a.qty_affected, a.owner, a.is_open) for a in first] == [
        ("freeze_outgoing_stock", 100, "wu.wh1", True),
        ("stop_production", 0, "wu.wh1", True),
    ]
    assert first[0].taken_at == T0 + timedelta(hours=1) and first[0].location == before[0][2]
    assert [(a.kind, a.qty_affected, a.location) for a in second] == [
        ("freeze_outgoing_stock", 200, before[1][2])
    ]

    downgrade(empty_store, "0009")
    engine = make_engine(empty_store)
    try:
        tables = MetaData()
        tables.reflect(engine)
        record = tables.tables["containment_record"]
        assert "containment_action" not in tables.tables
        with engine.connect() as connection:
            after = [
                (r.major_id, r.stock_frozen_qty, r.locations, bool(r.production_hold), r.opened_by)
                for r in connection.execute(select(record).order_by(record.c.major_id))
            ]
    finally:
        engine.dispose()
    assert after == before
