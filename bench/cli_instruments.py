"""``packbench instruments check``: identity and self-test of every configured instrument."""

from __future__ import annotations

from pathlib import Path

import click

from bench.cli_common import station, station_option
from bench.cli_words import read_back, words_for
from bench.errors import EXIT_INSTRUMENT, EXIT_PASS
from bench.station import CheckResult as InstrumentCheck
from bench.station import check_station
from bench.terminal_prompts import TerminalPrompts


@click.group()
def instruments() -> None:
    """Instrument checks."""


@instruments.command("check")
@station_option
def instruments_check(station_file: Path | None) -> int:
    """Open every configured instrument: identity and self-test (*TST?) of each."""
    config = station(station_file)

    say = words_for(config)

    def show(result: InstrumentCheck) -> None:
        mark = say("instruments.ok" if result.ok else "instruments.bad")
        click.echo(
            say("instruments.row", mark=mark, role=f"{result.role:<7}", resource=result.resource)
        )
        if result.identity:
            click.echo(say("instruments.identity", identity=result.identity))
        test = read_back(result.self_test, say.locale, "self_test.")
        click.echo(say("instruments.check", result=test))

    results = check_station(config, prompts=TerminalPrompts(yes=True), report=show)
    return EXIT_PASS if all(r.ok for r in results) else EXIT_INSTRUMENT
