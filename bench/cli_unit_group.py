"""``packbench unit``: log returned units (``unit add``) and carry them along their path
(the other sub-commands: ``bench.cli_returns.add_unit_commands``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from bench.cli_common import CleanText, station, station_option
from bench.cli_complaints import check_model
from bench.cli_qa import qa_principal, qa_token_option
from bench.cli_returns import add_unit_commands
from bench.cli_words import words_for
from bench.errors import EXIT_PASS, InputError
from bench.runner import open_store_for
from results.complaints import add_returned_unit, get_complaint
from results.errors import NotFound
from results.unit_merge import merge_units


@click.group()
def unit() -> None:
    """Log returned units, carry them along their path (disposition, move, status), merge a
    pack logged twice."""


@unit.command("add")
@click.argument("complaint_number", type=CleanText())
@click.argument("serials", nargs=-1, required=True, type=CleanText())
@click.option(
    "--model",
    "product_model",
    type=CleanText(),
    default="",
    help="Pack spec model of the unit (default: the complaint's model).",
)
@click.option("--lot", type=CleanText(), default="")
@station_option
def unit_add(
    complaint_number: str,
    serials: tuple[str, ...],
    product_model: str,
    lot: str,
    station_file: Path | None,
) -> int:
    """Log returned units (SERIALS) under a complaint."""
    config = station(station_file)
    if product_model:
        check_model(product_model, allow_unknown=False, custom_hint=False)
    sessions = open_store_for(config)
    with sessions.begin() as session:
        try:
            found = get_complaint(session, complaint_number)
        except NotFound:
            raise InputError(
                f"complaint {complaint_number} does not exist; see `packbench complaint list`, "
                "or register it with `packbench complaint new`"
            ) from None
        for serial in serials:
            add_returned_unit(
                session,
                found.id,
                serial=serial,
                received_at=datetime.now(UTC),
                actor=config.operator,
                lot=lot,
                product_model=product_model or found.product_model,
            )
    click.echo(f"{len(serials)} unit(s) logged under {complaint_number}")
    return EXIT_PASS


@unit.command("merge")
@click.argument("serial", type=CleanText())
@click.option(
    "--keep",
    type=int,
    default=None,
    help="Id of the unit that stays (default: the first logged); needed when the units' status, "
    "disposition, lot or model differ.",
)
@click.option("--reason", type=CleanText(), required=True, help="Why (kept in the audit log).")
@qa_token_option("which runs belong to which unit is QA's.")
@station_option
def unit_merge(
    serial: str,
    keep: int | None,
    reason: str,
    token: str,
    station_file: Path | None,
) -> int:
    """Merge the units that log one pack (SERIAL) twice without a complaint, as `packbench
    verify` reports them: every run moves onto one unit, the others are deleted (their last
    state stays in the audit log)."""
    config = station(station_file)
    say = words_for(config)
    with open_store_for(config).begin() as session:
        who = qa_principal(session, token, "merge units", say)
        merged = merge_units(
            session,
            serial,
            actor=who.name,
            reason=reason,
            keep=keep,
        )
    removed = ", ".join(str(unit_id) for unit_id in merged.removed)
    click.echo(
        say("unit.merged", serial=serial, kept=merged.kept, runs=merged.runs_moved, removed=removed)
    )
    return EXIT_PASS


add_unit_commands(unit)
