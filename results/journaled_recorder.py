"""``JournaledRecorder``: journal first, then the store, retried with backoff; never lose a step.

Each record the engine hands over is appended to the run's journal (``results.journal``, fsync'd)
and only then written to the store through ``JournalApplier`` (exactly once). When the store is
busy (SQLite locked by another process), down (PostgreSQL stopped) or full, the write fails with
an *outage*; the record stays pending in the journal and the recorder:

* under ``on_unavailable = "continue"`` returns at once, so the bench keeps measuring (a locked
  store must not hold a pack half-way through a recharge), and tries again at later steps once
  its backoff has passed, in journal order;
* under ``"stop"`` keeps retrying for ``retry_for_s`` and then sets ``stop_event``, which the
  engine honours at the next step boundary: the run ends as aborted with the reason, outputs off.

At the run's end it retries for up to ``retry_for_s``; what is still pending then stays in the
journal (``pending_journal`` says where) for the next command or ``packbench recover``. Only
outages are retried: a refused record (a bug, bad data) is raised as before, since retrying it
would never succeed. One attempt waits at most ``attempt_timeout_s`` for a lock or a connection
(``attempt_engine``), so the bench is never frozen for SQLite's 30 s busy timeout per step.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import RunInfo, RunOutcome, StepRecord
from results.db import database_url, make_engine, session_factory
from results.journal import JournalError, JournalWriter, RunHeader, UnitUpdate
from results.journal_apply import JournalApplier

CONTINUE = "continue"
STOP = "stop"
POLICIES = (CONTINUE, STOP)
_HOST = socket.gethostname()
log = logging.getLogger("packbench.recording")


@dataclass(frozen=True)
class StorePolicy:
    """What a run does when the store is unavailable (``[recording]`` of the station file)."""

    on_unavailable: str = CONTINUE
    retry_for_s: float = 30.0
    """How long the end of a run (or a ``stop`` station, before stopping) keeps retrying."""
    first_backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    attempt_timeout_s: float = 2.0


def is_store_outage(error: BaseException) -> bool:
    """A failure that a later attempt can overcome: lock, lost or refused connection, full disk.

    The step path runs on the DBAPI cursor, so the driver's own exceptions arrive unwrapped.
    """
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error.orig, sqlite3.OperationalError):
            return is_store_outage(error.orig)
        return isinstance(error, exc.OperationalError | exc.InterfaceError)
    if isinstance(error, exc.DisconnectionError | exc.TimeoutError):
        return True
    if isinstance(error, sqlite3.OperationalError):
        # Locked, busy, disk full, I/O error; a file that cannot be opened at all is a wrong
        # path or permission (the station file's problem), which no retry fixes.
        return "unable to open database file" not in str(error)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    else:
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            return True
    # Evidence files (attachments) go to disk before the step's rows: a full disk is an outage.
    return isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError)


def store_name(target: str | Path) -> str:
    """The store's identity written into a journal: URL without password, or the SQLite path."""
    return make_url(database_url(target)).render_as_string(hide_password=True)


def attempt_engine(target: str | Path, timeout_s: float) -> Engine:
    """An engine whose connections give up after ``timeout_s`` on a lock or a connect."""
    url = make_url(database_url(target))
    if url.get_backend_name() == "sqlite":
        engine = make_engine(target)

        @event.listens_for(engine, "connect")
        def _short_busy_wait(dbapi_connection: Any, _record: Any) -> None:
            # Runs after results.db's own listener, which sets the 30 s busy timeout.
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
            cursor.close()

        return engine
    return make_engine(target, connect_args={"connect_timeout": max(1, round(timeout_s))})


def recording_sessions(target: str | Path, policy: StorePolicy) -> sessionmaker[Session]:
    return session_factory(attempt_engine(target, policy.attempt_timeout_s))


_Pending = tuple[str, Any]


