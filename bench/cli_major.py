"""``packbench major ...`` and the emergency path of ``complaint new`` (issue 8, item 2).

A fire, explosion or leakage complaint (or a severe one from a key customer) is escalated the
moment it is registered: ``results.major`` raises it to severe, alerts the emergency group of the
station's ``[notifications]`` section and opens the record whose stages run on an hour clock.
The sub-commands record each stage by complaint number (what QA has in hand), and ``close`` is
refused, listing what is missing, until the customer's written acceptance is attached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.cli_common import Count, emit, json_option, parse_datetime, station, station_option
from bench.cli_words import ENGLISH_WORDS, Words, padded, words_for
from bench.config import NotificationsConfig, StationConfig
from bench.errors import EXIT_BAD_INPUT, EXIT_PASS, ConfigError, InputError
from bench.runner import open_store_for
from results.attachments import EvidenceStore
from results.complaints import ComplaintForm, get_complaint
from results.errors import InvalidTransition, NotFound
from results.major import (
    Decision,
    EmergencyGroup,
    MajorCategory,
    attach_acceptance,
    close_major,
    closure_blocker_messages,
    deadlines,
    major_category,
    major_for,
    open_containment,
    record_meeting,
    record_supplier_notification,
    register_major_complaint,
)
from results.manual_models import EmergencyNotification, MajorComplaint
from results.messages import texts
from results.models import Severity
from results.notifications import LogChannel, NotificationChannel, SmtpChannel


def notification_channel(settings: NotificationsConfig) -> NotificationChannel:
    """The station's channel; ``log`` keeps the message in the log (and in the store's rows)."""
    if settings.channel == "smtp":
        assert settings.smtp_host is not None and settings.sender is not None  # config checked
        return SmtpChannel(
            settings.smtp_host, settings.smtp_port, settings.sender, starttls=settings.starttls
        )
    return LogChannel()


def require_notifications(config: StationConfig) -> NotificationsConfig:
    if config.notifications is None:
        raise ConfigError(
            config.source,
            "notifications",
            "is missing, so a major complaint has nobody to alert",
            'add [notifications] with emergency_group = ["qa.lead@example.com"] and '
            'channel = "log" or "smtp" (docs/stations.md)',
        )
    return config.notifications


def would_be_major(symptom: str, severity: str | None, *, key_customer: bool) -> bool:
    """The manual's rule, applied before anything is written (an unknown symptom: not major;
    registration then refuses it with its own message)."""
    try:
        return (
            major_category(symptom, severity or Severity.SEVERE, key_customer=key_customer)
            is not None
        )
    except ValueError:
        return False


def notifications_of(session: Session, major_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(EmergencyNotification)
        .where(EmergencyNotification.major_id == major_id)
        .order_by(EmergencyNotification.id)
    )
    return [
        {
            "channel": n.channel,
            "recipients": list(n.recipients),
            "subject": n.subject,
            "sent_at": n.sent_at,
            "delivered": n.delivered,
            "error": n.error,
        }
        for n in rows
    ]


def show_notification(note: dict[str, Any], say: Words = ENGLISH_WORDS) -> None:
    """One notification sent: channel, recipients, delivered or why not, and its subject (as
    sent: the words the recipients read)."""
    state = (
        say("major.delivered")
        if note["delivered"]
        else say("major.not_delivered", error=note["error"])
    )
    recipients = say("list.joiner").join(note["recipients"])
    click.echo(say("major.notified", channel=note["channel"], recipients=recipients, state=state))
    click.echo(f"    {note['subject']}")


def register_major(
    config: StationConfig, form: ComplaintForm, *, key_customer: bool, as_json: bool
) -> int:
    """Register and escalate; prints the number and every notification sent."""
    settings = require_notifications(config)
    group = EmergencyGroup.of(settings.emergency_group, settings.language)
    channel = notification_channel(settings)
    sessions = open_store_for(config)
    with sessions.begin() as session:
        complaint, major = register_major_complaint(
            session,
            form,
            actor=config.operator,
            group=group,
            channel=channel,
            key_customer=key_customer,
        )
        number = complaint.number
        document: dict[str, Any] = {"complaint": number, "major": None}
        if major is not None:
            document["major"] = {
                "category": major.category,
                "severity": complaint.severity,
                "notifications": notifications_of(session, major.id),
            }
    if as_json:
        emit(document)
        return EXIT_PASS
    click.echo(number)
    if document["major"] is not None:
        say = words_for(config)
        category = say.enum("major_category", document["major"]["category"])
        click.echo(say("major.registered", category=category))
        for note in document["major"]["notifications"]:
            show_notification(note, say)
    return EXIT_PASS


def _major(session: Session, number: str) -> MajorComplaint:
    try:
        complaint = get_complaint(session, number)
    except NotFound:
        raise InputError(
            f"complaint {number} does not exist; see `packbench complaint list`"
        ) from None
    major = major_for(session, complaint.id)
    if major is None:
        raise InputError(
            f"complaint {number} is not a major complaint (fire, explosion, leakage, or severe "
            "from a key customer); register one with `packbench complaint new --symptom leakage`"
        )
    return major


@click.group()
def major() -> None:
    """Major complaints: containment, emergency meeting, supplier, acceptance, closure."""


@major.command("containment")
@click.argument("number")
@click.option("--stock-frozen", "stock", type=Count(), required=True, help="Units frozen on hand.")
@click.option("--locations", required=True, help="Where the stock was frozen.")
@click.option("--production-hold/--no-production-hold", default=True, show_default=True)
@station_option
def containment(
    number: str, stock: int, locations: str, production_hold: bool, station_file: Path | None
) -> int:
    """Record the containment of complaint NUMBER: stock on hand frozen, production held."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        found = _major(session, number)
        open_containment(
            session,
            found.id,
            stock_frozen_qty=stock,
            locations=locations,
            production_hold=production_hold,
            actor=config.operator,
        )
    say = words_for(config)
    hold = say("major.production_held" if production_hold else "major.production_not_held")
    opened = say(
        "major.containment_opened", number=number, stock=stock, locations=locations, hold=hold
    )
    click.echo(opened)
    return EXIT_PASS


