"""``DatabaseRecorder``: persists a run step by step as the procedure engine hands it over.

Each ``step_finished`` is one transaction that INSERTs the step, its measurements (one executemany),
traces and attachment rows, and bumps the run's heartbeat. Nothing already written is rewritten, so
the cost per step does not grow with the run, and a process that dies leaves every finished step
committed. The step path runs on the DBAPI cursor (``results.step_writer``) and does not append to
the audit chain: each step is folded into a per-run hash chain (``integrity.step_link``) that
``run_finished`` (or ``mark_interrupted_runs``) seals into the audit log with one event. A run stays
``running`` until ``run_finished``; ``mark_interrupted_runs`` later turns runs whose process is gone
into ``interrupted``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import RunInfo, RunOutcome, StepRecord, TraceRecord, Verdict
from results import audit, traces
from results.attachments import EvidenceStore, StoredFile
from results.errors import RecorderStateError, ValidationError
from results.integrity import (
    measurement_hash,
    snapshot,
    step_digest,
    step_link,
    steps_genesis,
    trace_hash,
)
from results.measurement_schema import MEASURED_AT, STORED_COLUMNS, stored_row, stored_values
from results.models import (
    Attachment,
    Complaint,
    Measurement,
    ReturnedUnit,
    Run,
    RunStatus,
    Step,
    Trace,
    TraceChannel,
)
from results.run_writer import (
    HOST,
    aware,
    check_target,
    finish_recorded_run,
    finished_values,
    new_run_values,
    seal_content,
    start_run,
)
from results.step_writer import StepWriter
from results.unit_results import refresh_unit_results

_STEP_TABLE = cast(Table, Step.__table__)
_MEASUREMENT_TABLE = cast(Table, Measurement.__table__)
_TRACE_TABLE = cast(Table, Trace.__table__)
_CHANNEL_TABLE = cast(Table, TraceChannel.__table__)
_ATTACHMENT_TABLE = cast(Table, Attachment.__table__)
_RUN_TABLE = cast(Table, Run.__table__)
MEASUREMENT_COLUMNS = ("step_id", *STORED_COLUMNS, "row_hash")
"""A measurement row's columns in bind order: the recorder and the run import write the same
rows (``DatabaseRecorder.measurement_params``), so an imported run hashes as a live one."""
_HOST = HOST
_HEARTBEAT = "UPDATE run SET heartbeat_at = ?, steps_recorded = steps_recorded + 1 WHERE id = ?"


_aware = aware


def _same(value: Any) -> Any:
    return value


class DatabaseRecorder:
    """A ``procedures.records.Recorder`` that writes to the results store."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        unit_id: int,
        complaint_id: int | None = None,
        evidence: EvidenceStore | None = None,
    ) -> None:
        self._sessions = session_factory
        self.unit_id = unit_id
        self.complaint_id = complaint_id
        self.evidence = evidence
        self.run_id: int | None = None
        self._operator = ""
        self._finished = False
        self._chain = ""
        self._steps = 0
        engine = session_factory.kw.get("bind")
        if not isinstance(engine, Engine):
            raise RecorderStateError(
                "the session factory has no engine bound; build it with results.db.session_factory"
            )
        self._writer = StepWriter(engine)
        self._bind_time = self._writer.binder(_MEASUREMENT_TABLE, "measured_at") or _same
        self._bind_heartbeat = self._writer.binder(_RUN_TABLE, "heartbeat_at") or _same

    def run_started(self, info: RunInfo) -> None:
        """Check the unit, insert the run row and its ``run.started`` event, commit: one
        transaction on the connection the recorder holds for the run (``results.run_writer``)."""
        if self.run_id is not None:
            raise RecorderStateError(f"run {self.run_id} already started; use a new recorder")
        writer = self._writer
        writer.begin()
        try:
            run_id = start_run(writer, info, unit_id=self.unit_id, complaint_id=self.complaint_id)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        self.run_id = run_id
        self._operator = info.operator or "unknown"
        self._chain = steps_genesis(run_id)

    @classmethod
    def resume(
        cls,
        session_factory: sessionmaker[Session],
        *,
        run_id: int,
        unit_id: int,
        operator: str,
        evidence: EvidenceStore | None = None,
    ) -> DatabaseRecorder:
        """A recorder that continues run ``run_id`` (a replay of the run's journal).

        Its step chain starts from the steps already stored, re-folded from the rows, so a
        ``run_finished`` seals what the store really holds.
        """
        recorder = cls(session_factory, unit_id=unit_id, evidence=evidence)
        with session_factory() as session:
            recorder._steps, recorder._chain = chain_of_stored_steps(session, run_id)
        recorder.run_id = run_id
        recorder._operator = operator or "unknown"
        return recorder

    def _require_open(self) -> int:
        if self.run_id is None:
            raise RecorderStateError("no run started: call run_started first")
        if self._finished:
            raise RecorderStateError(f"run {self.run_id} already finished")
        return self.run_id

    def step_finished(self, step: StepRecord) -> None:
        run_id = self._require_open()
        files = self._store_files(step)  # before BEGIN: hashing and disk writes hold no lock
        hashes, rows = self.measurement_params(run_id, step, self._bind_time)
        trace_rows = [self.trace_rows_of(trace) for trace in step.traces]
        digest = step_digest(
            hashes,
            [sha for sha, _meta, _channels in trace_rows],
            [(f.sha256, name, f.media_type) for name, f in files],
        )
        now = datetime.now(UTC)
        step_values: dict[str, Any] = {
            "run_id": run_id,
            "idx": step.index,
            "name": step.name,
            "started_at": _aware(step.started, "step.started"),
            "ended_at": _aware(step.ended, "step.ended"),
            "verdict": step.verdict.name,
            "message": step.message,
            "digest": digest,
        }
        writer = self._writer
        writer.begin()
        try:
            step_id = writer.insert_returning_id(_STEP_TABLE, step_values)
            for r in rows:
                r[0] = step_id
            writer.insert_bound(_MEASUREMENT_TABLE, MEASUREMENT_COLUMNS, rows)
            for idx, (sha, meta, channels) in enumerate(trace_rows):
                trace_id = writer.insert_returning_id(
                    _TRACE_TABLE, {"step_id": step_id, "idx": idx, "sha256": sha, **meta}
                )
                for channel in channels:
                    channel["trace_id"] = trace_id
                writer.insert_many(_CHANNEL_TABLE, channels)
            writer.execute(_HEARTBEAT, (self._bind_heartbeat(now), run_id))
            for name, stored in files:
                self._add_attachment(writer, run_id, step_id, name, stored, now)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        self._chain = step_link(self._chain, step_id, step_values)
        self._steps += 1

    def _add_attachment(
        self,
        writer: StepWriter,
        run_id: int,
        step_id: int,
        name: str,
        stored: StoredFile,
        now: datetime,
    ) -> None:
        attachment: dict[str, Any] = {
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": stored.media_type,
            "original_name": name,
            "complaint_id": None,
            "run_id": run_id,
            "step_id": step_id,
            "created_at": now,
            "created_by": self._operator,
        }
        attachment_id = writer.insert_returning_id(_ATTACHMENT_TABLE, attachment)
        audit.record_raw(
            writer,
            actor=self._operator,
            action="attachment.added",
            entity_type="attachment",
            entity_id=attachment_id,
            after={"id": attachment_id, **attachment},
        )

    def _store_files(self, step: StepRecord) -> list[tuple[str, StoredFile]]:
        if not step.attachments:
            return []
        if self.evidence is None:
            raise RecorderStateError(
                f"step {step.name!r} has attachments but the recorder has no evidence store; "
                "pass evidence=EvidenceStore(path)"
            )
        return [(name, self.evidence.put(data, name=name)) for name, data in step.attachments]

    @staticmethod
    def measurement_rows(run_id: int, step: StepRecord) -> list[dict[str, Any]]:
        """The measurement rows as column dicts (without ``step_id``), for Core ``insert``."""
        _hashes, params = DatabaseRecorder.measurement_params(run_id, step, _same)
        return [dict(zip(MEASUREMENT_COLUMNS[1:], row[1:], strict=True)) for row in params]

    @staticmethod
    def measurement_params(
        run_id: int, step: StepRecord, bind_time: Callable[[datetime], Any]
    ) -> tuple[list[str], list[list[Any]]]:
        """(row hashes, rows in ``MEASUREMENT_COLUMNS`` order with ``step_id`` left ``None``).

        The hot path of a recording: each value is read from the record once, the hash input
        dict and the row are built from the same locals, and only ``measured_at`` needs
        converting for the database (``bind_time``; floats and bools bind as they are).
        """
        hashes: list[str] = []
        params: list[list[Any]] = []
        step_index = step.index
        for idx, m in enumerate(step.measurements):
            values = stored_values(idx, m)
            when = values[MEASURED_AT]
            if when.tzinfo is None:
                _aware(when, f"{step.name}/{m.name}.timestamp")
            row_hash = measurement_hash(run_id, step_index, stored_row(values))
            hashes.append(row_hash)
            values[MEASURED_AT] = bind_time(when)
            params.append([None, *values, row_hash])
        return hashes, params

    @staticmethod
    def trace_rows_of(trace: TraceRecord) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        arrays = [("time", "s", trace.time_s)] + [
            (name, unit, values) for name, (values, unit) in trace.channels.items()
        ]
        n_samples = len(trace.time_s)
        channels: list[dict[str, Any]] = []
        for idx, (name, unit, values) in enumerate(arrays):
            if len(values) != n_samples:
                raise ValidationError(
                    f"{trace.name}.{name}",
                    f"{len(values)} samples against {n_samples} time points",
                    "give every channel one value per time point",
                )
            data, dtype, shape = traces.encode(values, name=f"{trace.name}.{name}")
            channels.append(
                {
                    "idx": idx,
                    "name": name,
                    "unit": unit,
                    "dtype": dtype,
                    "shape": shape,
                    "data": data,
                }
            )
        sha = trace_hash(
            trace.name,
            [(c["name"], c["unit"], c["dtype"], c["shape"], c["data"]) for c in channels],
        )
        meta = {
            "name": trace.name,
            "recorded_at": _aware(trace.timestamp, f"{trace.name}.timestamp"),
            "n_samples": n_samples,
        }
        return sha, meta, channels

    def run_finished(self, outcome: RunOutcome) -> None:
        """Write the outcome, the unit's stored result, the ``run.finished`` event and the seal
        of the step chain, commit, and give the run's connection back: one transaction, as the
        ORM path's ``finish_run`` and ``seal_steps`` write it (``results.run_writer``)."""
        run_id = self._require_open()
        ended = _aware(outcome.ended, "ended")
        writer = self._writer
        try:
            writer.begin()
            try:
                finish_recorded_run(
                    writer,
                    run_id,
                    outcome,
                    ended=ended,
                    actor=self._operator,
                    steps=self._steps,
                    chain=self._chain,
                )
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
        finally:
            writer.close()  # the run is done (or failed to finish): give the connection back
        self._finished = True

    def close(self) -> None:
        """Give the held connection back without finishing the run (it will show interrupted)."""
        self._writer.close()


