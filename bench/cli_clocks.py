"""``packbench kpi`` and ``packbench complaint class|pause|clocks`` (issue 14, items 2 and 9).

Thin: the rules live in ``results.complaint_class``, ``results.clock_records``,
``results.clocks`` and ``results.kpi``; this module parses options, opens the station's store
and prints. Store errors (unknown class, a pause never started) reach ``bench.cli.main``, which
prints them with the field and the fix and exits with the bad-input status; nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bench.cli_common import emit, json_option, parse_date, parse_datetime, station, station_option
from bench.cli_words import words_for
from bench.errors import EXIT_PASS
from bench.runner import open_store_for
from results.clock_records import (
    ClockEventKind,
    PauseKind,
    end_pause,
    pause_sentences,
    record_clock_event,
    start_pause,
)
from results.clocks import complaint_clocks
from results.complaint_class import ClassFacts, propose_class, set_class
from results.complaints import get_complaint
from results.kpi import KPI_TYPES
from results.kpi import kpi as compute_kpi


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@click.command("kpi")
@click.option("--from", "first", required=True, help="First day of receipt (ISO date, plant time).")
@click.option("--to", "last", required=True, help="Last day of receipt (ISO date, included).")
@click.option("--class", "complaint_class", default=None, help="severe, general or occasional.")
@click.option(
    "--type",
    "complaint_type",
    type=click.Choice(KPI_TYPES),
    default=None,
    help="Product complaints, or the non-product ones (transport, packing, shipping, service).",
)
@json_option
@station_option
def kpi(
    first: str,
    last: str,
    complaint_class: str | None,
    complaint_type: str | None,
    as_json: bool,
    station_file: Path | None,
) -> int:
    """Quality targets per class for complaints received FROM..TO, with the ones that missed."""
    start, end = parse_date(first, "--from"), parse_date(last, "--to")
    config = station(station_file)
    with open_store_for(config)() as session:
        found = compute_kpi(
            session, start, end, complaint_class=complaint_class, complaint_type=complaint_type
        )
    if as_json:
        classes = [k.as_dict() for k in found]
        emit({"from": start, "to": end, "type": complaint_type, "classes": classes})
        return EXIT_PASS
    say = words_for(config)
    if not found:
        click.echo(say("kpi.none", start=start, end=end))
    flags = {True: "kpi.on_target", False: "kpi.below_target", None: "kpi.nothing_judged"}
    for item in found:
        shown_class = say.enum("severity", item.complaint_class)
        click.echo(say("kpi.class", cls=shown_class, n=item.complaints))
        for t in item.targets:
            click.echo(
                say(
                    "kpi.target",
                    name=f"{say.enum('clock', t.name):<13}",
                    days=f"{t.working_days:>2}",
                    share=f"{_share(t.share):>6}",
                    target=f"{t.target:.0%}",
                    met=t.met,
                    missed=t.missed,
                    pending=t.pending,
                    flag=say(flags[t.on_target]),
                )
            )
            if t.missed_numbers:
                click.echo(say("kpi.missed", numbers=", ".join(t.missed_numbers)))
    return EXIT_PASS


@click.command("class")
@click.argument("number")
@click.option(
    "--set",
    "new_class",
    default=None,
    help="Set the class (severe/general/occasional "
    "or the deck's general/major/urgent); needs --reason.",
)
@click.option("--reason", default="", help="Why the complaint has this class (audited).")
@click.option("--formal-demand", is_flag=True, help="Customer demands corrective action formally.")
@click.option("--line-stopped", is_flag=True, help="Customer's line stopped or seriously affected.")
@click.option("--assembly-defect", is_flag=True, help="Functional defect in assembly.")
@click.option("--cosmetic", is_flag=True, help="Cosmetic only.")
@click.option("--packing", is_flag=True, help="Quantity, packing or labelling.")
@click.option("--window-days", type=int, default=90, show_default=True, help="Repeat window.")
@json_option
@station_option
def complaint_class(
    number: str,
    new_class: str | None,
    reason: str,
    formal_demand: bool,
    line_stopped: bool,
    assembly_defect: bool,
    cosmetic: bool,
    packing: bool,
    window_days: int,
    as_json: bool,
    station_file: Path | None,
) -> int:
    """Propose the class of complaint NUMBER from its facts (and repeats), or --set it."""
    facts = ClassFacts(
        formal_corrective_action_demand=formal_demand,
        customer_line_stopped=line_stopped,
        functional_defect_in_assembly=assembly_defect,
        cosmetic=cosmetic,
        quantity_packing_labelling=packing,
    )
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        proposal = propose_class(session, complaint.id, facts, window_days=window_days)
        if new_class is not None:
            set_class(session, complaint.id, new_class, actor=config.operator, reason=reason)
        current = complaint.severity
    document: dict[str, Any] = {
        "complaint": number,
        "class": current,
        "proposed": proposal.complaint_class.value,
        "deck_class": proposal.deck_class.value,
        "reasons": list(proposal.reasons),
        "repeats": list(proposal.repeats),
    }
    if as_json:
        emit(document)
        return EXIT_PASS
    say = words_for(config)
    click.echo(say("class.current", number=number, cls=say.enum("severity", current)))
    click.echo(
        say(
            "class.proposed",
            cls=say.enum("severity", proposal.complaint_class.value),
            deck=say(f"class.deck.{proposal.deck_class.value}"),
            reasons=say("class.reason_joiner").join(
                say.message(m) for m in proposal.reason_messages
            ),
        )
    )
    return EXIT_PASS


@click.group("pause")
def complaint_pause() -> None:
    """Pauses of a complaint's clocks (tests, sample builds) and the events clocks run on."""


