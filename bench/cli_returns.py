"""``packbench return ...`` (notice, receipt, inspection request) and the unit path commands.

The returns flow of the maker's documents: sales' return notice, the warehouse's receipt against
it, and the inspection request that sends the units to QA (the units are created from it: serials
typed, scanned one per line, or from a CSV file). ``unit disposition|move|status`` carry a unit
along its path after analysis (``results.unit_path``); they join the ``unit`` group of
``bench.cli`` through ``add_unit_commands``, so ``unit add`` and these sit side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.cli_common import CleanText, Count, emit, json_option, station, station_option
from bench.cli_qa import qa_principal, qa_token_option
from bench.cli_words import Words, words_for
from bench.errors import EXIT_PASS, InputError
from bench.runner import open_store_for
from results import audit
from results.complaints import DISPOSITIONS, get_complaint, set_unit_status
from results.models import ReturnedUnit
from results.returns import (
    UnitLine,
    create_notice,
    create_request,
    notice_dict,
    receipt_dict,
    receive,
    request_dict,
    returns_of,
    serials_from_csv,
    serials_from_lines,
)
from results.store_words import warning_text
from results.unit_path import STEPS, allowed_next, status_of_step


@click.group("return")
def return_() -> None:
    """Return notices, the warehouse's receipt and inspection requests (units come from these)."""


@return_.command("notice")
@click.argument("complaint_number", type=CleanText())
@click.option("--qty", "quantity", type=Count(), required=True, help="Units expected back.")
@click.option("--lot", "lots", multiple=True, required=True, help="A lot coming back (repeat).")
@click.option("--carrier", required=True, type=CleanText(), help="Carrier's tracking reference.")
@click.option("--sales", required=True, type=CleanText(), help="Sales person who issued it.")
@click.option("--note", default="", type=CleanText())
@station_option
@json_option
def notice(
    complaint_number: str,
    quantity: int,
    lots: tuple[str, ...],
    carrier: str,
    sales: str,
    note: str,
    station_file: Path | None,
    as_json: bool,
) -> int:
    """Record sales' return notice for COMPLAINT_NUMBER."""
    config = station(station_file)
    data = {
        "quantity_expected": quantity,
        "lots": list(lots),
        "carrier_ref": carrier,
        "sales_person": sales,
        "note": note,
    }
    with open_store_for(config).begin() as session:
        shown = notice_dict(create_notice(session, complaint_number, data, actor=config.operator))
    if as_json:
        emit(shown)
    else:
        say = words_for(config)
        click.echo(
            say("returns.notice", id=shown["id"], number=complaint_number, quantity=quantity)
        )
    return EXIT_PASS


@return_.command("receive")
@click.argument("notice_id", type=int)
@click.option("--qty", "quantity", type=Count(), required=True, help="Units that arrived.")
@click.option(
    "--discrepancies", default="", help="What differs from the notice (needed if the count does)."
)
@station_option
@json_option
def receive_command(
    notice_id: int, quantity: int, discrepancies: str, station_file: Path | None, as_json: bool
) -> int:
    """Record the warehouse's receipt against NOTICE_ID."""
    config = station(station_file)
    data = {"quantity_received": quantity, "discrepancies": discrepancies}
    with open_store_for(config).begin() as session:
        shown = receipt_dict(receive(session, notice_id, data, actor=config.operator))
    if as_json:
        emit(shown)
    else:
        click.echo(words_for(config)("returns.received", id=notice_id, quantity=quantity))
    return EXIT_PASS


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}; give a UTF-8 text file") from None


