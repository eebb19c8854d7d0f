"""``packbench report-version``: the stored, signed report versions from the command line.

These are the very records the service's report page and API work on (``results.reports.
approval``): a version frozen here shows in the service, one approved in the service is what
``packbench report`` then writes, and the rules are the same (the author of a version may not
approve it; an approved version is never changed, only amended with a reason). The author is the
station's operator, as for ``packbench 8d sign``; the approver is the QA account whose API token
``--token`` gives, as the service's approve route requires.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from bench.cli_common import station, station_option
from bench.cli_eightd import complaint_id_of as _complaint_id
from bench.cli_qa import qa_principal, qa_token_option
from bench.cli_words import words_for
from bench.errors import EXIT_PASS, InputError
from bench.runner import open_store_for
from results.models import Report
from results.reports.approval import approve, create_report, latest_version

_lang_option = click.option("--lang", type=click.Choice(["en", "zh_CN"]), default="en")


@click.group("report-version")
def report_version() -> None:
    """Stored report versions (the service's report records): create, approve, list."""


@report_version.command("create")
@click.argument("number")
@_lang_option
@station_option
def create_command(number: str, lang: str, station_file: Path | None) -> int:
    """Freeze NUMBER's report in LANG from the store as a new draft version (author: operator)."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        report = create_report(
            session, _complaint_id(session, number), locale=lang, actor=config.operator
        )
        say = words_for(config)
        click.echo(
            say(
                "report_version.created",
                number=number,
                lang=lang,
                version=report.version,
                id=report.id,
            )
        )
    return EXIT_PASS


@report_version.command("approve")
@click.argument("number")
@_lang_option
@click.option("--name", "printed_name", required=True, help="Approver's printed name.")
@qa_token_option("only QA may approve a report, and not its author.")
@station_option
def approve_command(
    number: str, lang: str, printed_name: str, token: str, station_file: Path | None
) -> int:
    """Approve the newest draft version of NUMBER's report in LANG as the QA account of --token."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        say = words_for(config)
        who = qa_principal(session, token, "approve a report", say)
        newest = latest_version(session, _complaint_id(session, number), lang)
        if newest is None:
            raise InputError(
                f"{number} has no {lang} report version to approve; create one first: "
                f"`packbench report-version create {number} --lang {lang}`"
            )
        approve(session, newest.id, signer=who.name, printed_name=printed_name)
        click.echo(
            say(
                "report_version.approved",
                number=number,
                lang=lang,
                version=newest.version,
                name=printed_name,
            )
        )
    return EXIT_PASS


@report_version.command("list")
@click.argument("number")
@station_option
def list_command(number: str, station_file: Path | None) -> int:
    """Every stored version of NUMBER's report: language, version, status, approver."""
    config = station(station_file)
    with open_store_for(config)() as session:
        rows = session.scalars(
            select(Report)
            .where(Report.complaint_id == _complaint_id(session, number))
            .order_by(Report.language, Report.version)
        )
        say = words_for(config)
        for r in rows:
            who = say("report_version.by", name=r.approved_by) if r.approved_by else ""
            status = say.enum("report_status", r.status)
            click.echo(f"{r.language:<6} v{r.version:<3} {status}{who}  {r.filename}")
    return EXIT_PASS
