"""``packbench invalidate``: QA declares a recorded run invalid, with a reason (audited).

The decision is QA's, so the command asks for a QA account's API token (the same tokens the QA
service issues, kept in the same store): the station's operator name in the station file proves
nothing about who types the command. The run stays in the record; it leaves the customer report's
evidence annex and the unit summaries (``results.run_validity``).
"""

from __future__ import annotations

from pathlib import Path

import click

from bench.cli_common import emit, json_option, station, station_option
from bench.cli_qa import qa_principal, qa_token_option
from bench.cli_words import words_for
from bench.errors import EXIT_PASS
from bench.runner import open_store_for
from results.run_validity import invalidate_run


@click.command("invalidate")
@click.argument("run_id", type=int)
@click.option(
    "--reason", required=True, help="Why the run is not evidence (kept in the audit log)."
)
@qa_token_option("only QA may invalidate a run.")
@station_option
@json_option
def invalidate(
    run_id: int, reason: str, token: str, station_file: Path | None, as_json: bool
) -> int:
    """Mark RUN_ID invalid (QA only): it stays in the record but is no longer evidence."""
    config = station(station_file)
    say = words_for(config)
    sessions = open_store_for(config)
    with sessions.begin() as session:
        who = qa_principal(session, token, "declare a run invalid", say)
        row = invalidate_run(session, run_id, reason=reason, actor=who.name)
        done = {
            "run_id": run_id,
            "invalid": True,
            "reason": row.reason,
            "invalidated_by": row.invalidated_by,
            "invalidated_at": row.invalidated_at.isoformat(),
        }
    if as_json:
        emit(done)
    else:
        click.echo(say("run.invalid", run=run_id, by=done["invalidated_by"], reason=done["reason"]))
    return EXIT_PASS
