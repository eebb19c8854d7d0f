"""``packbench containment``, ``packbench claim`` and ``packbench feedback`` (issue 14, items 3,
7 and 8): containment on every complaint, claims, and the feedback form that closes a complaint.

Every command names the complaint by its number (what QA and sales have in hand) and writes as
the station's operator, except the sign-offs the documents reserve to a role: ``--by`` names the
service user (regional sales manager, sales general manager, QA manager) whose role the store
checks. ``feedback close`` goes through the workflow's guarded transition and, when refused,
prints every blocker, one per line.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bench.cli_common import (
    CleanText,
    Count,
    emit,
    json_option,
    parse_datetime,
    station,
    station_option,
)
from bench.errors import EXIT_BAD_INPUT, EXIT_PASS
from bench.runner import open_store_for
from results.claims import (
    ClaimStatus,
    SettlementWay,
    approve_claim,
    claims_of,
    confirm_claim,
    open_claim,
    reject_claim,
    settle_claim,
)
from results.closure import closure_blockers
from results.complaints import get_complaint
from results.containment import (
    ActionKind,
    Area,
    open_action,
    record_check,
    release_action,
)
from results.containment_status import containment_status
from results.errors import InvalidTransition
from results.feedback import approve_feedback, close_complaint, feedback_of, write_feedback

_AT_HELP = "When it happened: ISO date-time (naive means UTC); default now."


def _at(text: str | None) -> Any:
    return None if text is None else parse_datetime(text, "--at")


@click.group()
def containment() -> None:
    """Containment on every complaint: the check of stock, WIP and incoming material, and the
    emergency measures taken, each open until released."""


@containment.command("check")
@click.argument("number")
@click.option("--area", type=click.Choice([a.value for a in Area]), required=True)
@click.option("--checked", "qty_checked", type=Count(minimum=0), required=True)
@click.option("--bad", "qty_bad", type=Count(minimum=0), required=True, help="Found bad.")
@click.option("--note", type=CleanText(4000), default="")
@click.option("--at", "at_text", help=_AT_HELP)
@station_option
def check(
    number: str,
    area: str,
    qty_checked: int,
    qty_bad: int,
    note: str,
    at_text: str | None,
    station_file: Path | None,
) -> int:
    """Record QA's check of one AREA for complaint NUMBER (how many checked, how many bad)."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        row = record_check(
            session,
            complaint.id,
            area=area,
            qty_checked=qty_checked,
            qty_bad=qty_bad,
            note=note,
            actor=config.operator,
            at=_at(at_text),
        )
        click.echo(f"{number}: {row.area} checked {row.qty_checked}, bad {row.qty_bad}")
    return EXIT_PASS


@containment.command("action")
@click.argument("number")
@click.option("--kind", type=click.Choice([k.value for k in ActionKind]), required=True)
@click.option("--owner", type=CleanText(100), required=True, help="Who carries it out.")
@click.option("--qty", "qty_affected", type=Count(minimum=0), required=True, help="Units held.")
@click.option("--location", type=CleanText(4000), default="")
@click.option("--description", type=CleanText(4000), default="")
@click.option("--at", "at_text", help=_AT_HELP)
@station_option
def action(
    number: str,
    kind: str,
    owner: str,
    qty_affected: int,
    location: str,
    description: str,
    at_text: str | None,
    station_file: Path | None,
) -> int:
    """Record an emergency measure taken for complaint NUMBER; prints its id for the release."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        row = open_action(
            session,
            complaint.id,
            kind=kind,
            owner=owner,
            qty_affected=qty_affected,
            location=location,
            description=description,
            actor=config.operator,
            at=_at(at_text),
        )
        click.echo(f"{number}: containment action {row.id} ({row.kind}) open, owner {row.owner}")
    return EXIT_PASS


@containment.command("release")
@click.argument("action_id", type=Count(minimum=1))
@click.option("--note", type=CleanText(4000), required=True, help="How it was dealt with.")
@click.option("--qty-released", type=Count(minimum=0), default=None)
@click.option("--at", "at_text", help=_AT_HELP)
@station_option
def release(
    action_id: int,
    note: str,
    qty_released: int | None,
    at_text: str | None,
    station_file: Path | None,
) -> int:
    """Release containment action ACTION_ID (see `containment show`)."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        row = release_action(
            session,
            action_id,
            actor=config.operator,
            note=note,
            qty_released=qty_released,
            at=_at(at_text),
        )
        click.echo(f"containment action {row.id} ({row.kind}) released")
    return EXIT_PASS


