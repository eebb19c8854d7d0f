"""``packbench containment``, ``packbench claim`` and ``packbench feedback`` (issue 14, items 3,
7 and 8): containment on every complaint, claims, and the feedback form that closes a complaint.

Every command names the complaint by its number (what QA and sales have in hand) and writes as
the station's operator, except the sign-offs the documents reserve to a role: ``--by`` names the
service user (regional sales manager, sales general manager, QA manager) whose role the store
checks. ``feedback close`` goes through the workflow's guarded transition and, when refused,
prints every blocker, one per line.

The commands share one way into the store (``_store``) and one builder per repeated option
(``--at``, ``--by``); the two claim sign-offs are one table (``SIGN_OFFS``) and one factory.
Options named after the store function's parameters reach it as ``**fields`` unchanged, so a
field is spelled once, in its option, and checked once, in ``results``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from bench.cli_common import (
    CleanText,
    Count,
    emit,
    json_option,
    parse_datetime,
    station,
    station_option,
)
from bench.cli_words import ENGLISH, Words, words_for
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
    requirement_code,
    settle_claim,
)
from results.closure import closure_blocker_messages
from results.complaints import get_complaint
from results.containment import (
    ActionKind,
    Area,
    open_action,
    record_check,
    release_action,
)
from results.containment_models import Claim
from results.containment_status import containment_status
from results.errors import InvalidTransition
from results.feedback import approve_feedback, close_complaint, feedback_of, write_feedback
from results.messages import texts
from results.store_words import refusal_text

F = TypeVar("F", bound=Callable[..., Any])

_AT_HELP = "When it happened: ISO date-time (naive means UTC); default now."


@contextmanager
def _store(station_file: Path | None, *, write: bool = True) -> Iterator[tuple[Session, str]]:
    """The station's store, in one transaction when ``write``, with the operator who acts."""
    config = station(station_file)
    sessions = open_store_for(config)
    with sessions.begin() if write else sessions() as session:
        yield session, config.operator


def _complaint_id(session: Session, number: str) -> int:
    return get_complaint(session, number).id


def _at(text: str | None) -> Any:
    return None if text is None else parse_datetime(text, "--at")


def at_option(function: F) -> F:
    return click.option("--at", "at_text", help=_AT_HELP)(function)


def by_option(who: str) -> Callable[[F], F]:
    """``--by``: the service user holding the role ``who`` names; default the operator."""
    return click.option("--by", help=f"The {who} (a service user); default the operator.")


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
@at_option
@station_option
def check(number: str, at_text: str | None, station_file: Path | None, **fields: Any) -> int:
    """Record QA's check of one AREA for complaint NUMBER (how many checked, how many bad)."""
    with _store(station_file) as (session, operator):
        complaint_id = _complaint_id(session, number)
        row = record_check(session, complaint_id, actor=operator, at=_at(at_text), **fields)
        say = words_for(station(station_file))
        area = say.enum("area", row.area)
        click.echo(
            say("containment.checked", number=number, area=area, n=row.qty_checked, bad=row.qty_bad)
        )
    return EXIT_PASS


@containment.command("action")
@click.argument("number")
@click.option("--kind", type=click.Choice([k.value for k in ActionKind]), required=True)
@click.option("--owner", type=CleanText(100), required=True, help="Who carries it out.")
@click.option("--qty", "qty_affected", type=Count(minimum=0), required=True, help="Units held.")
@click.option("--location", type=CleanText(4000), default="")
@click.option("--description", type=CleanText(4000), default="")
@at_option
@station_option
def action(number: str, at_text: str | None, station_file: Path | None, **fields: Any) -> int:
    """Record an emergency measure taken for complaint NUMBER; prints its id for the release."""
    with _store(station_file) as (session, operator):
        complaint_id = _complaint_id(session, number)
        row = open_action(session, complaint_id, actor=operator, at=_at(at_text), **fields)
        say = words_for(station(station_file))
        kind = say.enum("action_kind", row.kind)
        click.echo(say("containment.opened", number=number, id=row.id, kind=kind, owner=row.owner))
    return EXIT_PASS


@containment.command("release")
@click.argument("action_id", type=Count(minimum=1))
@click.option("--note", type=CleanText(4000), required=True, help="How it was dealt with.")
@click.option("--qty-released", type=Count(minimum=0), default=None)
@at_option
@station_option
def release(action_id: int, at_text: str | None, station_file: Path | None, **fields: Any) -> int:
    """Release containment action ACTION_ID (see `containment show`)."""
    with _store(station_file) as (session, operator):
        row = release_action(session, action_id, actor=operator, at=_at(at_text), **fields)
        say = words_for(station(station_file))
        kind = say.enum("action_kind", row.kind)
        click.echo(say("containment.released", id=row.id, kind=kind))
    return EXIT_PASS