@return_.command("request")
@click.argument("notice_id", type=int)
@click.argument("serials", nargs=-1, type=CleanText())
@click.option(
    "--scan",
    "scan_file",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="Serials one per line ('serial' or 'serial,lot'); '-' reads a scanner on stdin.",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file with a 'serial' column and optionally 'lot'.",
)
@click.option("--lot", default="", type=CleanText(), help="Lot of the SERIALS typed here.")
@click.option(
    "--analysis", "analyses", multiple=True, required=True, help="A requested analysis (repeat)."
)
@click.option(
    "--reason", default="", help="Why a count or lot that does not reconcile is accepted."
)
@station_option
@json_option
def request(
    notice_id: int,
    serials: tuple[str, ...],
    scan_file: Path | None,
    csv_file: Path | None,
    lot: str,
    analyses: tuple[str, ...],
    reason: str,
    station_file: Path | None,
    as_json: bool,
) -> int:
    """Send the units received against NOTICE_ID to QA; the units are created from it."""
    units = [UnitLine(serial=s, lot=lot) for s in serials]
    if scan_file is not None:
        units += serials_from_lines(_read(scan_file))
    if csv_file is not None:
        units += serials_from_csv(_read(csv_file))
    if not units:
        raise InputError("no units: type SERIALS, or give --scan FILE|- or --csv FILE")
    config = station(station_file)
    data = {
        "units": [u.model_dump() for u in units],
        "analyses": list(analyses),
        "override_reason": reason,
    }
    with open_store_for(config).begin() as session:
        shown = request_dict(create_request(session, notice_id, data, actor=config.operator))
    if as_json:
        emit(shown)
        return EXIT_PASS
    say = words_for(config)
    click.echo(say("returns.request", id=shown["id"], n=len(shown["units"])))
    for warning in shown["warnings"]:
        click.echo(
            say("returns.accepted", warning=warning_text(warning, say.locale), reason=reason)
        )
    return EXIT_PASS


@return_.command("show")
@click.argument("complaint_number", type=CleanText())
@station_option
@json_option
def show(complaint_number: str, station_file: Path | None, as_json: bool) -> int:
    """Notices, receipts and inspection requests of COMPLAINT_NUMBER."""
    config = station(station_file)
    with open_store_for(config)() as session:
        shown = returns_of(session, complaint_number)
    if as_json:
        emit(shown)
        return EXIT_PASS
    say = words_for(config)
    joiner = say("list.joiner")
    click.echo(
        say(
            "returns.summary",
            number=shown["complaint"],
            logged=shown["units_logged"],
            defect=shown["defect_qty"],
        )
    )
    for n in shown["notices"]:
        row = {"id": n["id"], "expected": n["quantity_expected"], "lots": joiner.join(n["lots"])}
        click.echo(
            say("returns.notice_row", **row, carrier=n["carrier_ref"], sales=n["sales_person"])
        )
        receipt = n["receipt"]
        if receipt is None:
            click.echo(say("returns.not_received"))
        else:
            extra = f" ({receipt['discrepancies']})" if receipt["discrepancies"] else ""
            click.echo(
                say("returns.received_row", quantity=receipt["quantity_received"], extra=extra)
            )
        for r in n["requests"]:
            serials = joiner.join(u["serial"] for u in r["units"])
            analyses = joiner.join(r["analyses"])
            click.echo(say("returns.request_row", id=r["id"], serials=serials, analyses=analyses))
            for warning in r["warnings"]:
                said = warning_text(warning, say.locale)
                click.echo(
                    say("returns.request_accepted", warning=said, reason=r["override_reason"])
                )
    return EXIT_PASS


# -- unit path ----------------------------------------------------------------------------------


def _unit(session: Session, complaint_number: str, serial: str) -> ReturnedUnit:
    complaint = get_complaint(session, complaint_number)
    unit = session.scalars(
        select(ReturnedUnit).where(
            ReturnedUnit.complaint_id == complaint.id, ReturnedUnit.serial == serial
        )
    ).one_or_none()
    if unit is None:
        raise InputError(
            f"no unit {serial} under {complaint_number}; see `packbench complaint show "
            f"{complaint_number}`"
        )
    return unit


def _unit_status(session: Session, unit: ReturnedUnit) -> dict[str, Any]:
    return {
        "unit_id": unit.id,
        "serial": unit.serial,
        "status": unit.status,
        "disposition": unit.disposition,
        "allowed_next": [s.value for s in allowed_next(unit.status)],
        "history": [
            {
                "at": e.at.isoformat(),
                "by": e.actor,
                "action": e.action,
                "status": json.loads(e.after_json or "{}").get("status"),
                "reason": e.reason,
            }
            for e in audit.history(session, "unit", unit.id)
        ],
    }


