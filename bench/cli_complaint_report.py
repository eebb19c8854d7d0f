"""``packbench report``: a complaint's report or measurement log, or a unit's outgoing
inspection report.
"""

from __future__ import annotations

from pathlib import Path

import click

from bench.cli_common import CleanText, station, station_option
from bench.cli_words import words_for
from bench.errors import EXIT_PASS, InputError
from bench.reporting import write_report
from bench.reporting_outgoing import write_outgoing_report
from bench.runner import open_store_for
from results.attachments import EvidenceStore


@click.command()
@click.argument("number")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "json", "csv"]), default="html")
@click.option("--lang", type=click.Choice(["en", "zh_CN"]), default="en")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@click.option(
    "--kind",
    type=click.Choice(["analysis", "outgoing"]),
    default="analysis",
    help="analysis: the complaint's report; outgoing: a unit's outgoing inspection report.",
)
@click.option("--unit", "unit_serial", type=CleanText(), help="--kind outgoing: the unit serial.")
@station_option
def report(
    number: str,
    fmt: str,
    lang: str,
    out: Path | None,
    kind: str,
    unit_serial: str | None,
    station_file: Path | None,
) -> int:
    """Write the complaint's report (HTML/PDF) or its measurement log (JSON/CSV; a CSV in
    --lang zh_CN adds the coded cells in words, the codes kept), or with --kind outgoing
    --unit SERIAL a unit's outgoing inspection report (HTML/PDF)."""
    if (kind == "outgoing") != (unit_serial is not None):
        raise InputError(
            "--kind outgoing needs --unit SERIAL (the inspected unit), and --unit applies to "
            "--kind outgoing only; e.g. `packbench report CC-2026-0001 --kind outgoing --unit S1`"
        )
    config = station(station_file)
    if unit_serial is not None:
        sessions = open_store_for(config)
        path = write_outgoing_report(sessions, number, unit_serial, fmt=fmt, lang=lang, out=out)
        click.echo(str(path))
        return EXIT_PASS
    evidence = EvidenceStore(config.evidence_dir)  # the annex photos live there
    say = words_for(config)
    written = write_report(
        open_store_for(config), number, fmt=fmt, lang=lang, out=out, evidence=evidence, say=say
    )
    click.echo(str(written.path))
    if written.state:
        click.echo(
            say("report.state_line", number=number, lang=lang, state=written.state), err=True
        )
    return EXIT_PASS