@containment.command("show")
@click.argument("number")
@json_option
@station_option
def show(number: str, as_json: bool, station_file: Path | None) -> int:
    """The checks and actions of complaint NUMBER and when containment was complete."""
    with _store(station_file, write=False) as (session, _operator):
        document = containment_status(session, get_complaint(session, number), datetime.now(UTC))
    if as_json:
        emit(document)
        return EXIT_PASS
    say = words_for(station(station_file))
    done = document["completed_at"]
    complete = say("containment.complete_at", at=done) if done else say("containment.not_complete")
    click.echo(say("containment.state", number=number, state=complete))
    for c in document["checks"]:
        area = say.enum("area", c["area"])
        click.echo(say("containment.check_row", area=area, n=c["qty_checked"], bad=c["qty_bad"]))
    for a in document["actions"]:
        state = (
            say("containment.open")
            if a["open"]
            else say("containment.released_by", at=a["released_at"], by=a["released_by"])
        )
        kind = say.enum("action_kind", a["kind"])
        click.echo(
            say(
                "containment.action_row",
                id=a["id"],
                kind=kind,
                owner=a["owner"],
                qty=a["qty_affected"],
                state=state,
            )
        )
    for clock in document["clocks"]:
        overdue = clock["state"] == "overdue"
        flag = say("containment.overdue") if overdue else say.enum("sla", clock["state"])
        due = clock["due_at"] or "-"
        name = say.enum("clock", clock["name"])
        click.echo(say("containment.clock_row", name=name, flag=flag, due=due))
    return EXIT_PASS


def _requirement(say: Words, text: str) -> str:
    """A claim's missing requirement (recorded as its English text) in ``say``'s language."""
    if say.locale == ENGLISH:
        return text
    return say.enum("claim_missing", requirement_code(text))


@click.group()
def claim() -> None:
    """Claims on a complaint: amount in RMB, basis, settlement way, the sales sign-offs."""


@claim.command("new")
@click.argument("number")
@click.option("--amount", "amount_rmb", required=True, help="RMB, exact, e.g. 38000.50.")
@click.option("--basis", type=CleanText(4000), required=True, help="How the amount was reached.")
@click.option(
    "--way", "settlement_way", type=click.Choice([w.value for w in SettlementWay]), required=True
)
@click.option("--case-description", type=CleanText(20000), default="")
@click.option(
    "--case-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the written case description from this UTF-8 text file.",
)
@station_option
def claim_new(number: str, case_file: Path | None, station_file: Path | None, **fields: Any) -> int:
    """Open a claim on complaint NUMBER (above RMB 25,000 the case description is required)."""
    if case_file is not None:
        fields["case_description"] = case_file.read_text(encoding="utf-8")
    with _store(station_file) as (session, operator):
        row = open_claim(session, number, actor=operator, **fields)
        say = words_for(station(station_file))
        way = say.enum("settlement_way", row.settlement_way)
        click.echo(say("claim.opened", number=number, id=row.id, amount=row.amount_rmb, way=way))
    return EXIT_PASS


SignOff = Callable[..., Claim]
SIGN_OFFS: tuple[tuple[str, SignOff, str, str, str], ...] = (
    # command, the store's rule, the role's name, the past tense printed (also the column's
    # stem: approved_by), help
    (
        "approve",
        approve_claim,
        "regional sales manager",
        "approved",
        "The regional sales manager approves the case description of claim CLAIM_ID.",
    ),
    (
        "confirm",
        confirm_claim,
        "sales general manager",
        "confirmed",
        "The sales general manager confirms claim CLAIM_ID (not the user who approved it).",
    ),
)
"""The two sign-offs a claim above RMB 25,000 needs (``results.claims``): one command each."""


def _sign_off_command(name: str, signs: SignOff, role: str, done: str, text: str) -> None:
    @claim.command(name, help=text)
    @click.argument("claim_id", type=Count(minimum=1))
    @by_option(role)
    @station_option
    def command(claim_id: int, by: str | None, station_file: Path | None) -> int:
        with _store(station_file) as (session, operator):
            row = signs(session, claim_id, actor=by or operator)
            say = words_for(station(station_file))
            by_whom = getattr(row, done + "_by")
            status = say.enum("claim_status", done)
            click.echo(say("claim.signed", id=row.id, status=status, by=by_whom))
        return EXIT_PASS


for _sign_off in SIGN_OFFS:
    _sign_off_command(*_sign_off)