class JournaledRecorder:
    """A ``procedures.records.Recorder`` that journals every record before the store write."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        journal_dir: Path,
        store: str,
        unit_id: int,
        complaint_id: int | None,
        evidence_dir: Path,
        policy: StorePolicy,
        on_start: UnitUpdate | None = None,
        after_run: Callable[[RunOutcome], UnitUpdate | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        owns_engine: bool = False,
    ) -> None:
        self.sessions = sessions
        self._owns_engine = owns_engine
        self.journal = JournalWriter(journal_dir)
        self.store = store
        self.unit_id = unit_id
        self.complaint_id = complaint_id
        self.evidence_dir = evidence_dir
        self.policy = policy
        self.on_start = on_start
        self.after_run = after_run
        self.stop_event = threading.Event()
        self._sleep = sleep
        self._clock = clock
        self._applier: JournalApplier | None = None
        self._pending: list[_Pending] = []
        self._backoff = policy.first_backoff_s
        self._next_attempt = 0.0
        self.outage: str | None = None
        """The last store failure, while records are pending; ``None`` once all are stored."""
        self.outages = 0
        self.stopped_reason: str | None = None
        self.pending_journal: Path | None = None
        """Set at the run's end when records are still only in the journal (exit 5)."""

    @property
    def run_id(self) -> int | None:
        return None if self._applier is None else self._applier.run_id

    @property
    def pending(self) -> int:
        return len(self._pending)

    def run_started(self, info: RunInfo) -> None:
        header = RunHeader(
            key=self.journal.key,
            store=self.store,
            unit_id=self.unit_id,
            complaint_id=self.complaint_id,
            evidence_dir=str(self.evidence_dir),
            host=_HOST,
            pid=os.getpid(),
            info=info,
            unit_update=self.on_start,
        )
        self.journal.start(header)  # JournalError: nothing recorded, the engine stops the run
        self._applier = JournalApplier(self.sessions, header)
        self._pending.append(("start", None))
        try:
            self._drain(deadline=None)
        except Exception:
            self.journal.discard()  # refused (not an outage): there is no run to replay
            raise

    def step_finished(self, step: StepRecord) -> None:
        try:
            self.journal.step(step)
        except JournalError as error:
            # The local disk failed: the store write is now the only copy; say so loudly.
            log.error("%s; writing step %s to the store directly", error, step.name)
        self._pending.append(("step", step))
        if self._drain(deadline=None):
            return
        if self.policy.on_unavailable == STOP and not self.stop_event.is_set():
            if self._drain(deadline=self._clock() + self.policy.retry_for_s):
                return
            self.stopped_reason = (
                f"the results store was unavailable for {self.policy.retry_for_s:g} s "
                f"({self.outage}); the station stops runs while its store is down "
                '([recording] on_store_unavailable = "stop"); every finished step is kept in '
                f"the run journal {self.journal.path}"
            )
            self.stop_event.set()

    def run_finished(self, outcome: RunOutcome) -> None:
        if self.stopped_reason is not None:
            outcome = replace(
                outcome, message="; ".join(filter(None, [self.stopped_reason, outcome.message]))
            )
        update = self.after_run(outcome) if self.after_run is not None else None
        try:
            self.journal.finished(outcome, update)
        except JournalError as error:
            log.error("%s; writing the run's end to the store directly", error)
        self._pending.append(("finish", (outcome, update)))
        try:
            done = self._drain(deadline=self._clock() + self.policy.retry_for_s)
        finally:
            if self._applier is not None:
                self._applier.close()
        if done:
            self.journal.discard()
        else:
            self.pending_journal = self.journal.path
            self.journal.close()  # unlocked: the next command or `packbench recover` replays it

    def close(self) -> None:
        """Release the journal (and the engine, if it is ours); a run that never reached
        ``run_finished`` keeps its journal for a replay."""
        if self._applier is not None:
            self._applier.close()
        self.journal.close()
        engine = self.sessions.kw.get("bind")
        if self._owns_engine and isinstance(engine, Engine):
            engine.dispose()

    def _apply(self, item: _Pending) -> None:
        assert self._applier is not None
        kind, payload = item
        if kind == "start":
            self._applier.start()
        elif kind == "step":
            self._applier.step(payload)
        else:
            outcome, update = payload
            self._applier.finish(outcome, update)

    def _drain(self, *, deadline: float | None) -> bool:
        """Store the pending records in order; ``True`` when none is left.

        ``deadline`` ``None``: one attempt, and only once the backoff has passed; otherwise
        keep retrying (sleeping out the backoff) until the deadline.
        """
        while self._pending:
            now = self._clock()
            if now < self._next_attempt:
                if deadline is None or now >= deadline:
                    return False
                # The last wait is cut to the deadline: one more attempt right at its end.
                self._sleep(min(self._next_attempt, deadline) - now)
            try:
                self._apply(self._pending[0])
            except Exception as error:
                if not is_store_outage(error):
                    raise
                self._failed(error)
                if deadline is None:
                    return False
                continue
            self._pending.pop(0)
            self._next_attempt = 0.0  # it answered: the next record goes at once
        if self.outage is not None:
            log.warning("results store available again; the journaled records are stored")
        self.outage = None
        self._backoff = self.policy.first_backoff_s
        return True

    def _failed(self, error: BaseException) -> None:
        assert self._applier is not None
        self._applier.forget()
        if self.outage is None:
            log.warning(
                "results store unavailable (%s); records kept in the run journal %s",
                _describe(error),
                self.journal.path,
            )
        self.outage = _describe(error)
        self.outages += 1
        self._next_attempt = self._clock() + self._backoff
        self._backoff = min(self._backoff * 2, self.policy.max_backoff_s)


def _describe(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
