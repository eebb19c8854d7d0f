"""Each returned unit's primary and first results as SQL subqueries, for aggregates.

The same choice as ``results.unit_summaries`` (which works on loaded runs), written so that the
database makes it for thousands of units in one statement: a run is evidence when it finished
with a verdict other than aborted and QA did not declare it invalid (``results.run_validity``);
the primary result is the latest such run of the first-named diagnosis procedure, else of the
unit's only procedure; the first result is the unit's earliest such run, whatever its procedure.
``tests/results/test_dashboards.py`` holds both against the Python versions over generated data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH

from procedures.records import Verdict
from results.errors import ValidationError
from results.models import ReturnedUnit, Run, RunInvalidation, RunStatus


def evidence(run: Any = Run) -> ColumnElement[bool]:
    """SQL of ``standing(run) is VALID``."""
    invalid = select(RunInvalidation.id).where(RunInvalidation.run_id == run.id).exists()
    return and_(
        run.status == RunStatus.FINISHED.value,
        func.coalesce(run.verdict, Verdict.ABORTED.name) != Verdict.ABORTED.name,
        ~invalid,
    )


def ranked_primary(*carried: ColumnElement[Any]) -> Select[Any]:
    """The evidence runs of units (``run JOIN returned_unit``), ranked so that ``is_primary_row``
    picks each unit's primary result; restrict it to the units in scope before use.

    The conclusions ride along the window's sort, which measured cheaper than looking each
    primary run up again by id.
    """
    # ``is_primary_procedure``: the diagnosis speaks for the unit.
    primary = case((Run.procedure.like("%diagnosis%"), 1), else_=0)
    return (
        select(
            Run.unit_id.label("unit_id"),
            Run.conclusions.label("conclusions"),
            primary.label("is_primary"),
            func.row_number()
            .over(
                partition_by=Run.unit_id,
                order_by=(primary.desc(), Run.procedure, Run.started_at.desc(), Run.id.desc()),
            )
            .label("rn"),
            func.min(Run.procedure).over(partition_by=Run.unit_id).label("first_procedure"),
            func.max(Run.procedure).over(partition_by=Run.unit_id).label("last_procedure"),
            *carried,
        )
        .select_from(ReturnedUnit)
        .join(Run, Run.unit_id == ReturnedUnit.id)
        .where(evidence())
    )


def is_primary_row(ranked: Subquery) -> ColumnElement[bool]:
    """The latest run of the first-named diagnosis, else of the unit's only procedure."""
    return and_(
        ranked.c.rn == 1,
        or_(ranked.c.is_primary == 1, ranked.c.first_procedure == ranked.c.last_procedure),
    )


def ranked_first(*carried: ColumnElement[Any]) -> Select[Any]:
    """The evidence runs of units with their verdict, ``rn`` 1 on each unit's earliest."""
    return (
        select(
            Run.unit_id.label("unit_id"),
            Run.verdict.label("verdict"),
            func.row_number()
            .over(partition_by=Run.unit_id, order_by=(Run.started_at, Run.id))
            .label("rn"),
            *carried,
        )
        .select_from(ReturnedUnit)
        .join(Run, Run.unit_id == ReturnedUnit.id)
        .where(evidence())
    )


def conclusion(conclusions: Any, kind: str, dialect: str) -> ColumnElement[Any]:
    """The value of the first conclusion of ``kind`` in a run's ``conclusions`` JSON array."""
    if dialect == "sqlite":
        each = func.json_each(conclusions).table_valued("value", "key").alias("c")
        return (
            select(func.json_extract(each.c.value, "$.value"))
            .where(func.json_extract(each.c.value, "$.kind") == kind)
            .order_by(each.c.key)
            .limit(1)
            .scalar_subquery()
        )
    if dialect == "postgresql":
        # The first match in array order, like the scalar subquery above; a JSON ``null`` or an
        # entry that is no object matches nothing (lax mode). Measured faster than expanding the
        # array with json_array_elements and sorting by ordinality.
        found = func.jsonb_path_query_first(
            cast(conclusions, JSONB),
            cast(literal("$[*] ? (@.kind == $kind).value"), JSONPATH),
            func.jsonb_build_object("kind", kind),
        )
        return found.op("#>>", return_type=String)(literal_column("'{}'"))
    raise ValidationError("database", f"{dialect} is not supported", "use SQLite or PostgreSQL")
