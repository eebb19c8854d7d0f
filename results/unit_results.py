"""The stored per-unit results (``unit_result``): written where a unit's evidence changes, and
re-derived by ``packbench verify``.

A run becomes evidence only when it finishes with a verdict other than aborted
(``results.recorder.finish_run``, shared by the live recorder, the journal replay and the run
import) and stops being evidence only when QA declares it invalid (``results.run_validity``);
a run interrupted was never evidence. Those two places call ``refresh_unit_results`` in their own
transaction, so a committed run and its unit's stored result cannot disagree. The choice itself
is ``results.unit_results_sql`` (the same SQL the aggregates used to run on every request), so
the stored row and the re-derivation in ``verify`` are one definition. Bulk loads behind the
store's back (benchmarks, generated test data) call ``refresh_unit_results`` without units.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, Text, cast, delete, insert, select
from sqlalchemy.orm import Session

from results.models import ReturnedUnit, Run, UnitResult
from results.unit_results_sql import conclusion, is_primary_row, ranked_first, ranked_primary
from results.verify_report import VerifyReport

COLUMNS = (
    "unit_id",
    "primary_run_id",
    "root_cause",
    "cause_category",
    "first_run_id",
    "first_verdict",
)


def derived(dialect: str, unit_ids: Collection[int] | None = None) -> Select[Any]:
    """One row per unit with a run that counts as evidence, in ``COLUMNS`` order, computed from
    the runs; only ``unit_ids`` when given."""
    primary = ranked_primary(Run.id.label("run_id"))
    first = ranked_first(Run.id.label("run_id"))
    if unit_ids is not None:
        primary = primary.where(Run.unit_id.in_(unit_ids))
        first = first.where(Run.unit_id.in_(unit_ids))
    ranked = primary.subquery("ranked")
    chosen = (
        select(
            ranked.c.unit_id,
            ranked.c.run_id,
            # As text, like the column: SQLite's json_extract keeps a JSON number a number.
            cast(conclusion(ranked.c.conclusions, "root_cause", dialect), Text).label("root_cause"),
            cast(conclusion(ranked.c.conclusions, "cause_category", dialect), Text).label(
                "cause_category"
            ),
        )
        .where(is_primary_row(ranked))
        .subquery("chosen")
    )
    earliest = first.subquery("earliest")
    return (
        select(
            earliest.c.unit_id,
            chosen.c.run_id,
            chosen.c.root_cause,
            chosen.c.cause_category,
            earliest.c.run_id,
            earliest.c.verdict,
        )
        .outerjoin_from(earliest, chosen, chosen.c.unit_id == earliest.c.unit_id)
        .where(earliest.c.rn == 1)
    )


def refresh_unit_results(session: Session, unit_ids: Collection[int] | None = None) -> None:
    """Rewrite the stored results of ``unit_ids`` (every unit when ``None``) from their runs.

    The units' rows are locked first (in id order), so two transactions finishing runs of one
    unit write its result one after the other instead of both inserting it.
    """
    session.flush()
    if unit_ids is not None:
        if not unit_ids:
            return
        ids = sorted(set(unit_ids))
        locked = select(ReturnedUnit.id).where(ReturnedUnit.id.in_(ids)).order_by(ReturnedUnit.id)
        session.execute(locked.with_for_update()).all()
        session.execute(delete(UnitResult).where(UnitResult.unit_id.in_(ids)))
    else:
        ids = None
        session.execute(delete(UnitResult))
    dialect = session.get_bind().dialect.name
    session.execute(insert(UnitResult).from_select(COLUMNS, derived(dialect, ids)))


def verify_unit_results(session: Session, report: VerifyReport) -> None:
    """Every stored unit result against the one derived from the runs now (derived data that
    a write behind the store's back, or a path that forgot to refresh, would leave stale)."""
    dialect = session.get_bind().dialect.name
    stored = {
        row[0]: tuple(row)
        for row in session.execute(select(*(getattr(UnitResult, c) for c in COLUMNS)))
    }
    computed = {row[0]: tuple(row) for row in session.execute(derived(dialect))}
    for unit_id in sorted(stored.keys() | computed.keys()):
        report.unit_results += 1
        have, want = stored.get(unit_id), computed.get(unit_id)
        if have == want:
            continue
        if have is None:
            detail = "unit has a valid run but no stored result"
        elif want is None:
            detail = "stored result but no valid run"
        else:
            detail = "stored result differs from its runs: " + ", ".join(
                f"{c} {h!r} != {w!r}" for c, h, w in zip(COLUMNS, have, want, strict=True) if h != w
            )
        report.add("unit_result", f"unit id={unit_id}", detail)