def new_run_row(
    info: RunInfo,
    *,
    unit_id: int,
    complaint_id: int | None,
    started: datetime,
    now: datetime | None = None,
) -> Run:
    """The ``running`` run row for ``info``, as the live recorder, a journal replay and a run
    import all write it (one builder, ``run_writer.new_run_values``, so the three paths cannot
    drift apart)."""
    return Run(
        **new_run_values(info, unit_id=unit_id, complaint_id=complaint_id, started=started, now=now)
    )


def finish_run(
    session: Session,
    run: Run,
    outcome: RunOutcome,
    *,
    ended: datetime,
    actor: str,
    before: dict[str, Any],
) -> None:
    """Write ``outcome`` into ``run`` and audit the change from ``before`` (the caller's
    ``snapshot(run)``, taken before any change of its own such as ``steps_recorded``).

    Shared by the journal replay and the run import (the live recorder writes the same values,
    ``run_writer.finished_values``, on the driver), so a finished run looks the same in the
    store and the audit log whichever way it arrived, and its unit's stored result
    (``results.unit_results``) is rewritten in the same transaction.
    """
    for name, value in finished_values(outcome, ended).items():
        setattr(run, name, value)
    session.flush()
    refresh_unit_results(session, [run.unit_id])
    audit.record(
        session,
        actor=actor,
        action="run.finished",
        entity_type="run",
        entity_id=run.id,
        before=before,
        after=snapshot(run),
    )


