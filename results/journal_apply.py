"""Write a run journal's records into the store, each exactly once, in any number of attempts.

The live recorder and every replay (end of the run, the next command, ``packbench recover``) go
through this one path, so there is a single answer to "is this record already in the store?":

* run start: a ``journal_run`` receipt keyed by the journal's key, inserted in the same
  transaction as the run row (and the unit's move to ``on_bench``);
* step: the row ``(run_id, idx)`` exists (unique in the schema);
* run end: the run's status is ``finished`` (set in the same transaction as the unit's move and
  the seal of the step chain).

Each record is one transaction, so a crash or an outage in the middle of a replay leaves every
record either wholly in the store or wholly absent, and the next attempt resumes from the store's
own state, never from what this process believes it wrote. After any failure the applier forgets
its cached state for the same reason (a COMMIT whose answer was lost may still have happened).
The step chain is sealed from the stored rows (``chain_of_stored_steps``), so ``verify`` agrees
however many processes contributed steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import RunOutcome, StepRecord, Verdict
from results import audit
from results.attachments import EvidenceStore
from results.complaints import set_unit_status
from results.errors import NotFound
from results.integrity import snapshot
from results.journal import JournalContents, RunHeader, UnitUpdate
from results.journal_models import JournalRun
from results.models import Run, RunStatus, Step
from results.recorder import (
    DatabaseRecorder,
    chain_of_stored_steps,
    finish_run,
    insert_run,
    seal_steps,
)

_STEP = cast(Table, Step.__table__)


@dataclass(frozen=True)
class ReplayResult:
    run_id: int
    steps_written: int
    """Steps this replay inserted (0 when the store already held them all)."""
    finished: bool
    """The journal's run end was written now."""
    interrupted: bool
    """The writer died without a run end and the run was closed as interrupted now."""

    @property
    def wrote_anything(self) -> bool:
        return self.steps_written > 0 or self.finished or self.interrupted


class JournalApplier:
    """Applies one journal's records; safe to call again after any failure."""

    def __init__(self, sessions: sessionmaker[Session], header: RunHeader) -> None:
        self.sessions = sessions
        self.header = header
        self.evidence = EvidenceStore(header.evidence_dir)
        self.run_id: int | None = None
        self.steps_written = 0
        self._stored: set[int] | None = None
        self._recorder: DatabaseRecorder | None = None

    @property
    def actor(self) -> str:
        return self.header.info.operator or "unknown"

    def start(self) -> int:
        """The run's id, creating the run (receipt, audit, unit on bench) if it is not there."""
        if self.run_id is not None:
            return self.run_id
        header = self.header
        with self.sessions.begin() as session:
            receipt = session.get(JournalRun, header.key)
            if receipt is not None:
                self.run_id = receipt.run_id
                return receipt.run_id
            run = insert_run(
                session, header.info, unit_id=header.unit_id, complaint_id=header.complaint_id
            )
            session.add(JournalRun(key=header.key, run_id=run.id))
            _update_unit(session, header.unit_id, header.unit_update)
            run_id = run.id
        self.run_id = run_id
        self._stored = set()
        return run_id

    def step(self, step: StepRecord) -> bool:
        """Write ``step`` unless the store has it; ``True`` when it was written now."""
        run_id = self.start()
        if self._stored is None:
            with self.sessions() as session:
                self._stored = set(
                    session.scalars(select(_STEP.c.idx).where(_STEP.c.run_id == run_id))
                )
        if step.index in self._stored:
            return False
        if self._recorder is None:
            self._recorder = DatabaseRecorder.resume(
                self.sessions,
                run_id=run_id,
                unit_id=self.header.unit_id,
                operator=self.actor,
                evidence=self.evidence,
            )
        self._recorder.step_finished(step)
        self._stored.add(step.index)
        self.steps_written += 1
        return True

    def finish(self, outcome: RunOutcome, update: UnitUpdate | None) -> bool:
        """End the run as the journal says, unless it is already finished; ``True`` if now."""
        run_id = self.start()
        self._close_recorder()
        with self.sessions.begin() as session:
            run = _locked_run(session, run_id)
            if run.status == RunStatus.FINISHED.value:
                return False
            before = snapshot(run)
            run.interrupted = False  # a run marked interrupted while its journal waited
            finish_run(session, run, outcome, ended=outcome.ended, actor=self.actor, before=before)
            count, chain = chain_of_stored_steps(session, run_id)
            seal_steps(session, run_id, count, chain, actor=self.actor)
            _update_unit(session, self.header.unit_id, update)
        return True

    def interrupted(self) -> bool:
        """The writer is gone without a run end: close the run as interrupted (or re-seal it
        when it already was and this replay added steps); ``True`` when something was written."""
        run_id = self.start()
        self._close_recorder()
        with self.sessions.begin() as session:
            run = _locked_run(session, run_id)
            if run.status == RunStatus.FINISHED.value:
                return False
            if run.status == RunStatus.INTERRUPTED.value and self.steps_written == 0:
                return False
            count, chain = chain_of_stored_steps(session, run_id)
            if run.status == RunStatus.RUNNING.value:
                before = snapshot(run)
                run.status = RunStatus.INTERRUPTED.value
                run.interrupted = True
                run.verdict = Verdict.ABORTED.name
                run.message = (
                    f"recording process {self.header.host}:{self.header.pid} ended without "
                    f"finishing the run; {count} step(s) recorded (recovered from its journal)"
                )
                session.flush()
                audit.record(
                    session,
                    actor="system",
                    action="run.interrupted",
                    entity_type="run",
                    entity_id=run_id,
                    before=before,
                    after=snapshot(run),
                )
            seal_steps(session, run_id, count, chain, actor="system")
        return True

    def _close_recorder(self) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            recorder.close()

    def forget(self) -> None:
        """After a failure: drop cached state, the store's own rows decide the next attempt."""
        self._close_recorder()
        self.run_id = None
        self._stored = None

    def close(self) -> None:
        self._close_recorder()


def _locked_run(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id, with_for_update=True)
    if run is None:
        raise NotFound("run", run_id)
    return run


def _update_unit(session: Session, unit_id: int, update: UnitUpdate | None) -> None:
    if update is None:
        return
    set_unit_status(
        session,
        unit_id,
        update.status,
        actor=update.actor,
        disposition=update.disposition,
        reason=update.reason,
    )


def replay(
    sessions: sessionmaker[Session], contents: JournalContents, *, writer_gone: bool
) -> ReplayResult:
    """Write whatever of ``contents`` the store lacks; a run without an end is closed as
    interrupted only when its writer is gone (``writer_gone``)."""
    applier = JournalApplier(sessions, contents.header)
    try:
        run_id = applier.start()
        for step in contents.steps:
            applier.step(step)
        finished = interrupted = False
        if contents.finished is not None:
            finished = applier.finish(contents.finished, contents.finish_update)
        elif writer_gone:
            interrupted = applier.interrupted()
        return ReplayResult(run_id, applier.steps_written, finished, interrupted)
    finally:
        applier.close()
