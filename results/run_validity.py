"""Which runs count as evidence, and QA's audited decision that a run does not.

A run stays in the record whatever happens to it: an invalid or aborted run is still listed (and
shown as such), but it is not evidence: it leaves the customer report's evidence annex and the
per-unit summaries. Only QA decides that a run is invalid (the service checks the role, the CLI
asks for a QA token); the decision is a ``run_invalidation`` row audited like every other change,
so ``verify`` keeps checking it and the run row itself is never edited.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from procedures.records import Verdict
from results import audit
from results.errors import NotFound, ValidationError
from results.integrity import snapshot
from results.models import Run, RunInvalidation, RunStatus
from results.read_model import RunRead
from results.unit_results import refresh_unit_results

REASON_LIMIT = 2000


class RunStanding(enum.StrEnum):
    """A run's standing as evidence."""

    VALID = "valid"
    INVALID = "invalid"
    """QA declared it invalid (with a reason)."""
    ABORTED = "aborted"
    """Ended before its procedure finished (aborted or interrupted): nothing to conclude from."""
    RUNNING = "running"
    """Still recording: not evidence yet."""


def standing(run: Run | RunRead, invalidation: RunInvalidation | None) -> RunStanding:
    if invalidation is not None:
        return RunStanding.INVALID
    if run.status == RunStatus.RUNNING.value:
        return RunStanding.RUNNING
    if (
        run.status != RunStatus.FINISHED.value
        or (run.verdict or Verdict.ABORTED.name) == Verdict.ABORTED.name
    ):
        return RunStanding.ABORTED
    return RunStanding.VALID


def invalidations(session: Session, run_ids: Iterable[int]) -> dict[int, RunInvalidation]:
    """QA's invalidations of ``run_ids``, by run id (one query)."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    rows = session.scalars(select(RunInvalidation).where(RunInvalidation.run_id.in_(ids)))
    return {row.run_id: row for row in rows}


def invalidate_run(
    session: Session,
    run_id: int,
    *,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> RunInvalidation:
    """Mark ``run_id`` invalid, audited, in the caller's transaction.

    The unit's stored result (``results.unit_results``) no longer counts the run once this
    commits. The caller has checked that ``actor`` is QA. A running run cannot be judged yet, and an
    invalid run stays invalid (record a new run instead of reviving an old one).
    """
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError("reason", "is empty", "say why the run is not evidence")
    if len(reason) > REASON_LIMIT:
        raise ValidationError(
            "reason", f"is {len(reason)} characters long", f"shorten to {REASON_LIMIT}"
        )
    run = session.get(Run, run_id, with_for_update=True)
    if run is None:
        raise NotFound("run", run_id)
    if run.status == RunStatus.RUNNING.value:
        raise ValidationError(
            "run", f"run {run_id} is still running", "wait until it finishes or is interrupted"
        )
    existing = session.scalars(
        select(RunInvalidation).where(RunInvalidation.run_id == run_id)
    ).one_or_none()
    if existing is not None:
        raise ValidationError(
            "run",
            f"run {run_id} was already declared invalid by {existing.invalidated_by}",
            "nothing to do; record a new run if the unit needs testing again",
        )
    row = RunInvalidation(
        run_id=run_id,
        reason=reason,
        invalidated_by=actor,
        invalidated_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    refresh_unit_results(session, [run.unit_id])
    audit.record(
        session,
        actor=actor,
        action="run.invalidated",
        entity_type="run_invalidation",
        entity_id=row.id,
        after=snapshot(row),
        reason=reason,
    )
    return row
