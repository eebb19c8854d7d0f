"""The stored per-unit results (``unit_result``) equal the ones computed from the runs after every
path that changes a unit's evidence: a run recorded live, a run imported, a run invalidated; and
``verify`` finds a stored result that drifted from its runs."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from reports_store import new_complaint, record_unit
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, outcome, register, run_info, step

from procedures.records import Conclusion, RunOutcome, Verdict
from results import unit_results
from results.models import ReturnedUnit, RunInvalidation, UnitResult
from results.recorder import DatabaseRecorder
from results.run_import import import_run
from results.run_validity import RunStanding, invalidate_run, standing
from results.unit_results import COLUMNS
from results.unit_summaries import summarise_unit
from results.verify import verify_store

IMPORTED_CAUSE = "cells over-discharged into UV protection"  # store_builders.outcome()


def _stored(session: Session) -> dict[int, tuple[Any, ...]]:
    columns = [getattr(UnitResult, c) for c in COLUMNS]
    return {row[0]: tuple(row) for row in session.execute(select(*columns))}


def _computed(session: Session) -> dict[int, tuple[Any, ...]]:
    """Each unit's results from its loaded runs by the Python rules (``summarise_unit``,
    ``standing``), independent of the SQL that fills the table."""
    invalid = {i.run_id: i for i in session.scalars(select(RunInvalidation))}
    expected: dict[int, tuple[Any, ...]] = {}
    for unit in session.scalars(select(ReturnedUnit)):
        valid = [r for r in unit.runs if standing(r, invalid.get(r.id)) is RunStanding.VALID]
        first = min(valid, key=lambda r: (r.started_at, r.id), default=None)
        if first is None:
            continue
        primary = summarise_unit(unit.runs, invalid).primary
        expected[unit.id] = (
            unit.id,
            None if primary is None else primary.run_id,
            None if primary is None else primary.conclusion("root_cause"),
            None if primary is None else primary.conclusion("cause_category"),
            first.id,
            first.verdict,
        )
    return expected


def _check(sessions: sessionmaker[Session]) -> dict[int, tuple[Any, ...]]:
    with sessions() as session:
        stored = _stored(session)
        assert stored == _computed(session)
        return stored


def test_stored_results_follow_recording_importing_and_invalidating(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, number = new_complaint(sessions)
    recorded = record_unit(
        sessions, complaint_id, "A1", root_cause="dead_cell", started=T0 - timedelta(days=1)
    )
    with sessions() as session:
        a1 = session.scalars(select(ReturnedUnit).where(ReturnedUnit.serial == "A1")).one().id
    assert _check(sessions)[a1][1:3] == (recorded, "dead_cell")

    # An imported re-diagnosis, later than the recorded one, becomes the primary result.
    info = dataclasses.replace(run_info("A1", complaint_number=number), procedure="diagnosis")
    with sessions.begin() as session:
        redone = import_run(session, info, [step(0)], outcome(), unit_id=a1)
    assert _check(sessions)[a1][1:3] == (redone, IMPORTED_CAUSE)

    # A unit whose only procedure is not a diagnosis: that procedure speaks for it.
    _other_complaint, other_number, b1 = register(sessions, serial="B1")
    with sessions.begin() as session:
        only = import_run(
            session, run_info("B1", complaint_number=other_number), [step(0)], outcome(), unit_id=b1
        )
    assert _check(sessions)[b1][1:2] == (only,)

    # QA sets the re-diagnosis aside: the recorded one speaks again; B1 loses its only result.
    with sessions.begin() as session:
        invalidate_run(session, redone, reason="wrong spec loaded", actor="qa")
        invalidate_run(session, only, reason="wrong unit on the fixture", actor="qa")
    stored = _check(sessions)
    assert stored[a1][1:3] == (recorded, "dead_cell") and b1 not in stored

    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
    assert report.unit_results == 1


@pytest.mark.parametrize("batch", [1, 2, unit_results.BATCH])
def test_verify_finds_a_stored_result_that_drifted(
    sessions: sessionmaker[Session], evidence_dir: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Whatever the batch of units the full check reads at a time (``unit_results.BATCH``):
    one unit per batch, batches that split the units, all in one."""
    monkeypatch.setattr(unit_results, "BATCH", batch)
    asked: list[Any] = []
    derive = unit_results.derived

    def derived_spy(session: Session, unit_ids: Any = None) -> Any:
        asked.append(None if unit_ids is None else list(unit_ids))
        return derive(session, unit_ids)

    monkeypatch.setattr(unit_results, "derived", derived_spy)
    complaint_id, _number = new_complaint(sessions)
    record_unit(sessions, complaint_id, "A0", root_cause="dead_cell")
    record_unit(sessions, complaint_id, "A1", root_cause="dead_cell")
    record_unit(sessions, complaint_id, "A2", root_cause="dead_cell")
    with sessions.begin() as session:
        a1, a2 = (
            select(ReturnedUnit.id).where(ReturnedUnit.serial == serial).scalar_subquery()
            for serial in ("A1", "A2")
        )
        session.execute(
            update(UnitResult).where(UnitResult.unit_id == a1).values(root_cause="bms_fw")
        )
        session.execute(delete(UnitResult).where(UnitResult.unit_id == a2))
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.unit_results == 3
    # never the whole store at once (its memory grew with the store): BATCH units a statement
    assert asked and all(ids is not None and 0 < len(ids) <= batch for ids in asked), asked
    assert [(p.kind, p.detail) for p in report.problems] == [
        ("unit_result", "stored result differs from its runs: root_cause 'bms_fw' != 'dead_cell'"),
        ("unit_result", "unit has a valid run but no stored result"),
    ]