@claim.command("settle")
@click.argument("claim_id", type=Count(minimum=1))
@click.option("--reference", type=CleanText(2000), required=True, help="Credit note, delivery...")
@station_option
def claim_settle(claim_id: int, reference: str, station_file: Path | None) -> int:
    """Record the settlement of claim CLAIM_ID."""
    with _store(station_file) as (session, operator):
        row = settle_claim(session, claim_id, actor=operator, reference=reference)
        say = words_for(station(station_file))
        click.echo(say("claim.settled", id=row.id, reference=row.settlement_reference))
    return EXIT_PASS


@claim.command("reject")
@click.argument("claim_id", type=Count(minimum=1))
@click.option("--reason", type=CleanText(4000), required=True)
@station_option
def claim_reject(claim_id: int, reason: str, station_file: Path | None) -> int:
    """Reject claim CLAIM_ID with the reason."""
    with _store(station_file) as (session, operator):
        row = reject_claim(session, claim_id, actor=operator, reason=reason)
        click.echo(words_for(station(station_file))("claim.rejected", id=row.id))
    return EXIT_PASS


@claim.command("list")
@click.argument("number")
@json_option
@station_option
def claim_list(number: str, as_json: bool, station_file: Path | None) -> int:
    """The claims of complaint NUMBER and what each lacks before settling."""
    with _store(station_file, write=False) as (session, _operator):
        views = claims_of(session, _complaint_id(session, number))
    if as_json:
        emit({"complaint": number, "claims": [asdict(v) for v in views]})
        return EXIT_PASS
    say = words_for(station(station_file))
    for v in views:
        pending = v.status not in (ClaimStatus.SETTLED, ClaimStatus.REJECTED)
        lacking = [_requirement(say, m) for m in v.missing_for_settlement] if pending else []
        missing = say("claim.missing", items=say("list.joiner").join(lacking)) if lacking else ""
        way, status = (
            say.enum("settlement_way", v.settlement_way),
            say.enum("claim_status", v.status),
        )
        click.echo(
            say("claim.row", id=v.id, amount=v.amount_rmb, way=way, status=status, missing=missing)
        )
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
    with _store(station_file) as (session, operator):
        say = words_for(station(station_file))
        complaint_id = _complaint_id(session, number)
        write_feedback(session, complaint_id, proposed_solution=solution, actor=operator)
        click.echo(say("feedback.written", number=number))
    return EXIT_PASS


@feedback.command("approve")
@click.argument("number")
@by_option("QA manager")
@station_option
def feedback_approve(number: str, by: str | None, station_file: Path | None) -> int:
    """The QA manager approves the feedback form of complaint NUMBER."""
    with _store(station_file) as (session, operator):
        say = words_for(station(station_file))
        form = approve_feedback(session, _complaint_id(session, number), actor=by or operator)
        click.echo(say("feedback.approved", number=number, by=form.approved_by))
    return EXIT_PASS


@feedback.command("status")
@click.argument("number")
@json_option
@station_option
def feedback_status(number: str, as_json: bool, station_file: Path | None) -> int:
    """The feedback form of complaint NUMBER and everything that still blocks its closure."""
    with _store(station_file, write=False) as (session, _operator):
        say = words_for(station(station_file))
        complaint = get_complaint(session, number)
        form = feedback_of(session, complaint.id)
        blockers = closure_blocker_messages(session, complaint.id)
        document: dict[str, Any] = {
            "complaint": number,
            "status": complaint.status,
            "proposed_solution": form.proposed_solution if form else None,
            "approved_by": form.approved_by if form else None,
            "blockers": texts(blockers),
        }
    if as_json:
        emit(document)
        return EXIT_PASS
    click.echo(say("feedback.state", number=number, status=say.enum("status", complaint.status)))
    if not blockers:
        click.echo(say("feedback.nothing_blocks"))
    for blocker in blockers:
        click.echo(say("feedback.blocker", blocker=say.message(blocker)))
    return EXIT_PASS


@feedback.command("close")
@click.argument("number")
@click.option("--note", type=CleanText(4000), default=None, help="Default: the proposed solution.")
@station_option
def feedback_close(number: str, note: str | None, station_file: Path | None) -> int:
    """Close complaint NUMBER; refused, listing every blocker, until it may close."""
    with _store(station_file) as (session, operator):
        say = words_for(station(station_file))
        complaint_id = _complaint_id(session, number)
        try:
            close_complaint(session, complaint_id, actor=operator, note=note)
        except InvalidTransition as refused:
            blockers = [say.message(m) for m in closure_blocker_messages(session, complaint_id)]
            click.echo(say("feedback.cannot_close", number=number), err=True)
            for blocker in blockers or [refusal_text(refused, say.locale)]:
                click.echo(say("feedback.blocker", blocker=blocker), err=True)
            return EXIT_BAD_INPUT
    click.echo(say("feedback.closed", number=number))
    return EXIT_PASS


GROUPS = (containment, claim, feedback)
"""What ``bench.cli`` registers (one line there: ``for group in GROUPS``)."""
