"""``verify`` over the complaint-process records: containment checks and actions, claims and the
feedback form are compared with their last audited state like complaints and runs are.

For every one of those tables: a clean store verifies, an edited row, a row written without an
audit event and a deleted row are each reported against that table's row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from closure_builders import check_all_areas
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import register

from results.claims import open_claim
from results.containment import open_action
from results.feedback import write_feedback
from results.verify import _PROCESS_RECORDS, verify_store

TABLES = [str(m.__tablename__) for m in _PROCESS_RECORDS if m.__tablename__ != "outgoing_report"]
"""The stored outgoing report needs an inspection run: test_reports_outgoing_approval.py."""
EDITS = {
    "containment_check": "qty_bad = qty_bad + 1",
    "containment_action": "owner = 'someone.else'",
    "claim": "amount_rmb = 1.00",
    "feedback_form": "proposed_solution = 'nothing'",
}


def _records(sessions: sessionmaker[Session]) -> None:
    complaint_id, number, _unit = register(sessions)
    with sessions.begin() as session:
        check_all_areas(session, complaint_id, bad=2)
        open_action(
            session, complaint_id, kind="seal", owner="wu.wh", qty_affected=40, actor="zhao.qa"
        )
        open_claim(
            session,
            number,
            amount_rmb="1200.50",
            basis="freight",
            settlement_way="credit_to_zero",
            actor="li.na",
        )
        write_feedback(session, complaint_id, proposed_solution="replace", actor="li.na")


def _problems(sessions: sessionmaker[Session], evidence_dir: Path) -> list[tuple[str, str, str]]:
    with sessions() as session:
        report = verify_store(session, evidence_dir)
        return [(p.kind, p.ref, p.detail) for p in report.problems]


def test_every_process_table_is_covered() -> None:
    assert sorted(TABLES) == sorted(EDITS)
    assert len(TABLES) == len(_PROCESS_RECORDS) - 1


def test_clean_process_records_verify(sessions: sessionmaker[Session], evidence_dir: Path) -> None:
    _records(sessions)
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    # 1 complaint + 1 unit + 3 checks + 1 action + 1 claim + 1 feedback form
    assert report.records == 8


@pytest.mark.parametrize("table", TABLES)
def test_an_edited_process_record_is_reported(
    sessions: sessionmaker[Session], evidence_dir: Path, table: str
) -> None:
    _records(sessions)
    with sessions.begin() as session:
        session.execute(
            text(f"UPDATE {table} SET {EDITS[table]} WHERE id = (SELECT min(id) FROM {table})")
        )
        first = session.execute(text(f"SELECT min(id) FROM {table}")).scalar_one()
    assert _problems(sessions, evidence_dir) == [
        ("record", f"{table} id={first}", "row differs from its last audited state")
    ]


@pytest.mark.parametrize("table", TABLES)
def test_a_deleted_process_record_is_reported(
    sessions: sessionmaker[Session], evidence_dir: Path, table: str
) -> None:
    _records(sessions)
    with sessions.begin() as session:
        last = session.execute(text(f"SELECT max(id) FROM {table}")).scalar_one()
        session.execute(text(f"DELETE FROM {table} WHERE id = {last}"))
    assert _problems(sessions, evidence_dir) == [
        ("record", f"{table} id={last}", "audited row is missing (deleted)")
    ]


def test_a_process_record_written_behind_the_stores_back_is_reported(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    _records(sessions)
    with sessions.begin() as session:
        session.execute(
            text(
                "INSERT INTO containment_check (complaint_id, area, qty_checked, qty_bad, note,"
                " checked_at, checked_by) SELECT complaint_id, area, 1, 0, '', checked_at,"
                " 'ghost' FROM containment_check WHERE id = (SELECT min(id) FROM containment_check)"
            )
        )
        ghost = session.execute(text("SELECT max(id) FROM containment_check")).scalar_one()
    assert _problems(sessions, evidence_dir) == [
        (
            "record",
            f"containment_check id={ghost}",
            "row has no audit event: written behind the store's back",
        )
    ]