@complaint_pause.command("start")
@click.argument("number")
@click.option("--kind", type=click.Choice([k.value for k in PauseKind]), required=True)
@click.option("--reason", required=True, help="Which test or sample build needs the time.")
@click.option("--at", "at", default=None, help="ISO date-time (default: now, UTC).")
@click.option("--sales-informed/--sales-not-informed", required=True)
@click.option("--customer-informed/--customer-not-informed", required=True)
@station_option
def pause_start(
    number: str,
    kind: str,
    reason: str,
    at: str | None,
    sales_informed: bool,
    customer_informed: bool,
    station_file: Path | None,
) -> int:
    """Start a pause of complaint NUMBER's clocks."""
    started = parse_datetime(at, "--at")
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        start_pause(
            session,
            complaint.id,
            kind=kind,
            reason=reason,
            started_at=started,
            sales_informed=sales_informed,
            customer_informed=customer_informed,
            actor=config.operator,
        )
    stops = sales_informed and customer_informed
    say = words_for(config)
    click.echo(
        say("pause.started", number=number, at=started.isoformat())
        + ("" if stops else say("pause.no_stop"))
    )
    return EXIT_PASS


@complaint_pause.command("end")
@click.argument("number")
@click.option("--at", "at", default=None, help="ISO date-time (default: now, UTC).")
@station_option
def pause_end(number: str, at: str | None, station_file: Path | None) -> int:
    """End the running pause of complaint NUMBER."""
    ended = parse_datetime(at, "--at")
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        end_pause(session, complaint.id, ended_at=ended, actor=config.operator)
    click.echo(words_for(config)("pause.ended", number=number, at=ended.isoformat()))
    return EXIT_PASS


@complaint_pause.command("list")
@click.argument("number")
@click.option("--lang", type=click.Choice(["en", "zh_CN"]), default="en", show_default=True)
@station_option
def pause_list(number: str, lang: str, station_file: Path | None) -> int:
    """The pauses of complaint NUMBER as the 8D problem description will carry them."""
    config = station(station_file)
    with open_store_for(config)() as session:
        complaint = get_complaint(session, number)
        lines = pause_sentences(session, complaint.id, lang)
    for line in lines or [words_for(config)("pause.none")]:
        click.echo(line)
    return EXIT_PASS


@complaint_pause.command("event")
@click.argument("number")
@click.option("--kind", type=click.Choice([k.value for k in ClockEventKind]), required=True)
@click.option("--at", "at", default=None, help="ISO date-time (default: now, UTC).")
@click.option("--note", default="")
@station_option
def clock_event(
    number: str, kind: str, at: str | None, note: str, station_file: Path | None
) -> int:
    """Record a clock event of complaint NUMBER (sales' feedback received, new customer info...)."""
    when = parse_datetime(at, "--at")
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint = get_complaint(session, number)
        record_clock_event(session, complaint.id, kind, when, actor=config.operator, note=note)
    say = words_for(config)
    shown_kind = say.enum("clock_event", kind)
    click.echo(say("clock_event.recorded", number=number, kind=shown_kind, at=when.isoformat()))
    return EXIT_PASS


@click.command("clocks")
@click.argument("number")
@json_option
@station_option
def complaint_clocks_command(number: str, as_json: bool, station_file: Path | None) -> int:
    """Every clock of complaint NUMBER: rule, start, due, done and state (overdue: past due and
    not done)."""
    now = datetime.now(UTC)
    config = station(station_file)
    with open_store_for(config)() as session:
        complaint = get_complaint(session, number)
        clocks = complaint_clocks(session, complaint.id)
    rows = [c.as_dict(now) for c in clocks]
    if as_json:
        emit({"complaint": number, "clocks": rows})
        return EXIT_PASS
    say = words_for(config)
    for c in clocks:
        due = c.due_at.isoformat() if c.due_at else "-"
        name, state = say.enum("clock", c.name), say.enum("sla", c.state(now))
        click.echo(
            say("clocks.row", name=f"{name:<28}", state=f"{state:<11}", due=due, rule=c.rule)
        )
    return EXIT_PASS
