"""The live recorder's start and finish of a run, on the driver like its steps.

Why: a run's fixed cost (DESIGN.md §8, issue #18: under 0.5 ms on SQLite) went almost all into
SQLAlchemy's own Python when ``run_started`` and ``run_finished`` went through an ORM session:
a session and a pool checkout per call, ``session.get`` and flushes through the unit of work,
statement cache lookups and result set-up for each of about 18 statements, while SQLite runs them,
both commits included, in about 0.2 ms. So the recorder now starts and finishes its run on the
connection its ``StepWriter`` holds for the run (``results.step_writer``: statements prepared
once, bound by SQLAlchemy's own bind processors, rows read back through its result processors).

Nothing is weaker: the same statements in the same transactions (``BEGIN IMMEDIATE`` on SQLite,
the unit row and chain head locked on PostgreSQL), the same audit events linked onto the chain
head inside the transaction that makes the change, the same unit result rewritten in the
transaction that finishes the run. The run row's values, the finished values, the checks of the
unit and complaint, the snapshots, the event content and the unit result's statements are the
definitions the ORM path (``recorder.insert_run``, ``finish_run``, ``seal_steps``: the journal
replay and the run import) uses too, so the two paths cannot drift apart;
``tests/results/test_recorder.py::test_live_recorder_writes_what_the_import_writes`` holds them
to the same rows and events on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table

from procedures.records import RunInfo, RunOutcome
from results import audit
from results.errors import NotFound, ValidationError
from results.integrity import RUN_FIELDS, run_snapshot
from results.models import Complaint, ReturnedUnit, Run, RunStatus
from results.step_writer import StepWriter
from results.unit_results import refresh_unit_result_raw

_RUN = cast(Table, Run.__table__)
_UNIT = cast(Table, ReturnedUnit.__table__)
_COMPLAINT = cast(Table, Complaint.__table__)
HOST = socket.gethostname()


def aware(value: datetime, field: str) -> datetime:
    """``value`` if it has a time zone; a naive time is refused (it would shift by the host's
    offset when stored)."""
    if value.tzinfo is None:
        raise ValidationError(field, f"{value.isoformat()} has no time zone", "use UTC datetimes")
    return value


def new_run_values(
    info: RunInfo,
    *,
    unit_id: int,
    complaint_id: int | None,
    started: datetime,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of the ``running`` run row for ``info`` (``conclusions``, ``ended_at``
    and ``verdict`` stay NULL until it finishes), as every path writes it."""
    return {
        "unit_id": unit_id,
        "complaint_id": complaint_id,
        "procedure": info.procedure,
        "procedure_version": info.procedure_version,
        "station": info.station,
        "operator": info.operator,
        "spec": info.spec,
        "started_at": started,
        "status": RunStatus.RUNNING.value,
        "interrupted": False,
        "message": "",
        "host": HOST,
        "pid": os.getpid(),
        "heartbeat_at": datetime.now(UTC) if now is None else now,
        "steps_recorded": 0,
    }


def finished_values(outcome: RunOutcome, ended: datetime) -> dict[str, Any]:
    """The columns a finished run's ``outcome`` sets, as every path writes them."""
    return {
        "ended_at": ended,
        "verdict": outcome.verdict.name,
        "status": RunStatus.FINISHED.value,
        "message": outcome.message,
        "conclusions": [asdict(c) | {"evidence": list(c.evidence)} for c in outcome.conclusions],
    }


def check_target(
    info: RunInfo,
    *,
    unit_id: int,
    unit: tuple[str, int | None] | None,
    complaint_id: int | None,
    complaint_number: Callable[[int], str | None],
) -> int | None:
    """The run's complaint id, after checking ``info`` against its unit (``unit``: its serial
    and complaint id, ``None`` when there is no such unit) and, when ``info`` names a complaint,
    against that complaint's number (``complaint_number``, looked up only then; ``None``: no
    such complaint)."""
    if unit is None:
        raise NotFound("returned unit", unit_id)
    serial, unit_complaint = unit
    if serial != info.unit_serial:
        raise ValidationError(
            "unit_serial",
            f"run is for {info.unit_serial!r} but unit {unit_id} is {serial!r}",
            "start the run for the unit on the bench",
        )
    complaint_id = complaint_id if complaint_id is not None else unit_complaint
    if complaint_id is not None and info.complaint_number is not None:
        number = complaint_number(complaint_id)
        if number is None:
            raise NotFound("complaint", complaint_id)
        if number != info.complaint_number:
            raise ValidationError(
                "complaint_number",
                f"run names {info.complaint_number} but complaint {complaint_id} is {number}",
                "record the run against the complaint it belongs to",
            )
    return complaint_id


def seal_content(run_id: int, steps: int, chain: str) -> dict[str, Any]:
    """What the event that vouches for a run's steps says (``integrity.step_link``)."""
    return {
        "action": "run.steps_sealed",
        "entity_type": audit.RUN_STEPS,
        "entity_id": run_id,
        "after": {"steps": steps, "chain": chain},
    }


def start_run(writer: StepWriter, info: RunInfo, *, unit_id: int, complaint_id: int | None) -> int:
    """Check ``info``, insert the ``running`` run row and its ``run.started`` event in the
    writer's open transaction; return the run's id. The caller commits or rolls back."""
    started = aware(info.started, "started")
    unit = writer.select_row(_UNIT, ("serial", "complaint_id"), "id", unit_id)

    def number_of(complaint: int) -> str | None:
        row = writer.select_row(_COMPLAINT, ("number",), "id", complaint)
        return None if row is None else cast(str, row["number"])

    complaint_id = check_target(
        info,
        unit_id=unit_id,
        unit=None if unit is None else (unit["serial"], unit["complaint_id"]),
        complaint_id=complaint_id,
        complaint_number=number_of,
    )
    values = new_run_values(info, unit_id=unit_id, complaint_id=complaint_id, started=started)
    run_id = writer.insert_returning_id(_RUN, values)
    unset = {"id": run_id, "ended_at": None, "verdict": None, "conclusions": None}
    after = run_snapshot(values | unset)
    event = audit.raw_event(
        actor=info.operator or "unknown",
        action="run.started",
        entity_type="run",
        entity_id=run_id,
        after=after,
    )
    audit.append_raw(writer, [event])
    return run_id


def finish_recorded_run(
    writer: StepWriter,
    run_id: int,
    outcome: RunOutcome,
    *,
    ended: datetime,
    actor: str,
    steps: int,
    chain: str,
) -> None:
    """Write ``outcome`` into run ``run_id``, rewrite its unit's stored result and append the
    ``run.finished`` event (from the row as stored now) and the seal of its ``steps`` and
    ``chain``, in the writer's open transaction. The caller commits or rolls back."""
    before = writer.select_row(_RUN, RUN_FIELDS, "id", run_id)
    if before is None:
        raise NotFound("run", run_id)
    changes = finished_values(outcome, ended)
    writer.update_row(_RUN, changes, "id", run_id)
    refresh_unit_result_raw(writer, int(before["unit_id"]))
    finished = audit.raw_event(
        actor=actor,
        action="run.finished",
        entity_type="run",
        entity_id=run_id,
        before=before,
        after=run_snapshot(before | changes),
    )
    seal = audit.raw_event(actor=actor, **seal_content(run_id, steps, chain))
    audit.append_raw(writer, [finished, seal])