def test_live_recorder_keeps_the_stored_result_through_every_rule(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    """The live recorder rewrites its unit's row on the driver (``refresh_unit_result_raw``):
    after each run of a sequence that exercises each rule of the choice (a unit's only
    procedure, a diagnosis over it, an earlier run becoming the first, an aborted run, a later
    non-diagnosis, a conclusion of each kind, one without), the row equals the Python rules'."""
    _complaint_id, number, unit_id = register(sessions)

    def cause(kind: str, value: str) -> Conclusion:
        return Conclusion(kind=kind, value=value, explanation="seen on the bench")

    hour = timedelta(hours=1)
    runs: list[tuple[str, timedelta, Verdict, tuple[Conclusion, ...]]] = [
        ("capacity_test", 1 * hour, Verdict.PASS, ()),
        ("diagnosis", 2 * hour, Verdict.FAIL, (cause("root_cause", "dead_cell"),)),
        ("diagnosis", hour / 2, Verdict.PASS, (cause("cause_category", "cell"),)),
        ("diagnosis", 3 * hour, Verdict.ABORTED, (cause("root_cause", "never"),)),
        ("capacity_test", 4 * hour, Verdict.FAIL, (cause("root_cause", "not primary"),)),
        (
            "diagnosis",
            5 * hour,
            Verdict.MARGINAL,
            (
                cause("cause_category", "bms"),
                cause("root_cause", "bms_fw"),
                cause("root_cause", "2nd"),
            ),
        ),
    ]
    for procedure, at, verdict, conclusions in runs:
        info = dataclasses.replace(
            run_info(complaint_number=number), procedure=procedure, started=T0 + at
        )
        recorder = DatabaseRecorder(sessions, unit_id=unit_id)
        recorder.run_started(info)
        recorder.run_finished(RunOutcome(verdict, T0 + at + hour / 4, conclusions=conclusions))
        _check(sessions)
    stored = _check(sessions)[unit_id]
    assert stored[2:4] == ("bms_fw", "bms")  # the latest diagnosis, its first root cause
    assert stored[5] == Verdict.PASS.name  # the earliest valid run, recorded third
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    assert report.ok, report.problems
