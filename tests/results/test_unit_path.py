"""The unit's path after analysis: the table of allowed moves and the outgoing-inspection gate."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from store_builders import register, run_info, step

from procedures.records import RunOutcome, Verdict
from results import audit
from results.complaints import set_unit_status
from results.errors import InvalidTransition, ValidationError
from results.models import FINAL_UNIT_STATUSES, ReturnedUnit, UnitStatus
from results.recorder import DatabaseRecorder
from results.run_validity import invalidate_run
from results.unit_path import NEXT, OUTGOING_INSPECTION, allowed_next, status_of_step

U = UnitStatus


def _dispositioned(sessions: sessionmaker[Session]) -> tuple[int, int]:
    complaint_id, _number, unit_id = register(sessions)
    with sessions.begin() as session:
        set_unit_status(session, unit_id, U.ANALYSED, actor="bench", disposition="repair_board")
        set_unit_status(session, unit_id, U.DISPOSITIONED, actor="qa", disposition="repair_board")
    return complaint_id, unit_id


def _move(sessions: sessionmaker[Session], unit_id: int, target: UnitStatus, why: str) -> str:
    with sessions.begin() as session:
        return set_unit_status(session, unit_id, target, actor="qa", reason=why).status


def _status(sessions: sessionmaker[Session], unit_id: int) -> str:
    with sessions() as session:
        unit = session.get(ReturnedUnit, unit_id)
        assert unit is not None
        return unit.status


def _inspection(
    sessions: sessionmaker[Session], complaint_id: int, unit_id: int, verdict: Verdict
) -> int:
    """A finished outgoing inspection run of the unit, written by the recorder as a bench would."""
    started = datetime.now(UTC)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(
        dataclasses.replace(run_info(), procedure=OUTGOING_INSPECTION, started=started)
    )
    recorder.step_finished(step(0))
    recorder.run_finished(RunOutcome(verdict, started + timedelta(minutes=5)))
    assert recorder.run_id is not None
    return recorder.run_id


def test_every_final_status_is_an_end_and_every_path_reaches_one() -> None:
    for final in FINAL_UNIT_STATUSES:
        assert allowed_next(final) == ()
    after_disposition = {U.DISMANTLED, U.REWORKED, U.REPLACED}
    for status in after_disposition:
        assert NEXT[status] & FINAL_UNIT_STATUSES, status
    assert status_of_step("replace_stock") is U.REPLACED
    with pytest.raises(ValidationError, match="rework, replace_stock"):
        status_of_step("burn")


def test_illegal_moves_name_the_allowed_ones(sessions: sessionmaker[Session]) -> None:
    _complaint_id, _number, unit_id = register(sessions)
    with pytest.raises(InvalidTransition, match="allowed from 'received': received, on_bench"):
        _move(sessions, unit_id, U.REWORKED, "skip the analysis")
    complaint_id, unit_id = _dispositioned(sessions)
    with pytest.raises(ValidationError, match="reason: is empty"):
        _move(sessions, unit_id, U.SCRAPPED, " ")
    assert _move(sessions, unit_id, U.SCRAPPED, "cells swollen") == "scrapped"
    with pytest.raises(InvalidTransition, match=r"allowed from 'scrapped': none \(final status\)"):
        _move(sessions, unit_id, U.BACK_TO_STOCK, "changed our mind")
    with sessions() as session:
        events = audit.history(session, "unit", unit_id)
    assert (events[-1].actor, events[-1].reason) == ("qa", "cells swollen")
    assert complaint_id


def test_dismantled_units_go_to_stock_or_scrap(sessions: sessionmaker[Session]) -> None:
    _complaint_id, unit_id = _dispositioned(sessions)
    _move(sessions, unit_id, U.DISMANTLED, "harvest the board")
    with pytest.raises(InvalidTransition, match="scrapped"):
        _move(sessions, unit_id, U.SHIPPED, "ship the parts")
    assert _move(sessions, unit_id, U.BACK_TO_STOCK, "board tested good") == "back_to_stock"


def test_reworked_goods_ship_only_after_a_passed_outgoing_inspection(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, unit_id = _dispositioned(sessions)
    _move(sessions, unit_id, U.REWORKED, "board replaced")
    with pytest.raises(InvalidTransition, match="did not pass or there is none"):
        _move(sessions, unit_id, U.SHIPPED, "to the customer")
    _inspection(sessions, complaint_id, unit_id, Verdict.PASS)
    _inspection(sessions, complaint_id, unit_id, Verdict.FAIL)  # the latest run counts
    with pytest.raises(InvalidTransition, match="did not pass or there is none"):
        _move(sessions, unit_id, U.SHIPPED, "to the customer")
    passed = _inspection(sessions, complaint_id, unit_id, Verdict.PASS)
    assert _move(sessions, unit_id, U.SHIPPED, "to the customer") == "shipped"
    with sessions() as session:
        last = audit.history(session, "unit", unit_id)[-1]
    assert last.reason == f"to the customer (outgoing_inspection run {passed} passed)"


def test_an_invalidated_inspection_does_not_clear_shipping(sessions: sessionmaker[Session]) -> None:
    complaint_id, unit_id = _dispositioned(sessions)
    _move(sessions, unit_id, U.REPLACED, "replacement pack from stock")
    passed = _inspection(sessions, complaint_id, unit_id, Verdict.PASS)
    with sessions.begin() as session:
        invalidate_run(session, passed, reason="wrong pack on the fixture", actor="qa")
    with pytest.raises(InvalidTransition, match="run the outgoing inspection first"):
        _move(sessions, unit_id, U.SHIPPED, "to the customer")
    assert _status(sessions, unit_id) == "replaced"


def test_the_bench_sets_a_reworked_unit_back_but_never_invents_a_rework(
    sessions: sessionmaker[Session],
) -> None:
    _complaint_id, unit_id = _dispositioned(sessions)
    _move(sessions, unit_id, U.ON_BENCH, "re-test")
    with pytest.raises(InvalidTransition, match="the unit was never reworked"):
        _move(sessions, unit_id, U.REWORKED, "")
    with sessions.begin() as session:
        set_unit_status(session, unit_id, U.DISPOSITIONED, actor="qa", disposition="repair_board")
    _move(sessions, unit_id, U.REWORKED, "cells replaced")
    _move(sessions, unit_id, U.ON_BENCH, "outgoing inspection")
    assert _move(sessions, unit_id, U.REWORKED, "run 7 interrupted") == "reworked"