def _decision(text: str) -> Decision:
    owner, sep, what = text.partition(":")
    if not sep or not owner.strip() or not what.strip():
        raise InputError(f"--decision {text!r}: write it as OWNER:TEXT, e.g. 'li:freeze lot L7'")
    return Decision(what.strip(), owner.strip())


@major.command("meeting")
@click.argument("number")
@click.option("--held-at", help="ISO date-time (default: now, UTC).")
@click.option("--attendee", "attendees", multiple=True, required=True, help="Repeat per person.")
@click.option("--decision", "decisions", multiple=True, required=True, help="OWNER:TEXT (repeat).")
@station_option
def meeting(
    number: str,
    held_at: str | None,
    attendees: tuple[str, ...],
    decisions: tuple[str, ...],
    station_file: Path | None,
) -> int:
    """Record the emergency meeting of complaint NUMBER: who attended, each decision's owner."""
    config = station(station_file)
    parsed = [_decision(d) for d in decisions]
    when = parse_datetime(held_at, "--held-at")
    with open_store_for(config).begin() as session:
        found = _major(session, number)
        record_meeting(
            session,
            found.id,
            held_at=when,
            attendees=attendees,
            decisions=parsed,
            actor=config.operator,
        )
    click.echo(words_for(config)("major.meeting_recorded", number=number, n=len(parsed)))
    return EXIT_PASS