@containment.command("show")
@click.argument("number")
@json_option
@station_option
def show(number: str, as_json: bool, station_file: Path | None) -> int:
    """The checks and actions of complaint NUMBER and when containment was complete."""
    config = station(station_file)
    with open_store_for(config)() as session:
        document = containment_status(session, get_complaint(session, number), datetime.now(UTC))
    if as_json:
        emit(document)
        return EXIT_PASS
    done = document["completed_at"]
    click.echo(f"{number}: containment {'complete at ' + str(done) if done else 'NOT complete'}")
    for c in document["checks"]:
        click.echo(f"  check {c['area']}: {c['qty_checked']} checked, {c['qty_bad']} bad")
    for a in document["actions"]:
        state = "OPEN" if a["open"] else f"released {a['released_at']} by {a['released_by']}"
        click.echo(
            f"  action {a['id']} {a['kind']} (owner {a['owner']}, {a['qty_affected']}): {state}"
        )
    for clock in document["clocks"]:
        flag = "OVERDUE" if clock["state"] == "overdue" else clock["state"]
        click.echo(f"  clock {clock['name']}: {flag}, due {clock['due_at'] or '-'}")
    return EXIT_PASS


@click.group()
def claim() -> None:
    """Claims on a complaint: amount in RMB, basis, settlement way, the sales sign-offs."""


@claim.command("new")
@click.argument("number")
@click.option("--amount", required=True, help="RMB, exact, e.g. 38000.50.")
@click.option("--basis", type=CleanText(4000), required=True, help="How the amount was reached.")
@click.option("--way", type=click.Choice([w.value for w in SettlementWay]), required=True)
@click.option("--case-description", type=CleanText(20000), default="")
@click.option(
    "--case-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the written case description from this UTF-8 text file.",
)
@station_option
def claim_new(
    number: str,
    amount: str,
    basis: str,
    way: str,
    case_description: str,
    case_file: Path | None,
    station_file: Path | None,
) -> int:
    """Open a claim on complaint NUMBER (above RMB 25,000 the case description is required)."""
    config = station(station_file)
    if case_file is not None:
        case_description = case_file.read_text(encoding="utf-8")
    with open_store_for(config).begin() as session:
        row = open_claim(
            session,
            number,
            amount_rmb=amount,
            basis=basis,
            settlement_way=way,
            case_description=case_description,
            actor=config.operator,
        )
        click.echo(f"{number}: claim {row.id} RMB {row.amount_rmb} ({row.settlement_way}) open")
    return EXIT_PASS


def _by(by: str | None, operator: str) -> str:
    return by or operator


@claim.command("approve")
@click.argument("claim_id", type=Count(minimum=1))
@click.option("--by", help="The regional sales manager (a service user); default the operator.")
@station_option
def claim_approve(claim_id: int, by: str | None, station_file: Path | None) -> int:
    """The regional sales manager approves the case description of claim CLAIM_ID."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        row = approve_claim(session, claim_id, actor=_by(by, config.operator))
        click.echo(f"claim {row.id} approved by {row.approved_by}")
    return EXIT_PASS


@claim.command("confirm")
@click.argument("claim_id", type=Count(minimum=1))
@click.option("--by", help="The sales general manager (a service user); default the operator.")
@station_option
def claim_confirm(claim_id: int, by: str | None, station_file: Path | None) -> int:
    """The sales general manager confirms claim CLAIM_ID (not the user who approved it)."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        row = confirm_claim(session, claim_id, actor=_by(by, config.operator))
        click.echo(f"claim {row.id} confirmed by {row.confirmed_by}")
    return EXIT_PASS


