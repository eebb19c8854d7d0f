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

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from typing import cast as typed

from sqlalchemy import Integer, Select, Table, Text, bindparam, cast, delete, insert, select
from sqlalchemy.orm import Session

from results.models import ReturnedUnit, Run, UnitResult
from results.step_writer import StepWriter
from results.unit_results_sql import conclusion, is_primary_row, ranked_first, ranked_primary
from results.verify_report import VerifyReport

Row = tuple[Any, ...]
BATCH = 5000
_UNIT_RESULT = typed(Table, UnitResult.__table__)
COLUMNS = (
    "unit_id",
    "primary_run_id",
    "root_cause",
    "cause_category",
    "first_run_id",
    "first_verdict",
)


def derived(session: Session, unit_ids: Collection[int] | None = None) -> dict[int, Row]:
    """Each unit with a run that counts as evidence and its row in ``COLUMNS`` order, computed
    from the runs; only ``unit_ids`` when given.

    Two statements merged here: joining the two ranked subqueries in SQL made PostgreSQL loop
    over one for each row of the other (over 20 minutes for 50,000 units).
    """
    scope = "all" if unit_ids is None else "units"
    chosen, firsts = _statements(session.get_bind().dialect.name, scope)
    params = {} if unit_ids is None else {"unit_ids": list(unit_ids)}
    primaries = session.execute(chosen, params).all()  # read to the end before the next
    return _merge(primaries, session.execute(firsts, params))


@cache
def _statements(dialect: str, scope: str) -> tuple[Select[Any], Select[Any]]:
    """The two statements of ``derived``, built once per dialect (building them cost more than
    running them for one unit, on every finished run). ``scope``: ``all`` units, the ``units``
    of the expanding parameter ``unit_ids``, or the ``unit`` of the parameter ``unit_id``
    (``refresh_unit_result_raw``: a statement compiled once, without an expanding list)."""
    primary = ranked_primary(Run.id.label("run_id"))
    first = ranked_first(Run.id.label("run_id"))
    if scope == "units":
        primary = primary.where(Run.unit_id.in_(bindparam("unit_ids", expanding=True)))
        first = first.where(Run.unit_id.in_(bindparam("unit_ids", expanding=True)))
    elif scope == "unit":
        primary = primary.where(Run.unit_id == bindparam("unit_id", type_=Integer))
        first = first.where(Run.unit_id == bindparam("unit_id", type_=Integer))
    elif scope != "all":
        raise ValueError(f"unknown scope {scope!r}")
    ranked = primary.subquery("ranked")
    earliest = first.subquery("earliest")
    chosen = select(
        ranked.c.unit_id,
        ranked.c.run_id,
        # As text, like the column: SQLite's json_extract keeps a JSON number a number.
        cast(conclusion(ranked.c.conclusions, "root_cause", dialect), Text),
        cast(conclusion(ranked.c.conclusions, "cause_category", dialect), Text),
    ).where(is_primary_row(ranked))
    firsts = select(earliest.c.unit_id, earliest.c.run_id, earliest.c.verdict).where(
        earliest.c.rn == 1
    )
    return chosen, firsts


def _merge(primaries: Iterable[Row], firsts: Iterable[Row]) -> dict[int, Row]:
    """The rows of the two statements merged into ``COLUMNS`` order, by unit."""
    chosen = {row[0]: tuple(row[1:]) for row in primaries}
    return {
        typed(int, unit_id): (unit_id, *chosen.get(unit_id, (None, None, None)), run_id, verdict)
        for unit_id, run_id, verdict in firsts
    }


_DEFERRED = "packbench.unit_results.deferred"
"""``session.info`` key of the units whose refresh ``refreshed_once`` holds back."""


@contextmanager
def refreshed_once(session: Session) -> Iterator[None]:
    """Within: ``refresh_unit_results`` of given units only notes them; at the end (when the
    block did not raise) they are all refreshed in one go.

    For a transaction that records many runs (a bench's synced batch): the refresh after each
    run cost five statements, and a unit's stored result depends only on its runs as they
    stand at the commit, so refreshing each unit once, last, writes the same rows.
    """
    if _DEFERRED in session.info:  # nested: the outer block refreshes
        yield
        return
    units: set[int] = set()
    session.info[_DEFERRED] = units
    try:
        yield
    finally:
        del session.info[_DEFERRED]
    refresh_unit_results(session, units)