@major.command("supplier")
@click.argument("number")
@click.option("--supplier", required=True, help="Supplier name.")
@click.option("--reference", default="", help="Their or our notice reference.")
@click.option("--content", required=True, help="What the supplier was told.")
@click.option("--email", help="Also send it to this address through the station's channel.")
@station_option
def supplier(
    number: str,
    supplier: str,
    reference: str,
    content: str,
    email: str | None,
    station_file: Path | None,
) -> int:
    """Record that the supplier was notified (and notify them by e-mail with --email)."""
    config = station(station_file)
    channel = notification_channel(require_notifications(config)) if email else None
    with open_store_for(config).begin() as session:
        found = _major(session, number)
        record_supplier_notification(
            session,
            found.id,
            supplier=supplier,
            reference=reference,
            content=content,
            actor=config.operator,
            channel=channel,
            address=email,
        )
        sent = notifications_of(session, found.id)[-1:] if email else []
    say = words_for(config)
    click.echo(say("major.supplier_recorded", number=number, supplier=supplier))
    for note in sent:
        show_notification(note, say)
    return EXIT_PASS


@major.command("accept")
@click.argument("number")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@station_option
def accept(number: str, document: Path, station_file: Path | None) -> int:
    """Attach the customer's written acceptance (PDF, or a PNG/JPEG scan) to NUMBER."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        found = _major(session, number)
        row = attach_acceptance(
            session,
            EvidenceStore(config.evidence_dir),
            found.id,
            document.read_bytes(),
            name=document.name,
            actor=config.operator,
        )
        digest = row.sha256
    say = words_for(config)
    click.echo(
        say("major.acceptance_attached", number=number, name=document.name, digest=digest[:16])
    )
    return EXIT_PASS


@major.command("close")
@click.argument("number")
@station_option
def close(number: str, station_file: Path | None) -> int:
    """Close the major complaint NUMBER; refused, with what is missing, until it may close."""
    config = station(station_file)
    say = words_for(config)
    store = EvidenceStore(config.evidence_dir)
    with open_store_for(config).begin() as session:
        found = _major(session, number)
        try:
            close_major(session, found.id, actor=config.operator, store=store)
        except InvalidTransition:
            missing = closure_blocker_messages(session, found, store)
            blockers = [say.message(m) for m in missing] or [say("major.already_closed")]
            click.echo(say("major.cannot_close", number=number), err=True)
            for blocker in blockers:
                click.echo(say("major.blocker", blocker=blocker), err=True)
            return EXIT_BAD_INPUT
    click.echo(say("major.closed", number=number))
    return EXIT_PASS


@major.command("status")
@click.argument("number")
@station_option
@json_option
def status(number: str, station_file: Path | None, as_json: bool) -> int:
    """Stages against their hour limits, notifications sent, and what still blocks closure."""
    config = station(station_file)
    now = datetime.now(UTC)
    with open_store_for(config)() as session:
        found = _major(session, number)
        stages: list[dict[str, Any]] = [
            {
                "stage": d.stage.value,
                "due_at": d.due_at,
                "done_at": d.done_at,
                "hours_late": round(d.overdue_hours(now), 2),
            }
            for d in deadlines(session, found)
        ]
        notes = notifications_of(session, found.id)
        missing = closure_blocker_messages(session, found)
        blockers = texts(missing)
        document: dict[str, Any] = {
            "complaint": number,
            "category": MajorCategory(found.category).value,
            "escalated_at": found.escalated_at,
            "closed_at": found.closed_at,
            "stages": stages,
            "notifications": notes,
            "closure_blockers": blockers,
        }
    if as_json:
        emit(document)
        return EXIT_PASS
    say = words_for(config)
    category = say.enum("major_category", document["category"])
    click.echo(say("major.status_line", number=number, category=category, at=found.escalated_at))
    for s in stages:
        done = say("major.stage_done", at=s["done_at"]) if s["done_at"] else say("major.stage_open")
        late = say("major.stage_late", hours=f"{s['hours_late']:.1f}") if s["hours_late"] else ""
        stage = padded(say.enum("major_stage", s["stage"]), 26)
        click.echo(say("major.stage_row", stage=stage, due=s["due_at"], done=done, late=late))
    for note in notes:
        show_notification(note, say)
    if missing:
        joined = say("major.blocker_joiner").join(say.message(m) for m in missing)
        click.echo(say("major.closure_blocked", blockers=joined))
    else:
        click.echo(say("major.may_close"))
    return EXIT_PASS
