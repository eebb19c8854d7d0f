"""``packbench reply ...``: customer reply letters from the command line (issue 8, item 3).

The letter is drafted by ``results.replies`` from what the store holds (the runs' conclusions,
the approved compensation), and the same rule check guards ``check`` and ``export``: a refusal
exits 2 and prints each hit as the sentence and why, so the person editing the letter knows which
line to change. Commands take the complaint number; the newest reply of a complaint is the one
meant unless ``--reply ID`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.cli_common import (
    Count,
    F,
    Positive,
    emit,
    json_option,
    parse_date,
    station,
    station_option,
)
from bench.cli_words import ENGLISH_WORDS, Words, words_for
from bench.errors import EXIT_BAD_INPUT, EXIT_PASS, InputError
from bench.runner import open_store_for
from results.complaints import get_complaint
from results.errors import NotFound
from results.manual_models import CustomerReply
from results.replies import (
    LANGUAGES,
    ReplyRefused,
    approve_promise,
    check_reply,
    create_reply,
    export_reply,
)
from results.reply_rules import ReplyIssue


def _complaint_id(session: Session, number: str) -> int:
    try:
        return get_complaint(session, number).id
    except NotFound:
        raise InputError(
            f"complaint {number} does not exist; see `packbench complaint list`"
        ) from None


def _reply_id(session: Session, number: str, reply_id: int | None) -> int:
    """The reply meant: ``--reply`` (checked to belong to NUMBER) or the newest one."""
    complaint_id = _complaint_id(session, number)
    query = select(CustomerReply.id).where(CustomerReply.complaint_id == complaint_id)
    if reply_id is not None:
        query = query.where(CustomerReply.id == reply_id)
    found = session.scalars(query.order_by(CustomerReply.id.desc())).first()
    if found is None:
        what = f"reply {reply_id}" if reply_id is not None else "no reply"
        raise InputError(
            f"complaint {number} has {what} on file; draft one with "
            f"`packbench reply draft {number} --lang en`"
        )
    return found


def _show_issues(issues: list[ReplyIssue], say: Words = ENGLISH_WORDS) -> None:
    """Each offending sentence with the rule it breaks: by its code in English (as printed
    before), by its label in another language; the explanation is in the letter's language."""
    for issue in issues:
        click.echo(f"  - {issue.sentence!r}", err=True)
        click.echo(f"      {say.enum('reply_rule', issue.rule)}: {issue.why}", err=True)


def _reply_option(function: F) -> F:
    return click.option(
        "--reply",
        "reply_id",
        type=Count(1),
        help="Reply id (default: the newest of the complaint).",
    )(function)


@click.group()
def reply() -> None:
    """Customer reply letters: draft, check against the manual's rules, approve terms, export."""


@reply.command("draft")
@click.argument("number")
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--follow-up", help="Follow-up date, ISO (default: in 7 days).")
@click.option(
    "--body",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this text (UTF-8 file) instead of drafting from the records.",
)
@station_option
@json_option
def draft(
    number: str,
    language: str,
    follow_up: str | None,
    body: Path | None,
    station_file: Path | None,
    as_json: bool,
) -> int:
    """Draft a reply to complaint NUMBER from its report's conclusion, disposition and advice."""
    config = station(station_file)
    say = words_for(config)
    due = parse_date(follow_up, "--follow-up") if follow_up else None
    text = body.read_text(encoding="utf-8") if body else None
    with open_store_for(config).begin() as session:
        row = create_reply(
            session,
            _complaint_id(session, number),
            language=language,
            actor=config.operator,
            follow_up_due=due,
            body=text,
        )
        reply_id, letter, due_date = row.id, row.body, row.follow_up_due
        issues = check_reply(session, reply_id)
    if as_json:
        emit(
            {
                "complaint": number,
                "reply": reply_id,
                "language": language,
                "follow_up_due": due_date,
                "body": letter,
                "issues": [{"sentence": i.sentence, "rule": i.rule, "why": i.why} for i in issues],
            }
        )
    else:
        click.echo(say("reply.drafted", reply=reply_id, language=language, due=due_date))
        click.echo("")
        click.echo(letter)
    if issues:
        click.echo(say("reply.draft_breaks", count=len(issues)), err=True)
        _show_issues(issues, say)
    return EXIT_PASS


@reply.command("check")
@click.argument("number")
@_reply_option
@station_option
def check(number: str, reply_id: int | None, station_file: Path | None) -> int:
    """Check the reply against the forbidden phrases and unapproved promises (exit 2 on a hit)."""
    config = station(station_file)
    say = words_for(config)
    with open_store_for(config)() as session:
        found = _reply_id(session, number, reply_id)
        issues = check_reply(session, found)
    if issues:
        click.echo(say("reply.breaks", reply=found, count=len(issues)), err=True)
        _show_issues(issues, say)
        return EXIT_BAD_INPUT
    click.echo(say("reply.ok", reply=found))
    return EXIT_PASS


@reply.command("approve-promise")
@click.argument("number")
@click.option(
    "--amount", type=Positive(), help="An approved compensation amount (with --currency)."
)
@click.option("--currency", help="ISO currency of --amount, e.g. CNY, USD.")
@click.option("--date", "on_date", help="An approved date, ISO (e.g. a replacement delivery).")
@click.option("--days", type=Count(0), help="An approved window in days.")
@click.option("--offer", help="An approved offer in kind, e.g. 'free replacement of 7 packs'.")
@click.option("--note", default="", help="Why, or who decided.")
@station_option
def approve(
    number: str,
    amount: float | None,
    currency: str | None,
    on_date: str | None,
    days: int | None,
    offer: str | None,
    note: str,
    station_file: Path | None,
) -> int:
    """Record one term the company approved for NUMBER: an amount, a date, days or an offer."""
    config = station(station_file)
    say = words_for(config)
    when = parse_date(on_date, "--date") if on_date else None
    with open_store_for(config).begin() as session:
        row = approve_promise(
            session,
            _complaint_id(session, number),
            actor=config.operator,
            amount=amount,
            currency=currency,
            on_date=when,
            days=days,
            offer=offer,
            note=note,
        )
        term = {
            "amount": f"{row.currency} {row.amount:.2f}" if row.amount else "",
            "date": str(row.on_date),
            "days": say("reply.days", days=row.days),
            "offer": row.note,
        }[row.kind]
    kind = say(f"reply.promise_kind.{row.kind}")
    click.echo(say("reply.promise_approved", number=number, kind=kind, term=term))
    return EXIT_PASS


@reply.command("export")
@click.argument("number")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_reply_option
@station_option
def export(number: str, out: Path, reply_id: int | None, station_file: Path | None) -> int:
    """Write the reply's text to --out; refused (exit 2, nothing written) while a rule is broken."""
    config = station(station_file)
    say = words_for(config)
    with open_store_for(config)() as session:
        found = _reply_id(session, number, reply_id)
        try:
            text = export_reply(session, found)
        except ReplyRefused as exc:
            click.echo(say("reply.refused", reply=found, count=len(exc.issues)), err=True)
            _show_issues(exc.issues, say)
            return EXIT_BAD_INPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    click.echo(str(out))
    return EXIT_PASS