def insert_run(
    session: Session, info: RunInfo, *, unit_id: int, complaint_id: int | None = None
) -> Run:
    """Check ``info`` against the unit and complaint and add the ``running`` run row, audited,
    in the caller's transaction (the replay of a run journal; the live recorder does the same on
    the driver, ``run_writer.start_run``, with the same checks)."""
    started = _aware(info.started, "started")
    unit = session.get(ReturnedUnit, unit_id)

    def number_of(complaint_id: int) -> str | None:
        complaint = session.get(Complaint, complaint_id)
        return None if complaint is None else complaint.number

    complaint_id = check_target(
        info,
        unit_id=unit_id,
        unit=None if unit is None else (unit.serial, unit.complaint_id),
        complaint_id=complaint_id,
        complaint_number=number_of,
    )
    run = new_run_row(info, unit_id=unit_id, complaint_id=complaint_id, started=started)
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor=info.operator or "unknown",
        action="run.started",
        entity_type="run",
        entity_id=run.id,
        after=snapshot(run),
    )
    return run


def seal_steps(session: Session, run_id: int, steps: int, chain: str, *, actor: str) -> None:
    """Append the audit event that vouches for a run's steps (``integrity.step_link``)."""
    audit.record(session, actor=actor, **seal_content(run_id, steps, chain))


