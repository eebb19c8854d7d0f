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

from sqlalchemy import ColumnElement, String, Subquery, and_, case, func, or_, select
from sqlalchemy.sql.selectable import ScalarSelect

from procedures.records import Verdict
from results.errors import ValidationError
from results.models import Run, RunInvalidation, RunStatus


def evidence(run: Any = Run) -> ColumnElement[bool]:
    """SQL of ``standing(run) is VALID``."""
    invalid = select(RunInvalidation.id).where(RunInvalidation.run_id == run.id).exists()
    return and_(
        run.status == RunStatus.FINISHED.value,
        func.coalesce(run.verdict, Verdict.ABORTED.name) != Verdict.ABORTED.name,
        ~invalid,
    )


def primary_runs(unit_ids: Any) -> Subquery:
    """(unit_id, run_id) of each unit in ``unit_ids`` (a select of ids) with a primary result."""
    # ``is_primary_procedure``: the diagnosis speaks for the unit.
    primary = case((Run.procedure.like("%diagnosis%"), 1), else_=0)
    ranked = (
        select(
            Run.unit_id.label("unit_id"),
            Run.id.label("run_id"),
            primary.label("is_primary"),
            func.row_number()
            .over(
                partition_by=Run.unit_id,
                order_by=(primary.desc(), Run.procedure, Run.started_at.desc(), Run.id.desc()),
            )
            .label("rn"),
            func.min(Run.procedure).over(partition_by=Run.unit_id).label("first_procedure"),
            func.max(Run.procedure).over(partition_by=Run.unit_id).label("last_procedure"),
        )
        .where(Run.unit_id.in_(unit_ids), evidence())
        .subquery("ranked_primary")
    )
    return (
        select(ranked.c.unit_id, ranked.c.run_id)
        .where(
            ranked.c.rn == 1,
            or_(ranked.c.is_primary == 1, ranked.c.first_procedure == ranked.c.last_procedure),
        )
        .subquery("primary_run")
    )


def first_runs(unit_ids: Any) -> Subquery:
    """(unit_id, run_id, verdict) of each unit's earliest run that is evidence."""
    ranked = (
        select(
            Run.unit_id.label("unit_id"),
            Run.id.label("run_id"),
            Run.verdict.label("verdict"),
            func.row_number()
            .over(partition_by=Run.unit_id, order_by=(Run.started_at, Run.id))
            .label("rn"),
        )
        .where(Run.unit_id.in_(unit_ids), evidence())
        .subquery("ranked_first")
    )
    return (
        select(ranked.c.unit_id, ranked.c.run_id, ranked.c.verdict)
        .where(ranked.c.rn == 1)
        .subquery("first_run")
    )


def conclusion(conclusions: Any, kind: str, dialect: str) -> ScalarSelect[Any]:
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
        # A run without conclusions may hold JSON ``null``, which json_array_elements refuses.
        array = case((func.json_typeof(conclusions) == "array", conclusions))
        element = (
            func.json_array_elements(array)
            .table_valued("value", with_ordinality="n")
            .render_derived(name="c")
        )
        return (
            select(element.c.value.op("->>", return_type=String)("value"))
            .where(element.c.value.op("->>", return_type=String)("kind") == kind)
            .order_by(element.c.n)
            .limit(1)
            .scalar_subquery()
        )
    raise ValidationError("database", f"{dialect} is not supported", "use SQLite or PostgreSQL")
