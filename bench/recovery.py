"""The bench side of the run journal: the recorder a run uses, and the replay of what is pending.

``recorder_for`` builds the ``JournaledRecorder`` of one run from the station file's
``[recording]`` section. ``replay_pending`` writes every journal of this station's store that no
live process holds into the store (``results.journal_apply``: exactly once) and removes it; it
runs from every command that opens the store (``bench.runner.open_store_for``) and from
``packbench recover``. A journal is removed only after its replay committed, so a crash between
the two is harmless: the next replay finds everything present, writes nothing, and removes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.config import StationConfig
from procedures.records import RunOutcome
from results.journal import (
    EmptyJournal,
    JournalError,
    UnitUpdate,
    claimed,
    pending_journals,
    read_journal,
    remove_journal,
)
from results.journal_apply import replay
from results.journaled_recorder import (
    JournaledRecorder,
    is_store_outage,
    recording_sessions,
    store_name,
)

Report = Callable[[str], None]


@dataclass
class RecoverySummary:
    recovered: list[int] = field(default_factory=list)
    """Run ids whose journal was written (or found already complete) and removed."""
    steps_written: int = 0
    in_use: list[Path] = field(default_factory=list)
    """Journals of runs still recording (their process holds the lock): left alone."""
    failed: list[tuple[Path, str]] = field(default_factory=list)
    unavailable: str | None = None
    """The store failed with an outage: what remains waits for the next attempt."""
    remaining: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and self.unavailable is None


def recorder_for(
    config: StationConfig,
    *,
    unit_id: int,
    complaint_id: int | None,
    on_start: UnitUpdate | None,
    after_run: Callable[[RunOutcome], UnitUpdate | None],
) -> JournaledRecorder:
    recording = config.recording
    return JournaledRecorder(
        recording_sessions(config.database, recording.policy),
        journal_dir=recording.journal_dir,
        store=store_name(config.database),
        unit_id=unit_id,
        complaint_id=complaint_id,
        evidence_dir=config.evidence_dir,
        policy=recording.policy,
        on_start=on_start,
        after_run=after_run,
        owns_engine=True,
    )


def replay_on_open(config: StationConfig, report: Report) -> RecoverySummary | None:
    """What every command that opens the store does: replay waiting journals, if any, with
    short lock waits (a still-busy store costs the command seconds, not half a minute)."""
    if not pending_journals(config.recording.journal_dir):
        return None
    sessions = recording_sessions(config.database, config.recording.policy)
    try:
        return replay_pending(config, sessions, report)
    finally:
        engine = sessions.kw.get("bind")
        if isinstance(engine, Engine):
            engine.dispose()


def replay_pending(
    config: StationConfig, sessions: sessionmaker[Session], report: Report
) -> RecoverySummary:
    """Replay every unlocked journal of this station's store, oldest first."""
    summary = RecoverySummary()
    store = store_name(config.database)
    journals = pending_journals(config.recording.journal_dir)
    for position, path in enumerate(journals):
        with claimed(path) as mine:
            if not mine:
                if path.exists():
                    summary.in_use.append(path)
                continue
            try:
                contents = read_journal(path)
            except EmptyJournal:
                remove_journal(path)  # the run never began: nothing was measured
                continue
            except JournalError as error:
                summary.failed.append((path, str(error)))
                report(f"packbench: run journal {path} cannot be read: {error}; it is kept")
                continue
            if contents.header.store != store:
                continue  # another store's run: `recover --station <its station file>`
            try:
                result = replay(sessions, contents, writer_gone=True)
            except Exception as error:
                if not is_store_outage(error):
                    summary.failed.append((path, f"{type(error).__name__}: {error}"))
                    report(
                        f"packbench: run journal {path} could not be written to the store "
                        f"({type(error).__name__}: {error}); it is kept"
                    )
                    continue
                summary.unavailable = f"{type(error).__name__}: {error}".splitlines()[0]
                summary.remaining = len(journals) - position
                report(
                    f"packbench: results store still unavailable ({summary.unavailable}); "
                    f"{summary.remaining} run journal(s) wait in {config.recording.journal_dir}"
                )
                return summary
            remove_journal(path)
        summary.recovered.append(result.run_id)
        summary.steps_written += result.steps_written
        if result.wrote_anything:
            info = contents.header.info
            state = (
                "finished"
                if contents.finished is not None
                else "interrupted (its process ended without finishing)"
            )
            report(
                f"packbench: recovered run {result.run_id} ({info.procedure}, unit "
                f"{info.unit_serial}) from its journal: {result.steps_written} step(s) written, "
                f"run {state}"
            )
    return summary
