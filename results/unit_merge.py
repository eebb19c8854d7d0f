"""Packs logged as more than one unit, and merging them into one.

Why this exists: until unit creation took ``results.db.one_at_a_time`` (commit b90c57e), two
benches syncing their first runs of one pack at the same moment each created a unit for it on
PostgreSQL, and the pack's runs were split between the two rows. Under a complaint the unique
constraint on (complaint, serial) refused the second; for a pack synced without a complaint it
cannot, since SQL treats every NULL complaint as different. ``duplicate_units`` finds such
packs (``packbench verify`` reports each one), and ``merge_units`` puts the runs back on one
unit: the first one logged, or the one QA names, every moved row audited, the emptied units
deleted with their last state kept in the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from results import audit
from results.complaints import unit_key
from results.db import one_at_a_time
from results.errors import ValidationError
from results.integrity import snapshot
from results.models import ReturnedUnit, Run, UnitResult
from results.unit_results import refresh_unit_results

KEPT_FIELDS = ("status", "disposition", "lot", "product_model")
"""What a unit says of the pack beyond its serial: units that disagree on any of these are merged
only when QA names the unit whose values stay (the others' are kept in the audit trail)."""

_NO_COMPLAINT = ReturnedUnit.complaint_id.is_(None)


@dataclass(frozen=True)
class DuplicateUnits:
    """One pack logged as several units: its serial and the units, in the order logged."""

    serial: str
    unit_ids: tuple[int, ...]


@dataclass(frozen=True)
class MergedUnits:
    kept: int
    removed: tuple[int, ...]
    runs_moved: int


def duplicate_units(session: Session) -> list[DuplicateUnits]:
    """Every serial logged as more than one unit without a complaint (under a complaint the
    unique constraint on (complaint, serial) has always refused a second one).

    One grouped statement over those units, then one per duplicated serial (there should be
    none); units with a complaint, nearly all of them, are not read (the complaint index).
    """
    serials = session.scalars(
        select(ReturnedUnit.serial)
        .where(_NO_COMPLAINT)
        .group_by(ReturnedUnit.serial)
        .having(func.count() > 1)
        .order_by(ReturnedUnit.serial)
    ).all()
    return [DuplicateUnits(serial, tuple(_unit_ids(session, serial))) for serial in serials]


def _unit_ids(session: Session, serial: str) -> Sequence[int]:
    return session.scalars(
        select(ReturnedUnit.id)
        .where(_NO_COMPLAINT, ReturnedUnit.serial == serial)
        .order_by(ReturnedUnit.id)
    ).all()


def merge_units(
    session: Session,
    serial: str,
    *,
    actor: str,
    reason: str,
    keep: int | None = None,
) -> MergedUnits:
    """Move every run of the units of ``serial`` without a complaint onto one of them and delete
    the others, in the caller's transaction.

    The unit kept is ``keep``, or else the first logged; units that disagree on ``KEPT_FIELDS``
    are refused without ``keep``, since which status or disposition is right is QA's call.
    Taking the unit's creation lock first means no bench can sync a new unit of the serial
    between the look-up and the commit.
    """
    if not reason.strip():
        raise ValidationError("reason", "is empty", "say why the units are one pack")
    one_at_a_time(session, unit_key(None, serial))
    units: Sequence[ReturnedUnit] = session.scalars(
        select(ReturnedUnit)
        .where(_NO_COMPLAINT, ReturnedUnit.serial == serial)
        .order_by(ReturnedUnit.id)
        .with_for_update()
    ).all()
    if len(units) < 2:
        raise ValidationError(
            "serial",
            f"{serial} is logged as {len(units)} unit(s) without a complaint, nothing to merge",
            "give a serial that `packbench verify` reports as logged more than once",
        )
    kept = _kept(units, keep)
    others = [unit for unit in units if unit.id != kept.id]
    moved = 0
    for other in others:
        moved += _move_runs(session, other, kept, actor=actor, reason=reason)
        session.execute(delete(UnitResult).where(UnitResult.unit_id == other.id))
        audit.record(
            session,
            actor=actor,
            action="unit.merged",
            entity_type="unit",
            entity_id=other.id,
            before=snapshot(other),
            reason=f"{reason} (merged into unit {kept.id})",
        )
        session.delete(other)
    session.flush()
    removed = tuple(other.id for other in others)
    audit.record(
        session,
        actor=actor,
        action="unit.merge_kept",
        entity_type="unit",
        entity_id=kept.id,
        before=snapshot(kept),
        after=snapshot(kept),
        reason=f"{reason} (took the runs of unit(s) {', '.join(map(str, removed))})",
    )
    refresh_unit_results(session, [kept.id])
    return MergedUnits(kept.id, removed, moved)


def _kept(units: Sequence[ReturnedUnit], keep: int | None) -> ReturnedUnit:
    if keep is not None:
        chosen = [unit for unit in units if unit.id == keep]
        if not chosen:
            ids = ", ".join(str(unit.id) for unit in units)
            raise ValidationError("keep", f"unit {keep} is not one of them", f"choose one of {ids}")
        return chosen[0]
    first = units[0]
    for unit in units[1:]:
        for name in KEPT_FIELDS:
            if getattr(unit, name) != getattr(first, name):
                raise ValidationError(
                    "keep",
                    f"unit {first.id} has {name} {getattr(first, name)!r} and unit {unit.id} "
                    f"{getattr(unit, name)!r}",
                    "name the unit whose status and details are right (--keep ID); the other's "
                    "stay in the audit trail",
                )
    return first


def _move_runs(
    session: Session, source: ReturnedUnit, target: ReturnedUnit, *, actor: str, reason: str
) -> int:
    """Point ``source``'s runs at ``target``, each change audited with the run's whole state
    (so ``verify`` compares the row with its new state). Runs are all that name a unit without
    a complaint: an outgoing report is made only for a complaint's unit."""
    runs = session.scalars(
        select(Run).where(Run.unit_id == source.id).order_by(Run.id).with_for_update()
    ).all()
    for run in runs:
        before = snapshot(run)
        run.unit_id = target.id
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="run.unit_merged",
            entity_type="run",
            entity_id=run.id,
            before=before,
            after=snapshot(run),
            reason=reason,
        )
    return len(runs)