def _next(shown: dict[str, Any], say: Words) -> str:
    """The statuses the unit may move to next (``none (final status)`` after the last)."""
    following = [say.enum("unit_status", code) for code in shown["allowed_next"]]
    return say("list.joiner").join(following) or say("unit.final")


@click.command("disposition")
@click.argument("complaint_number", type=CleanText())
@click.argument("serial", type=CleanText())
@click.argument("disposition", type=click.Choice(DISPOSITIONS))
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@qa_token_option("the disposition is QA's.")
@station_option
@json_option
def disposition(
    complaint_number: str,
    serial: str,
    disposition: str,
    reason: str,
    token: str,
    station_file: Path | None,
    as_json: bool,
) -> int:
    """QA confirms (or overrides) the disposition of unit SERIAL of COMPLAINT_NUMBER."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        who = qa_principal(session, token, "decide a unit's disposition", words_for(config))
        unit = _unit(session, complaint_number, serial)
        set_unit_status(
            session,
            unit.id,
            "dispositioned",
            actor=who.name,
            disposition=disposition,
            reason=reason,
        )
        shown = _unit_status(session, unit)
    if as_json:
        emit(shown)
    else:
        say = words_for(config)
        shown_disposition = say.enum("disposition", disposition)
        click.echo(
            say("unit.dispositioned", serial=serial, disposition=shown_disposition, name=who.name)
        )
    return EXIT_PASS


@click.command("move")
@click.argument("complaint_number", type=CleanText())
@click.argument("serial", type=CleanText())
@click.argument("step", type=click.Choice(tuple(STEPS)))
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@station_option
@json_option
def move(
    complaint_number: str,
    serial: str,
    step: str,
    reason: str,
    station_file: Path | None,
    as_json: bool,
) -> int:
    """Take unit SERIAL of COMPLAINT_NUMBER one STEP along its path after the disposition."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        unit = _unit(session, complaint_number, serial)
        set_unit_status(
            session, unit.id, status_of_step(step), actor=config.operator, reason=reason
        )
        shown = _unit_status(session, unit)
    if as_json:
        emit(shown)
    else:
        say = words_for(config)
        status = say.enum("unit_status", shown["status"])
        click.echo(say("unit.moved", serial=serial, status=status, following=_next(shown, say)))
    return EXIT_PASS


@click.command("status")
@click.argument("complaint_number", type=CleanText())
@click.argument("serial", type=CleanText())
@station_option
@json_option
def status(complaint_number: str, serial: str, station_file: Path | None, as_json: bool) -> int:
    """Where unit SERIAL of COMPLAINT_NUMBER is, what may come next, and who moved it when."""
    config = station(station_file)
    with open_store_for(config)() as session:
        shown = _unit_status(session, _unit(session, complaint_number, serial))
    if as_json:
        emit(shown)
        return EXIT_PASS
    say = words_for(config)
    disposition = say.enum("disposition", shown["disposition"])
    disposition_text = f" ({disposition})" if shown["disposition"] else ""
    status = say.enum("unit_status", shown["status"])
    click.echo(say("unit.status", serial=serial, status=status, disposition=disposition_text))
    click.echo(say("unit.next", following=_next(shown, say)))
    for event in shown["history"]:
        why = f": {event['reason']}" if event["reason"] else ""
        moved = say.enum("unit_status", event["status"]) if event["status"] else event["status"]
        at, by = event["at"], event["by"]
        click.echo(say("unit.event", at=at, by=by, status=moved, why=why))
    return EXIT_PASS


def add_unit_commands(group: click.Group) -> None:
    """Join ``disposition``, ``move`` and ``status`` to the ``unit`` group of ``bench.cli``."""
    for command in (disposition, move, status):
        group.add_command(command)
