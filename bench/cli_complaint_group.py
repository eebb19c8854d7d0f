"""``packbench complaint``: register, list, show and edit complaints, their class and clocks.

The group and ``complaint show`` live here; the other sub-commands come from
``bench.cli_complaints`` and ``bench.cli_clocks``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bench.cli_clocks import complaint_class, complaint_clocks_command, complaint_pause
from bench.cli_common import emit, json_option, station, station_option
from bench.cli_complaints import complaint_edit, complaint_list, complaint_new
from bench.cli_words import words_for
from bench.errors import EXIT_PASS, InputError
from bench.live import LiveView
from bench.runner import open_store_for, stored_units
from results.errors import NotFound
from results.readback import complaint_id_of, load_complaint


@click.group()
def complaint() -> None:
    """Register, list and show complaints."""


@complaint.command("show")
@click.argument("number")
@station_option
@json_option
def complaint_show(number: str, station_file: Path | None, as_json: bool) -> int:
    """A complaint's units: each procedure's latest valid run on its own row (invalid and
    aborted runs are listed below the table, not summarised)."""
    from bench.complaint_show_words import header_lines, set_aside_lines, unit_rows

    config = station(station_file)
    say = words_for(config)
    sessions = open_store_for(config)
    with sessions() as session:
        try:
            found = load_complaint(session, complaint_id_of(session, number))
        except NotFound:
            raise InputError(
                f"complaint {number} does not exist; see `packbench complaint list`"
            ) from None
        header = {
            "complaint": found.number,
            "customer": found.customer,
            "product_model": found.product_model,
            "symptom": found.symptom,
            "severity": found.severity,
            "status": found.status,
        }
        units = stored_units(session, found)
    if as_json:
        emit(header | {"units": units})
        return EXIT_PASS
    for line in header_lines(header, say):  # the words in ``bench.complaint_show_words``
        click.echo(line)
    view = LiveView(sys.stdout, locale=config.language)
    view.table([row for u in units for row in unit_rows(u, say)])
    for u in units:
        for line in set_aside_lines(u, say):
            click.echo(line)
    return EXIT_PASS


complaint.add_command(complaint_new)
complaint.add_command(complaint_list)
complaint.add_command(complaint_edit)
complaint.add_command(complaint_class)
complaint.add_command(complaint_pause)
complaint.add_command(complaint_clocks_command)
