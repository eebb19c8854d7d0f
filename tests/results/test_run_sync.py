"""Two benches syncing the first runs of one unit (or complaint) at once create it once, and a
unit registered on the service while a bench syncs it is not made twice either (#18).

Found by ``bench_sync``'s backlog with four benches: 100 runs of 50 units registered offline at
two benches each, synced at once into four workers, made 62 units of 50 serials on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import register

from results import run_sync
from results.complaints import add_returned_unit
from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit
from results.run_transfer import rows_json
from results.store import open_store

WAIT_S = 0.5
"""How long the second bench's transaction is given to run ahead (and, before the fix, create
its own copy) while the first one has not committed."""


def _bench_rows(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(complaint, unit) as a bench that registered them offline sends them."""
    bench = open_store(tmp_path / "bench.sqlite3")
    complaint_id, _number, unit_id = register(bench, serial="SN-0042")
    with bench() as session:
        complaint = rows_json(session, Complaint, [complaint_id])[complaint_id]
        unit = rows_json(session, ReturnedUnit, [unit_id])[unit_id]
    bench.kw["bind"].dispose()
    return complaint, unit


def _both(sessions: sessionmaker[Session], create: Callable[[Session, str], int]) -> list[int]:
    """The id each of two benches' transactions got, the second started while the first has
    created but not committed."""
    got: list[int] = []
    errors: list[BaseException] = []
    first = sessions()
    first.begin()
    got.append(create(first, "bench-1"))

    def second() -> None:
        try:
            with sessions.begin() as session:
                got.append(create(session, "bench-2"))
        except BaseException as exc:  # raised again below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(WAIT_S)
    first.commit()
    first.close()
    thread.join(30)
    if errors:
        raise errors[0]
    return got


@pytest.mark.parametrize("made", [ReturnedUnit, Complaint], ids=["unit", "complaint"])
def test_the_first_runs_of_one_unit_or_complaint_from_two_benches_make_it_once(
    sessions: sessionmaker[Session], tmp_path: Path, made: type[ReturnedUnit | Complaint]
) -> None:
    """Before, on PostgreSQL: two units of one serial; the second bench's run refused on the
    complaint number's uniqueness."""
    complaint, unit = _bench_rows(tmp_path)

    def create(session: Session, actor: str) -> int:
        if made is ReturnedUnit:
            return run_sync._unit(session, None, unit, actor)
        return run_sync._complaint(session, complaint, actor) or 0

    got = _both(sessions, create)
    assert got[0] == got[1] != 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(made)) == 1


def test_a_unit_registered_here_while_a_bench_syncs_it_is_refused_not_made_twice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The sync and ``add_returned_unit`` lock the same key (``complaints.unit_key``)."""
    _complaint, unit = _bench_rows(tmp_path)

    def create(session: Session, actor: str) -> int:
        if actor == "bench-1":
            return run_sync._unit(session, None, unit, actor)
        received = datetime.fromisoformat(unit["received_at"])
        return add_returned_unit(
            session, None, serial=unit["serial"], received_at=received, actor="li.na"
        ).id

    with pytest.raises(ValidationError, match="already logged"):
        _both(sessions, create)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReturnedUnit)) == 1
