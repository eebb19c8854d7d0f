"""``packbench verify``: routine (since the last checkpoint, plus a sample) or ``--full``.

A routine verify re-checks what changed since the last checkpoint and a random sample of older
rows, and is what a bench or a nightly job runs; ``--full`` re-checks everything, streaming, with
a progress bar on a terminal (plain progress lines otherwise, e.g. in a log), its runs checked by
one worker process per core (``results.verify_parallel``) while this one checks the chain. A
verify that finds no problem stores a new checkpoint (``results.verify_checkpoint``).
``--export-anchor`` writes the audit chain head with the time to a file (``-``: print it) to keep
outside the database; ``--anchor FILE`` checks the chain against such a file, which catches a
consistent rewrite of the whole chain that nothing inside the database can.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

import click

from bench.cli_common import station, station_option
from bench.cli_words import ENGLISH_WORDS, Words, padded, words_for
from bench.errors import EXIT_FAIL, EXIT_PASS
from bench.runner import open_store_for
from results.verify import verify_store
from results.verify_checkpoint import (
    Anchor,
    current_extent,
    latest_checkpoint,
    take_anchor,
    write_checkpoint,
)
from results.verify_parallel import default_jobs
from results.verify_report import VerifyReport
from results.verify_scope import DEFAULT_SAMPLE, Scope

_BAR = 30


class ProgressLine:
    """Progress of each phase: a bar redrawn in place on a terminal, else a line per 10 %; the
    phase by its ``verify_phase.*`` label in the station's language (English: as the store
    names it, the lines a log reader already matches)."""

    def __init__(self, out: TextIO, say: Words = ENGLISH_WORDS) -> None:
        self._out = out
        self._tty = out.isatty()
        self._last: dict[str, int] = {}
        self._drawn = False
        self._say = say

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total <= 0:
            return
        percent = min(100, done * 100 // total)
        label = self._say.label("verify_phase.", phase.replace(" ", "_"), phase)
        if self._tty:
            filled = _BAR * percent // 100
            bar = "#" * filled + "." * (_BAR - filled)
            self._out.write(f"\r{padded(label, 13)} [{bar}] {percent:3d}% {done}/{total}")
            self._drawn = True
            if done >= total:
                self._out.write("\n")
                self._drawn = False
            self._out.flush()
            return
        step = percent // 10
        if self._last.get(phase, -1) < step:
            self._last[phase] = step
            line = self._say(
                "verify.progress", phase=label, percent=percent, done=done, total=total
            )
            self._out.write(line + "\n")
            self._out.flush()

    def end(self) -> None:
        if self._drawn:
            self._out.write("\n")
            self._drawn = False


def _summary(result: VerifyReport, seconds: float, say: Words = ENGLISH_WORDS) -> str:
    kind = say("verify.full" if result.full else "verify.routine")
    pending = say("verify.pending", n=result.pending_events) if result.pending_events else ""
    return say(
        "verify.summary",
        kind=kind,
        events=result.audit_events,
        records=result.records,
        steps=result.steps,
        measurements=result.measurements,
        traces=result.traces,
        files=result.evidence_files,
        units=result.unit_results,
        seconds=f"{seconds:.1f}",
        pending=pending,
    )


@click.command("verify")
@station_option
@click.option("--full", is_flag=True, help="Re-check everything, not only what changed.")
@click.option(
    "--sample",
    type=click.IntRange(min=0),
    default=DEFAULT_SAMPLE,
    show_default=True,
    help="Older runs, records and events of each kind re-checked at random by a routine verify.",
)
@click.option("--seed", type=int, default=None, help="Fix the random sample (to re-run one).")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Check the chain against an anchor exported earlier (--export-anchor).",
)
@click.option(
    "--export-anchor",
    "export_to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the chain head with the time to this file ('-': print it) after a clean verify.",
)
def verify(
    station_file: Path | None,
    full: bool,
    sample: int,
    seed: int | None,
    anchor_file: Path | None,
    export_to: Path | None,
) -> int:
    """Re-check the audit chain, every recorded value and every evidence file."""
    config = station(station_file)
    sessions = open_store_for(config)
    anchor = Anchor.from_json(anchor_file.read_text("utf-8")) if anchor_file else None
    say = words_for(config)
    progress = ProgressLine(sys.stderr, say)
    started = time.perf_counter()
    with sessions() as session:
        extent = current_extent(session)
        since = None if full else latest_checkpoint(session)
        scope = Scope(since=since, sample=sample, seed=seed, anchor=anchor)
        jobs = default_jobs() if full else 1
        result = verify_store(
            session, config.evidence_dir, scope=scope, progress=progress, jobs=jobs
        )
    progress.end()
    click.echo(_summary(result, time.perf_counter() - started, say))
    for p in result.problems:
        click.echo(say("verify.problem", kind=p.kind, ref=p.ref, detail=p.detail))
    if not result.ok:
        click.echo(say("verify.problems", n=len(result.problems)))
        return EXIT_FAIL
    with sessions.begin() as session:
        write_checkpoint(session, extent, actor=config.operator or "verify", full=scope.full)
    if export_to is not None:
        with sessions() as session:
            text = take_anchor(session).to_json()
        if str(export_to) == "-":
            click.echo(f"anchor {text}")  # for a script to take: the same in every language
        else:
            export_to.write_text(text + "\n", "utf-8")
            click.echo(say("verify.anchor_written", path=export_to, text=text))
    click.echo(say("verify.ok"))
    return EXIT_PASS