def refresh_unit_results(session: Session, unit_ids: Collection[int] | None = None) -> None:
    """Rewrite the stored results of ``unit_ids`` (every unit when ``None``) from their runs.

    The units' rows are locked first (in id order), so two transactions finishing runs of one
    unit write its result one after the other instead of both inserting it. The lock is ``FOR NO
    KEY UPDATE``: a plain ``FOR UPDATE`` would also wait for the key-share lock that every other
    transaction inserting a run of the unit holds (the foreign key), while that transaction waits
    for the audit chain head this one holds, a deadlock seen with concurrent service workers.
    """
    deferred: set[int] | None = session.info.get(_DEFERRED)
    if deferred is not None and unit_ids is not None:
        deferred.update(unit_ids)
        return
    session.flush()
    ids: list[int] | None = None
    if unit_ids is not None:
        if not unit_ids:
            return
        ids = sorted(set(unit_ids))
        if session.get_bind().dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE is the lock
            locked = select(ReturnedUnit.id).where(ReturnedUnit.id.in_(ids))
            session.execute(locked.order_by(ReturnedUnit.id).with_for_update(key_share=True)).all()
        session.execute(delete(UnitResult).where(UnitResult.unit_id.in_(ids)))
    else:
        session.execute(delete(UnitResult))
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in derived(session, ids).values()]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(UnitResult), rows[start : start + BATCH])


def refresh_unit_result_raw(writer: StepWriter, unit_id: int) -> None:
    """``refresh_unit_results`` for one unit in a ``StepWriter`` transaction (the live
    recorder's finish of a run, ``results.run_writer``): the same lock, the same two statements
    (compiled once), the same row, without an ORM session."""
    dialect = writer.dialect_name
    if dialect != "sqlite":  # SQLite: BEGIN IMMEDIATE is the lock
        writer.execute("SELECT id FROM returned_unit WHERE id = ? FOR NO KEY UPDATE", (unit_id,))
    writer.execute("DELETE FROM unit_result WHERE unit_id = ?", (unit_id,))
    chosen, firsts = _statements(dialect, "unit")
    params = {"unit_id": unit_id}
    rows = _merge(writer.fetch_all(chosen, params), writer.fetch_all(firsts, params))
    writer.insert_many(
        _UNIT_RESULT, [dict(zip(COLUMNS, row, strict=True)) for row in rows.values()]
    )


def refresh_unit_result_on(session: Session, writer: StepWriter, unit_id: int) -> None:
    """``refresh_unit_results(session, [unit_id])`` on ``writer``, a ``StepWriter`` borrowing
    ``session``'s connection (``StepWriter.borrowing``): the driver-level statements of
    ``refresh_unit_result_raw`` (through the session they were 3 ms of a 12 ms run import),
    still held back inside ``refreshed_once``. The caller has flushed the session."""
    deferred: set[int] | None = session.info.get(_DEFERRED)
    if deferred is not None:
        deferred.add(unit_id)
        return
    refresh_unit_result_raw(writer, unit_id)


def verify_unit_results(
    session: Session, report: VerifyReport, unit_ids: Collection[int] | None = None
) -> None:
    """Every stored unit result (or those of ``unit_ids``) against the one derived from the
    runs now (derived data that a write behind the store's back, or a path that forgot to
    refresh, would leave stale).

    ``BATCH`` units at a time, every unit's id streamed for a full check: the stored and the
    derived results of the whole store, held at once, were most of ``verify --full``'s memory
    at 500,000 units (756 MB at a million runs against the 300 MB of issue #18). A stored result
    always has its unit (a foreign key), so the units' ids cover both sides."""
    if unit_ids is not None:
        for start in range(0, len(ids := sorted(set(unit_ids))), BATCH):
            _verify_units(session, report, ids[start : start + BATCH])
        return
    every_unit = session.scalars(
        select(ReturnedUnit.id).order_by(ReturnedUnit.id).execution_options(yield_per=BATCH)
    )
    for chunk in every_unit.partitions():
        _verify_units(session, report, list(chunk))


def _verify_units(session: Session, report: VerifyReport, ids: list[int]) -> None:
    query = select(*(getattr(UnitResult, c) for c in COLUMNS)).where(UnitResult.unit_id.in_(ids))
    stored = {row[0]: tuple(row) for row in session.execute(query)}
    computed = derived(session, ids)
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
