"""``packbench db upgrade`` and ``packbench recover``: the store's schema and the runs kept in
local journals while it was unavailable.
"""

from __future__ import annotations

from pathlib import Path

import click

from bench.cli_common import station, station_option
from bench.errors import EXIT_PASS, EXIT_SOFTWARE, EXIT_STORE
from bench.recovery import replay_pending
from bench.runner import open_store_for
from bench.store_setting import shown


@click.group()
def db() -> None:
    """The results store."""


@db.command("upgrade")
@station_option
def db_upgrade(station_file: Path | None) -> int:
    """Create the store or bring its schema to the newest version."""
    config = station(station_file)
    open_store_for(config)
    click.echo(f"store at {shown(config.database)} is up to date")
    return EXIT_PASS


@click.command()
@station_option
def recover(station_file: Path | None) -> int:
    """Write the runs kept in local journals (the store was unavailable) into the store.

    Each record is written exactly once: running it again, or after a crash half-way, writes
    nothing twice. Journals of runs still recording are left alone. Any command that opens the
    store does the same quietly; this one reports.
    """
    config = station(station_file)
    sessions = open_store_for(config, replay=False)
    summary = replay_pending(config, sessions, click.echo)
    click.echo(
        f"{len(summary.recovered)} run journal(s) recovered, {summary.steps_written} step(s) "
        f"written; {len(summary.in_use)} still recording"
    )
    if summary.unavailable is not None:
        return EXIT_STORE
    return EXIT_SOFTWARE if summary.failed else EXIT_PASS
