"""Safe start: a station is switched off and a store cleared of dead runs before anything else.

Two things a command finds after a crash, and what it does about them (issue 11):

* **Outputs left on.** A runner killed together with its watchdog (or a host that lost power)
  leaves a source charging. Opening a station therefore asks every source and load what it is
  doing, switches every output off and confirms it *before any measurement* (the as-received
  voltage of the next pack must be the pack's own, not the source's). A temperature chamber
  left controlling its air (a run that died in its 0 degC soak) is set to standby the same way.
  An output found on is returned as a finding: the runner shows it on screen and records it in
  the run.
* **Runs left ``running``.** Any command that opens the store marks the runs of this host whose
  process is gone as interrupted, and sets their units back to the status they had before the
  bench took them. Runs of another host are left alone (we cannot see its processes) and show as
  "unknown".
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from instruments.roles import DCSource, ElectronicLoad, Instrument, TemperatureChamber
from procedures.context import StepContext
from procedures.declared import Declared
from procedures.engine import Procedure, Step, run_order
from procedures.measurements import CategoricalMeasurement
from results.complaints import set_unit_status
from results.db import read_session_factory
from results.models import AuditEvent, ReturnedUnit, Run, RunStatus, UnitStatus
from results.read_model import RunRead
from results.recorder import interrupt_run, mark_interrupted_runs, process_alive, this_host
from results.store import open_store

SAFE_START_STEP = "safe_start"
FOUND_ON = CategoricalMeasurement(
    "outputs_found_on",
    description="outputs found ON when the station was opened; switched off and confirmed "
    "before any measurement (a previous run ended without its safe state)",
)


class SafeStartError(Exception):
    """An output could not be confirmed off at station open: nothing may be measured."""


# -- instruments --------------------------------------------------------------------------------


def _found_on(role: str, instrument: Instrument) -> list[str]:
    """What is on, by asking; a question that fails is reported as unknown (still switched off)."""
    found: list[str] = []
    try:
        if isinstance(instrument, DCSource):
            found += [
                f"{role} channel {ch} output ON"
                for ch in instrument.channels
                if instrument.is_output_on(ch)
            ]
        elif isinstance(instrument, ElectronicLoad) and instrument.is_input_on():
            found.append(f"{role} input ON")
        elif isinstance(instrument, TemperatureChamber) and instrument.is_controlling():
            found.append(f"{role} controlling its air (set to standby)")
    except Exception as exc:  # the off commands below are what matters; say we could not ask
        found.append(f"{role} state unknown ({type(exc).__name__}: {exc})")
    return found


def bring_to_safe_state(opened: dict[str, Instrument]) -> list[str]:
    """Switch every source and load off and a chamber to standby, confirmed; return what was on.

    Raises ``SafeStartError`` naming every instrument whose safe state is not confirmed.
    """
    findings: list[str] = []
    failures: list[str] = []
    # Outputs first, whatever the station's order: a slow chamber must not delay them.
    chambers_last = sorted(opened.items(), key=lambda item: isinstance(item[1], TemperatureChamber))
    for role, instrument in chambers_last:
        if not isinstance(instrument, DCSource | ElectronicLoad | TemperatureChamber):
            continue
        findings += _found_on(role, instrument)
        try:
            instrument.make_safe()
        except Exception as exc:  # every instrument is asked; all failures are reported
            failures.append(f"{role}: {exc}")
    if failures:
        raise SafeStartError("; ".join(failures))
    return [f for f in findings if "unknown" not in f] + [f for f in findings if "unknown" in f]


def with_safe_start_record(procedure: Procedure, findings: Sequence[str]) -> Procedure:
    """``procedure`` with a first step that records what the safe start found on."""
    text = "; ".join(findings)

    def safe_start(ctx: StepContext) -> None:
        ctx.measure(FOUND_ON, text)

    step = Step(
        SAFE_START_STEP,
        safe_start,
        description="outputs found on at station open, switched off before any measurement",
        measures=(Declared(FOUND_ON.name, required=True),),
    )
    return dataclasses.replace(procedure, steps=(step, *run_order(procedure)))


# -- store --------------------------------------------------------------------------------------


def status_before_bench(session: Session, unit_id: int) -> str:
    """The status the unit had before the bench last took it (from the audit trail)."""
    rows = session.execute(
        select(AuditEvent.before_json, AuditEvent.after_json)
        .where(
            AuditEvent.entity_type == "unit",
            AuditEvent.entity_id == str(unit_id),
            AuditEvent.action == "unit.status",
        )
        .order_by(AuditEvent.seq.desc())
    ).all()
    for before_json, after_json in rows:
        before = json.loads(before_json or "{}")
        after = json.loads(after_json or "{}")
        previous = before.get("status")
        if after.get("status") == UnitStatus.ON_BENCH.value and previous not in (
            None,
            UnitStatus.ON_BENCH.value,
        ):
            return str(previous)
    return UnitStatus.RECEIVED.value


def restore_unit(session: Session, unit_id: int, *, actor: str, reason: str) -> str | None:
    """Set an ``on_bench`` unit back to its previous status; return that status (or ``None``
    when the unit is not on the bench, or another of its runs is still running)."""
    unit = session.get(ReturnedUnit, unit_id)
    if unit is None or unit.status != UnitStatus.ON_BENCH.value:
        return None
    busy = session.scalar(
        select(Run.id).where(Run.unit_id == unit_id, Run.status == RunStatus.RUNNING.value)
    )
    if busy is not None:
        return None
    previous = status_before_bench(session, unit_id)
    set_unit_status(session, unit_id, previous, actor=actor, reason=reason)
    return previous


def restore_unit_after(
    sessions: sessionmaker[Session], unit_id: int, *, actor: str, reason: str
) -> str | None:
    with sessions.begin() as session:
        return restore_unit(session, unit_id, actor=actor, reason=reason)


def _close(session: Session, run: Run, reason: str, actor: str) -> str:
    interrupt_run(session, run, reason, actor=actor)
    return _restored(session, run, actor)


def _restored(session: Session, run: Run, actor: str) -> str:
    """Set the interrupted run's unit back; the one-line notice of both."""
    serial = run.unit.serial
    back = restore_unit(session, run.unit_id, actor=actor, reason=f"run {run.id} interrupted")
    unit = f"unit {serial} set back to {back}" if back else f"unit {serial} left {run.unit.status}"
    return f"run {run.id} ({run.procedure}, unit {serial}) marked interrupted; {unit}"


