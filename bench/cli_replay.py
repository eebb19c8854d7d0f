"""``packbench replay DIR``: a recorded session (``packbench run ... --record DIR``) run again
without hardware, through the real drivers; names the first divergence, exit 1 if there is one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bench.errors import EXIT_FAIL, EXIT_PASS, EXIT_SOFTWARE
from bench.live import LiveView
from bench.session_files import session_folders
from bench.session_replay import ReplayReport, replay_session


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def replay(folder: Path) -> int:
    """Re-run the procedure of a recorded session against its transcript, without hardware.

    FOLDER is what `packbench run ... --record FOLDER` wrote (or a folder of such sessions, one
    per unit). The drivers run as on the bench; every command must be the recorded one and
    every recorded reply is given back, with the recorded clock and operator answers. Prints the
    verdict table and either that the replay matched the recording, or the first divergence
    (instrument, exchange number, recorded command against the command sent, or a missing
    reply). Nothing is written to the store. Exit status: 0 matched, 1 diverged, 70 the replay
    could not run.
    """
    view = LiveView(sys.stdout)
    reports = [replay_session(session, view) for session in session_folders(folder)]
    view.table([r.row() for r in reports])
    for report in reports:
        click.echo(_verdict_line(report))
        for difference in report.differences:
            click.echo(f"    {difference}")
    if any(r.error for r in reports):
        return EXIT_SOFTWARE
    return EXIT_PASS if all(r.matched for r in reports) else EXIT_FAIL


def _verdict_line(report: ReplayReport) -> str:
    where = f"replay of {report.folder}"
    if report.error:
        return f"{where}: could not run: {report.error}"
    if report.divergence is not None:
        return f"{where}: DIVERGED from the recording at {report.divergence.describe()}"
    if report.differences:
        return (
            f"{where}: every exchange matched ({report.counts}), but the outcome differs from "
            "the recorded one:"
        )
    return f"{where}: matched the recording ({report.counts})"