@claim.command("settle")
@click.argument("claim_id", type=Count(minimum=1))
@click.option("--reference", type=CleanText(2000), required=True, help="Credit note, delivery...")
@station_option
def claim_settle(claim_id: int, reference: str, station_file: Path | None) -> int:
    """Record the settlement of claim CLAIM_ID."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        row = settle_claim(session, claim_id, actor=config.operator, reference=reference)
        click.echo(f"claim {row.id} settled ({row.settlement_reference})")
    return EXIT_PASS


@claim.command("reject")
@click.argument("claim_id", type=Count(minimum=1))
@click.option("--reason", type=CleanText(4000), required=True)
@station_option
def claim_reject(claim_id: int, reason: str, station_file: Path | None) -> int:
    """Reject claim CLAIM_ID with the reason."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        row = reject_claim(session, claim_id, actor=config.operator, reason=reason)
        click.echo(f"claim {row.id} rejected")
    return EXIT_PASS


@claim.command("list")
@click.argument("number")
@json_option
@station_option
def claim_list(number: str, as_json: bool, station_file: Path | None) -> int:
    """The claims of complaint NUMBER and what each lacks before settling."""
    config = station(station_file)
    with open_store_for(config)() as session:
        complaint = get_complaint(session, number)
        views = claims_of(session, complaint.id)
    if as_json:
        emit({"complaint": number, "claims": [asdict(v) for v in views]})
        return EXIT_PASS
    for v in views:
        pending = v.status not in (ClaimStatus.SETTLED, ClaimStatus.REJECTED)
        lacking = ", ".join(v.missing_for_settlement) if pending else ""
        missing = f"; missing: {lacking}" if lacking else ""
        click.echo(f"claim {v.id} RMB {v.amount_rmb} {v.settlement_way}: {v.status}{missing}")
    return EXIT_PASS


@click.group()
def feedback() -> None:
    """The customer feedback handling form and closing the complaint with it."""


@feedback.command("write")
@click.argument("number")
@click.option("--solution", type=CleanText(20000), required=True, help="The proposed solution.")
@station_option
def feedback_write(number: str, solution: str, station_file: Path | None) -> int:
    """Write (or, until approved, rewrite) the feedback form of complaint NUMBER."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        write_feedback(session, complaint.id, proposed_solution=solution, actor=config.operator)
        click.echo(f"{number}: feedback form written; the QA manager approves it next")
    return EXIT_PASS


@feedback.command("approve")
@click.argument("number")
@click.option("--by", help="The QA manager (a service user); default the operator.")
@station_option
def feedback_approve(number: str, by: str | None, station_file: Path | None) -> int:
    """The QA manager approves the feedback form of complaint NUMBER."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        form = approve_feedback(session, complaint.id, actor=_by(by, config.operator))
        click.echo(f"{number}: feedback form approved by {form.approved_by}")
    return EXIT_PASS


@feedback.command("status")
@click.argument("number")
@json_option
@station_option
def feedback_status(number: str, as_json: bool, station_file: Path | None) -> int:
    """The feedback form of complaint NUMBER and everything that still blocks its closure."""
    config = station(station_file)
    with open_store_for(config)() as session:
        complaint = get_complaint(session, number)
        form = feedback_of(session, complaint.id)
        document: dict[str, Any] = {
            "complaint": number,
            "status": complaint.status,
            "proposed_solution": form.proposed_solution if form else None,
            "approved_by": form.approved_by if form else None,
            "blockers": closure_blockers(session, complaint.id),
        }
    if as_json:
        emit(document)
        return EXIT_PASS
    click.echo(f"{number}: {document['status']}")
    if not document["blockers"]:
        click.echo("  nothing blocks closure")
    for blocker in document["blockers"]:
        click.echo(f"  - {blocker}")
    return EXIT_PASS


@feedback.command("close")
@click.argument("number")
@click.option("--note", type=CleanText(4000), default=None, help="Default: the proposed solution.")
@station_option
def feedback_close(number: str, note: str | None, station_file: Path | None) -> int:
    """Close complaint NUMBER; refused, listing every blocker, until it may close."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        try:
            close_complaint(session, complaint.id, actor=config.operator, note=note)
        except InvalidTransition as refused:
            blockers = closure_blockers(session, complaint.id) or [str(refused)]
            click.echo(f"packbench: complaint {number} cannot close:", err=True)
            for blocker in blockers:
                click.echo(f"  - {blocker}", err=True)
            return EXIT_BAD_INPUT
    click.echo(f"{number}: closed")
    return EXIT_PASS


GROUPS = (containment, claim, feedback)
"""What ``bench.cli`` registers (one line there: ``for group in GROUPS``)."""