def close_runs_of_process(
    database: str, *, host: str, pid: int, unit_id: int | None, reason: str, actor: str
) -> list[str]:
    """The watchdog's part: the dead runner's running runs interrupted with ``reason``."""
    sessions = open_store(database, migrate=False)
    notices: list[str] = []
    with sessions.begin() as session:
        runs = session.scalars(
            select(Run)
            .where(Run.status == RunStatus.RUNNING.value, Run.host == host, Run.pid == pid)
            .with_for_update()
        ).all()
        notices += [_close(session, run, reason, actor) for run in runs]
        if unit_id is not None and not runs:
            back = restore_unit(session, unit_id, actor=actor, reason=reason)
            if back:
                notices.append(f"unit {unit_id} set back to {back} (no run had started)")
    if not notices:
        notices.append("no running run of that process in the store (it had ended its run)")
    return notices


def mark_dead_runs(sessions: sessionmaker[Session], *, actor: str) -> list[str]:
    """Runs of this host whose process is gone: interrupted, units set back. One notice each.

    ``results.recorder.mark_interrupted_runs`` without its staleness rule: runs of another host
    are not touched, since whether their process lives cannot be seen from here.
    """
    if not _dead_runs_here(sessions):
        return []  # the common case, answered without the write lock a busy store may hold
    notices: list[str] = []
    with sessions.begin() as session:
        closed = mark_interrupted_runs(
            session, stale_after=None, actor=actor, found_by=" (found by a later command)"
        )
        for run_id in closed:
            run = session.get(Run, run_id)
            assert run is not None
            notices.append(_restored(session, run, actor))
    return notices


def release_stranded_units(sessions: sessionmaker[Session], *, actor: str) -> list[str]:
    """Units left ``on_bench`` whose latest run ended without a diagnosis (interrupted, error,
    aborted) and that have no run still running: set back, one notice each.

    A run closed by a journal replay (its process died before the run end reached the store)
    ends ``interrupted`` there, without the watchdog's set-back; this is where its unit
    leaves the bench. Read first, so a busy store is not asked for a write lock for nothing.
    """
    engine = sessions.kw.get("bind")
    reader = read_session_factory(engine) if engine is not None else sessions
    with reader() as session:
        candidates = list(
            session.scalars(
                select(ReturnedUnit.id).where(ReturnedUnit.status == UnitStatus.ON_BENCH.value)
            )
        )
        stranded = [u for u in candidates if _ended_without_diagnosis(session, u)]
    notices = []
    for unit_id in stranded:
        with sessions.begin() as session:
            unit = session.get(ReturnedUnit, unit_id)
            back = restore_unit(session, unit_id, actor=actor, reason="its last run did not finish")
            if back is not None and unit is not None:
                notices.append(
                    f"unit {unit.serial} set back to {back} (its last run did not finish)"
                )
    return notices


def _ended_without_diagnosis(session: Session, unit_id: int) -> bool:
    latest = session.scalars(
        select(Run).where(Run.unit_id == unit_id).order_by(Run.started_at.desc(), Run.id.desc())
    ).first()
    if latest is None or latest.status == RunStatus.RUNNING.value:
        return False
    return latest.status == RunStatus.INTERRUPTED.value or (latest.verdict or "") in (
        "ERROR",
        "ABORTED",
    )


def _dead_runs_here(sessions: sessionmaker[Session]) -> bool:
    """Whether a ``running`` run of this host has lost its process, read without a write lock
    (on SQLite a write transaction would queue behind a bench that holds the store)."""
    engine = sessions.kw.get("bind")
    reader = read_session_factory(engine) if engine is not None else sessions
    host = this_host()
    with reader() as session:
        running = session.execute(
            select(Run.host, Run.pid).where(Run.status == RunStatus.RUNNING.value)
        ).all()
    return any(h == host and not process_alive(pid) for h, pid in running)


def process_state(run: Run | RunRead) -> str:
    """``running``, ``gone`` or ``unknown`` (another host's process) for a ``running`` run."""
    if run.host != this_host():
        return "unknown"
    return "running" if process_alive(run.pid) else "gone"
