"""A pack logged as two units (as two benches syncing it at once made it before the unit lock):
``verify`` names it with the command that fixes it, and ``merge_units`` puts every run back on
one unit, audited, so that the store verifies again and the unit's result counts all its runs."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, outcome, run_info, step
from twin_units import log_twice

from results.complaints import add_returned_unit, set_unit_status
from results.errors import ValidationError
from results.models import AuditEvent, ReturnedUnit, Run, UnitResult, UnitStatus
from results.run_import import import_run
from results.unit_merge import duplicate_units, merge_units
from results.verify import verify_store

SERIAL = "SN-0042"


def _logged_twice(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions.begin() as session:
        return log_twice(session, SERIAL, T0)


def _run(sessions: sessionmaker[Session], unit_id: int, *, hours: int) -> int:
    info = dataclasses.replace(run_info(SERIAL), started=T0 + timedelta(hours=hours))
    with sessions.begin() as session:
        return import_run(session, info, [step(0)], outcome(), unit_id=unit_id)


def _problems(sessions: sessionmaker[Session], evidence_dir: Path) -> list[str]:
    with sessions() as session:
        report = verify_store(session, evidence_dir)
    return [f"{p.kind} {p.ref}: {p.detail}" for p in report.problems]


def test_verify_names_the_pack_and_merging_moves_every_run_onto_the_first_unit(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    first, second = _logged_twice(sessions)
    later = _run(sessions, first, hours=3)
    earlier = [_run(sessions, second, hours=1), _run(sessions, second, hours=2)]

    problems = _problems(sessions, evidence_dir)
    assert problems == [
        f"unit serial {SERIAL}: logged as 2 units without a complaint (ids {first}, {second}): "
        "its runs are split between them; QA merges them with "
        f"`packbench unit merge {SERIAL} --reason TEXT --token QA_TOKEN`"
    ]

    with sessions.begin() as session:
        merged = merge_units(session, SERIAL, actor="qa.chen", reason="one pack, two benches")
    assert (merged.kept, merged.removed, merged.runs_moved) == (first, (second,), 2)

    assert _problems(sessions, evidence_dir) == []
    with sessions() as session:
        assert duplicate_units(session) == []
        assert session.get(ReturnedUnit, second) is None
        runs = session.scalars(select(Run.id).where(Run.unit_id == first).order_by(Run.id))
        assert list(runs) == sorted([later, *earlier])
        result = session.get_one(UnitResult, first)
        assert result.first_run_id == earlier[0]  # the pack's first run, once on the other unit
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.reason.like("one pack, two benches%"))
        ).all()
        assert sorted(actions) == sorted(
            ["run.unit_merged", "run.unit_merged", "unit.merged", "unit.merge_kept"]
        )


def test_units_that_disagree_are_merged_only_onto_the_unit_qa_names(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    first, second = _logged_twice(sessions)
    moved = _run(sessions, first, hours=1)
    with sessions.begin() as session:
        set_unit_status(session, second, UnitStatus.ON_BENCH, actor="qa.chen", reason="bench")

    with sessions.begin() as session, pytest.raises(ValidationError) as refused:
        merge_units(session, SERIAL, actor="qa.chen", reason="one pack")
    assert refused.value.field == "keep"
    assert "status 'received'" in str(refused.value) and "'on_bench'" in str(refused.value)

    with sessions.begin() as session:
        merged = merge_units(session, SERIAL, actor="qa.chen", reason="one pack", keep=second)
    assert (merged.kept, merged.removed, merged.runs_moved) == (second, (first,), 1)
    assert _problems(sessions, evidence_dir) == []
    with sessions() as session:
        assert session.get_one(Run, moved).unit_id == second
        assert session.get_one(ReturnedUnit, second).status == UnitStatus.ON_BENCH.value
        before = session.scalars(
            select(AuditEvent.before_json).where(
                AuditEvent.action == "unit.merged", AuditEvent.entity_id == str(first)
            )
        ).one()
        assert before is not None  # the removed unit's last state, kept
        assert '"status":"received"' in before.replace(" ", "")


@pytest.mark.parametrize(
    ("keep", "field"), [(None, "serial"), (999_999, "keep")], ids=["once", "not-one-of-them"]
)
def test_a_merge_that_makes_no_sense_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session], keep: int | None, field: str
) -> None:
    if keep is None:
        with sessions.begin() as session:
            add_returned_unit(session, None, serial=SERIAL, received_at=T0, actor="bench-1")
    else:
        _logged_twice(sessions)
    with sessions.begin() as session, pytest.raises(ValidationError) as refused:
        merge_units(session, SERIAL, actor="qa.chen", reason="x", keep=keep)
    assert refused.value.field == field
    with sessions() as session:
        assert len(session.scalars(select(ReturnedUnit.id)).all()) == (1 if keep is None else 2)
    with sessions.begin() as session, pytest.raises(ValidationError) as empty_reason:
        merge_units(session, SERIAL, actor="qa.chen", reason="  ")
    assert empty_reason.value.field == "reason"