def chain_of_stored_steps(session: Session, run_id: int) -> tuple[int, str]:
    """(count, chain) re-folded from the step rows in the order they were inserted."""
    chain = steps_genesis(run_id)
    count = 0
    for row in session.execute(
        select(*_STEP_TABLE.c).where(_STEP_TABLE.c.run_id == run_id).order_by(_STEP_TABLE.c.id)
    ).mappings():
        chain = step_link(chain, row["id"], dict(row))
        count += 1
    return count, chain


def _process_alive(pid: int) -> bool:
    """Whether ``pid`` runs on this host; a zombie (dead, not yet reaped) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[:1]
    except OSError:  # no procfs (not Linux): the signal test above is all we have
        return True
    return state != ["Z"]


def mark_interrupted_runs(
    session: Session,
    *,
    stale_after: timedelta | None = timedelta(hours=6),
    now: datetime | None = None,
    actor: str = "system",
    found_by: str = "",
) -> list[int]:
    """Turn runs whose recording process is gone into ``interrupted``; return their ids.

    A run on this host is gone when its process no longer exists (a zombie counts as gone); a
    run from another host (whose processes we cannot see) when no step arrived for
    ``stale_after``, or never with ``stale_after=None`` (the bench's store check: a long
    recharge records no step for hours). The finished steps stay as they are; the run gets the
    verdict ABORTED and a message saying how far it got (and ``found_by``, who noticed).
    """
    now = now or datetime.now(UTC)
    changed: list[int] = []
    running = session.scalars(
        select(Run).where(Run.status == RunStatus.RUNNING.value).with_for_update()
    )
    for run in running:
        dead = (run.host == _HOST and not _process_alive(run.pid)) or (
            stale_after is not None and now - run.heartbeat_at > stale_after
        )
        if not dead:
            continue
        interrupt_run(
            session,
            run,
            f"recording process {run.host}:{run.pid} ended without finishing the run"
            f"{found_by}; {run.steps_recorded} step(s) recorded, last activity "
            f"{run.heartbeat_at.isoformat()}",
            actor=actor,
        )
        changed.append(run.id)
    return changed


def interrupt_run(session: Session, run: Run, message: str, *, actor: str) -> None:
    """Turn one ``running`` run into ``interrupted`` (verdict ABORTED, ``message`` the reason).

    Its finished steps stay as they are; what was committed is sealed, since the recording
    process died with its in-memory chain. Callers that know *why* the process is gone (the
    safety watchdog saw the runner die) say so in ``message``.
    """
    before = snapshot(run)
    run.status = RunStatus.INTERRUPTED.value
    run.interrupted = True
    run.verdict = Verdict.ABORTED.name
    run.message = message
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="run.interrupted",
        entity_type="run",
        entity_id=run.id,
        before=before,
        after=snapshot(run),
    )
    # Later edits of these steps are caught from here on (edits before this moment are not; see
    # verify).
    count, chain = chain_of_stored_steps(session, run.id)
    seal_steps(session, run.id, count, chain, actor=actor)


def this_host() -> str:
    """The host name runs of this machine carry in ``run.host``."""
    return _HOST


def process_alive(pid: int) -> bool:
    """Whether a process of this host with ``pid`` is still running (not a zombie)."""
    return _process_alive(pid)
