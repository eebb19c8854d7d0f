"""``packbench replay DIR``: a recorded session (``packbench run ... --record DIR``) run again
without hardware, through the real drivers; names the first divergence, exit 1 if there is one.

What it prints is said in the recorded station's language: the station file the session copied
(``station.toml``, ``bench.session_files``) names it (``[station] language``), so a replay reads
as the run did on its bench; the first session's when the folder holds several (one run's units).
A session that holds no readable station file cannot be replayed (its own refusal says why, in
English). The verdict table and the result lines are the command line's sentences (``replay.*``,
``live.*`` of ``bench/locale``); instrument commands and replies, files and answers are quoted as
recorded. English prints what the command printed before this catalogue existed.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from bench.cli_words import (
    ENGLISH,
    Words,
    cli_messages,
    error_text,
    language_of,
    read_back_values,
)
from bench.errors import EXIT_FAIL, EXIT_PASS, EXIT_SOFTWARE
from bench.live import LiveView, TableRow
from bench.session_files import STATION_COPY, session_folders
from bench.session_replay import Divergence, ReplayReport, replay_session
from procedures.phrases import read_with
from results.reports.labels import catalogue
from results.reports.names import measurement_label, step_label

ENTRY_PREFIX = "replay.entry."
"""Templates of the English words for an exchange or a stream entry (``Exchange.describe`` of
``instruments.transports.replay``, ``describe_entry`` and the replayed calls of
``bench.session_replay``)."""
DIFFERENCE_PREFIX = "replay.difference."
"""Templates of the English lines ``session_replay.outcome_differences`` writes."""


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def replay(folder: Path) -> int:
    """Re-run the procedure of a recorded session against its transcript, without hardware.

    FOLDER is what `packbench run ... --record FOLDER` wrote (or a folder of such sessions, one
    per unit). The drivers run as on the bench; every command must be the recorded one and
    every recorded reply is given back, with the recorded clock and operator answers. Prints the
    verdict table and either that the replay matched the recording, or the first divergence
    (instrument, exchange number, recorded command against the command sent, or a missing
    reply), in the recorded station's language. Nothing is written to the store. Exit status: 0
    matched, 1 diverged, 70 the replay could not run.
    """
    sessions = session_folders(folder)
    say = Words(language_of(sessions[0] / STATION_COPY))
    view = LiveView(sys.stdout, locale=say.locale)
    reports = [replay_session(session, view) for session in sessions]
    view.table([_row(r, say) for r in reports])
    for report in reports:
        click.echo(_verdict_line(report, say))
        for difference in report.differences:
            click.echo(f"    {_difference(difference, say)}")
    if any(r.error for r in reports):
        return EXIT_SOFTWARE
    return EXIT_PASS if all(r.matched for r in reports) else EXIT_FAIL


def _row(report: ReplayReport, say: Words) -> TableRow:
    """The report's row, ``not run`` in the station's language when the replay ran nothing."""
    row = report.row()
    return row if report.result is not None else replace(row, verdict=say("replay.not_run"))


def _verdict_line(report: ReplayReport, say: Words) -> str:
    folder = report.folder
    if report.error:
        error = error_text(report.error, say.locale)  # the command line's own refusals read back
        return say("replay.could_not_run", folder=folder, error=error)
    if report.divergence is not None:
        where = _divergence(report.divergence, say)
        return say("replay.diverged", folder=folder, divergence=where)
    counts = _counts(report.counts, say)
    if report.differences:
        return say("replay.outcome_differs", folder=folder, counts=counts)
    return say("replay.matched", folder=folder, counts=counts)


def _counts(counts: str, say: Words) -> str:
    """``12 exchanges with 5 instrument(s), ...`` (``ReplayReport.counts``) in ``say``'s
    language: read back through its English template."""
    values = read_with(cli_messages(ENGLISH)["replay.counts"], counts)
    return counts if say.locale == ENGLISH or values is None else say("replay.counts", **values)


def _divergence(found: Divergence, say: Words) -> str:
    """Where the replay left the recording (``Divergence.describe``) in ``say``'s language; the
    recorded and the replayed exchange are quoted as recorded."""
    if say.locale == ENGLISH:
        return found.describe()
    line = found.exchange + 1
    where = (
        say("replay.where_resource", file=found.file, line=line, resource=found.resource)
        if found.resource
        else say("replay.where", file=found.file, line=line)
    )
    head = say("replay.exchange", source=found.source, exchange=found.exchange, where=where)
    expected, actual = _entry(found.expected, say), _entry(found.actual, say)
    if found.actual.startswith("read") and found.expected.startswith("send"):
        return say("replay.missing_reply", head=head, expected=expected)
    if found.expected == "the end of the recording" and found.actual.startswith("read"):
        return say("replay.missing_reply_ended", head=head)
    return say("replay.divergence", head=head, expected=expected, actual=actual)


def _entry(text: str, say: Words) -> str:
    """One side of a divergence (``send 'READ?'``, ``a now() reading``) in ``say``'s language,
    read back through the ``replay.entry.*`` templates; the command, reply, question or error it
    quotes as recorded. A text no template reads (a question put with its id alone: ``text
    'usage'``) as written."""
    return _read_back(text, say, ENTRY_PREFIX)


def _read_back(text: str, say: Words, prefix: str) -> str:
    """``text``, an English line ``bench.session_replay`` wrote, read back through the first
    ``prefix`` template that reads it and written from ``say``'s; a step, a measurement and a
    verdict it names by their labels. English, or a text no template reads, as given."""
    found = None if say.locale == ENGLISH else read_back_values(text, prefix)
    if found is None:
        return text
    key, values = found
    labels = catalogue(say.locale)
    if "step" in values:
        values["step"] = step_label(labels, values["step"])
    if "name" in values:
        values["name"] = measurement_label(labels, values["name"])
    if key.endswith("verdict"):
        for side in ("recorded", "replayed"):
            values[side] = say.enum("verdict", values[side])
    return say(key, **values)


def _difference(text: str, say: Words) -> str:
    """A way the replayed outcome differs from the recorded one
    (``session_replay.outcome_differences``) in ``say``'s language."""
    return _read_back(text, say, DIFFERENCE_PREFIX)
