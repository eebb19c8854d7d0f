"""``complaint new``, ``complaint edit`` and ``complaint list``: the complaint form at the bench.

The form's fields come from options and, with ``--from FILE``, from a TOML or JSON form (options
given as well win over the file); both are read by the one form model
(``results.complaint_form.ComplaintFormIn``) that the API uses too, and every refusal names the
option the technician typed. The list filters, sorts and pages in SQL
(``results.complaint_query``).
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.cli_common import (
    CleanText,
    Count,
    emit,
    json_option,
    parse_date,
    parse_datetime,
    station,
    station_option,
)
from bench.cli_major import register_major, would_be_major
from bench.cli_words import words_for
from bench.errors import EXIT_PASS, InputError
from bench.runner import open_store_for
from results.calendar import PLANT_TZ
from results.complaint_edit import edit_complaint
from results.complaint_form import Channel, ComplaintType, FaultStage, load_form_file, parse_form
from results.complaint_query import (
    SORT_COLUMNS,
    ComplaintFilter,
    find_complaints,
    list_row,
)
from results.complaints import ComplaintForm, register_complaint
from results.errors import NotFound, ValidationError
from results.models import ReturnedUnit
from results.product_models import check_product_model
from results.sla import SlaState
from results.store_words import refusal_text, store_error_text

_SYMPTOM_HELP = (
    "One of: no_power_on, no_charge_discharge, shuts_off_after_power_on, no_voltage_or_high_ir, "
    "appearance, dimensions, short_circuit_fire, explosion, leakage, other."
)

FORM_OPTIONS = {
    "customer": "--customer",
    "product_model": "--model",
    "shipped_qty": "--shipped",
    "defect_qty": "--defect",
    "symptom": "--symptom",
    "severity": "--severity",
    "received_by": "--received-by",
    "received_at": "--received-at",
    "customer_demands": "--demands",
    "project": "--project",
    "product_spec": "--spec",
    "shipment_date": "--ship-date",
    "symptom_other": "--description",
    "usage_temperature": "--temperature",
    "time_in_use": "--time-in-use",
    "usage_location": "--location",
    "stock_on_hand_qty": "--stock-on-hand",
    "channel": "--channel",
    "complaint_type": "--type",
    "fault_stage": "--fault-stage",
    "customer_tests": "--customer-tests",
    "assembly_process": "--assembly-process",
    "replacement_needed": "--replacement-needed",
    "samples_returned": "--samples-returned",
}
"""The form's field names as the technician typed them: an error must name the option to fix."""


def _choices(kind: type[Channel] | type[ComplaintType] | type[FaultStage]) -> str:
    return ", ".join(member.value for member in kind)


def check_model(model: str, allow_unknown: bool, *, custom_hint: bool = True) -> None:
    """The store's model check (the API's too), worded for the ``--model`` option."""
    hint = " (or add --custom-model and give --spec FILE to every run)" if custom_hint else ""
    try:
        check_product_model(model, allow_unknown=allow_unknown, hint=hint)
    except ValidationError as exc:
        raise InputError(f"--model {exc.problem}; {exc.fix}") from None


def _input_error(exc: ValidationError, language: str, *, source: str = "") -> InputError:
    """The store's refusal named by the option (or the form file's field) that gave the value,
    said in the station's ``language``."""
    option = FORM_OPTIONS.get(exc.field, exc.field)
    if source and option == exc.field:
        option = f"{source}: {exc.field}"
    return InputError(refusal_text(exc, language, field=option))


def _form(given: dict[str, Any], form_file: Path | None, language: str) -> ComplaintForm:
    """File fields, then the options given, read by the one form model."""
    data: dict[str, Any] = {}
    source = ""
    if form_file is not None:
        try:
            data = load_form_file(form_file)
        except ValidationError as exc:
            raise InputError(f"--from {exc.problem}; {exc.fix}") from None
        source = str(form_file)
    data |= {key: value for key, value in given.items() if value is not None}
    data.setdefault("received_at", datetime.now(UTC))
    try:
        return ComplaintForm(**parse_form(data).form_fields())
    except ValidationError as exc:
        raise _input_error(exc, language, source=source) from None


@click.command("new")
@click.option(
    "--from",
    "form_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML or JSON complaint form (keys: the API's field names); options override it.",
)
@click.option("--customer", type=CleanText(), help="Customer name, as on the complaint form.")
@click.option(
    "--model",
    "product_model",
    type=CleanText(),
    help="Product (pack spec) model, e.g. PB-1S2P-18650-5200.",
)
@click.option(
    "--custom-model",
    is_flag=True,
    help="Accept a --model without a built-in spec (its runs then need --spec FILE).",
)
@click.option("--shipped", "shipped_qty", type=Count(), help="Units shipped.")
@click.option("--defect", "defect_qty", type=Count(), help="Units complained about.")
@click.option("--symptom", type=CleanText(), help=_SYMPTOM_HELP)
@click.option(
    "--severity",
    type=CleanText(),
    help="severe, general or occasional. Required, except for short_circuit_fire, explosion and "
    "leakage (always severe).",
)
@click.option("--severe", is_flag=True, help="Same as --severity severe.")
@click.option(
    "--key-customer", is_flag=True, help="A key customer: severe means a major complaint."
)
@click.option("--received-by", type=CleanText(), help="Who took the complaint.")
@click.option("--received-at", type=CleanText(), help="ISO date-time (default: now, UTC).")
@click.option("--demands", type=CleanText(2000), help="What the customer asks for.")
@click.option("--channel", type=CleanText(), help=f"How it came in: {_choices(Channel)}.")
@click.option(
    "--type", "complaint_type", type=CleanText(), help=f"Complaint type: {_choices(ComplaintType)}."
)
@click.option("--fault-stage", type=CleanText(), help=f"Where it showed: {_choices(FaultStage)}.")
@click.option("--customer-tests", type=CleanText(4000), help="The customer's tests and conditions.")
@click.option("--assembly-process", type=CleanText(4000), help="How the customer assembles it.")
@click.option(
    "--replacement-needed/--no-replacement-needed",
    default=None,
    help="Whether replacement stock is needed.",
)
@click.option(
    "--samples-returned/--no-samples-returned",
    default=None,
    help="Whether samples will be returned.",
)
@click.option("--project", type=CleanText(), help="Customer project.")
@click.option("--spec", "product_spec", type=CleanText(), help="Product specification.")
@click.option("--ship-date", type=CleanText(), help="ISO date the goods were shipped.")
@click.option("--stock-on-hand", "stock_on_hand_qty", type=Count(), help="Units in stock.")
@click.option("--temperature", "usage_temperature", type=CleanText(), help="e.g. '45 degC'.")
@click.option("--time-in-use", type=CleanText(), help="e.g. '8 month'.")
@click.option("--location", "usage_location", type=CleanText(), help="Where it was used.")
@click.option("--description", "symptom_other", type=CleanText(2000), help="The symptom in words.")
@station_option
@json_option
def complaint_new(
    form_file: Path | None,
    custom_model: bool,
    severe: bool,
    key_customer: bool,
    received_at: str | None,
    ship_date: str | None,
    station_file: Path | None,
    as_json: bool,
    **fields: Any,
) -> int:
    """Register a complaint (the maker's complaint form) and print its number.

    Short-circuit/fire, explosion and leakage (or --severe --key-customer) are major complaints:
    they are escalated at once, and the emergency group of the station's [notifications] section
    is alerted through its channel; what was sent is printed. See `packbench major --help`.
    """
    if severe:
        if fields["severity"] not in (None, "severe"):
            raise InputError(
                f"--severe contradicts --severity {fields['severity']}; give one of them"
            )
        fields["severity"] = "severe"
    config = station(station_file)
    fields["customer_demands"] = fields.pop("demands")
    if received_at is not None:
        fields["received_at"] = parse_datetime(received_at, "--received-at")
    if ship_date is not None:
        fields["shipment_date"] = parse_date(ship_date, "--ship-date")
    form = _form(fields, form_file, config.language)
    check_model(form.product_model, custom_model)
    severity = None if form.severity is None else str(form.severity)
    try:
        if would_be_major(str(form.symptom), severity, key_customer=key_customer):
            return register_major(config, form, key_customer=key_customer, as_json=as_json)
        sessions = open_store_for(config)
        with sessions.begin() as session:
            number = register_complaint(session, form, actor=config.operator).number
    except ValidationError as exc:
        raise _input_error(exc, config.language) from None
    if as_json:
        emit({"complaint": number})
    else:
        click.echo(number)
    return EXIT_PASS


@click.command("edit")
@click.argument("number", type=CleanText())
@click.option("--field", required=True, type=CleanText(), help="Form field, e.g. channel.")
@click.option("--value", required=True, type=CleanText(4000), help="New value ('' clears it).")
@click.option("--reason", required=True, type=CleanText(2000), help="Why it changes.")
@station_option
@json_option
def complaint_edit(
    number: str, field: str, value: str, reason: str, station_file: Path | None, as_json: bool
) -> int:
    """Change one field of complaint NUMBER, with a reason (audited); refused once closed."""
    config = station(station_file)
    sessions = open_store_for(config)
    try:
        with sessions.begin() as session:
            complaint = edit_complaint(
                session, number, field, value, actor=config.operator, reason=reason
            )
            shown = list_row(complaint)
    except NotFound:
        raise InputError(
            f"complaint {number} does not exist; see `packbench complaint list`"
        ) from None
    except ValidationError as exc:
        raise InputError(refusal_text(exc, config.language)) from None
    if as_json:
        emit({"complaint": number, "field": field, "value": value})
    else:
        click.echo(f"{shown['complaint']}: {field} changed")
    return EXIT_PASS


def _unit_counts(session: Session, ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(ReturnedUnit.complaint_id, func.count())
        .where(ReturnedUnit.complaint_id.in_(ids))
        .group_by(ReturnedUnit.complaint_id)
    )
    return {complaint_id: count for complaint_id, count in rows if complaint_id is not None}


def _day_start(text: str | None, option: str, *, days: int = 0) -> datetime | None:
    if text is None:
        return None
    day = parse_date(text, option) + timedelta(days=days)
    return datetime.combine(day, time(), tzinfo=PLANT_TZ)


@click.command("list")
@click.option("--number", type=CleanText(), help="Complaint number.")
@click.option("--customer", type=CleanText(), help="Customer, exactly as registered.")
@click.option("--model", "product_model", type=CleanText(), help="Product model.")
@click.option("--lot", type=CleanText(), help="Complaints with a returned unit of this lot.")
@click.option("--symptom", type=CleanText(), help=_SYMPTOM_HELP)
@click.option("--class", "severity", type=CleanText(), help="severe, general or occasional.")
@click.option("--status", type=CleanText(), help="Workflow status, e.g. registered.")
@click.option("--channel", type=CleanText(), help=_choices(Channel))
@click.option("--from", "date_from", type=CleanText(), help="Received on or after (plant date).")
@click.option("--to", "date_to", type=CleanText(), help="Received on or before (plant date).")
@click.option("--sla", type=click.Choice([s.value for s in SlaState]), help="SLA state.")
@click.option(
    "--sort",
    default="-id",
    show_default=True,
    type=click.Choice([f"{p}{k}" for k in SORT_COLUMNS for p in ("", "-")]),
    help="Order; '-' for descending.",
)
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output.")
@station_option
@json_option
def complaint_list(
    date_from: str | None,
    date_to: str | None,
    sla: str | None,
    sort: str,
    limit: int,
    offset: int,
    as_csv: bool,
    station_file: Path | None,
    as_json: bool,
    **filters: str | None,
) -> int:
    """List complaints matching the filters, newest first; pages of --limit from --offset."""
    if as_csv and as_json:
        raise InputError("--csv and --json: give one of them")
    wanted = ComplaintFilter(
        received_from=_day_start(date_from, "--from"),
        received_to=_day_start(date_to, "--to", days=1),
        sla=sla,
        **filters,
    )
    config = station(station_file)
    say = words_for(config)
    sessions = open_store_for(config)
    with sessions() as session:
        try:
            page = find_complaints(
                session, wanted, sort=sort, limit=limit, offset=offset, now=datetime.now(UTC)
            )
        except ValidationError as exc:
            said = store_error_text(f"{exc.problem}; {exc.fix}", config.language)
            raise InputError(f"--{exc.field} {said}") from None
        counts = _unit_counts(session, [c.id for c in page.items])
        rows = [list_row(c) | {"units": counts.get(c.id, 0)} for c in page.items]
    if len(rows) < page.total:
        partial = say("complaint_list.partial", shown=len(rows), total=page.total, offset=offset)
        click.echo(partial, err=True)
    if as_json:
        emit(rows)
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["complaint"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        for row in rows:  # --json and --csv above keep the codes (scripts read them)
            status = say.enum("status", row["status"])
            units = say("complaint_list.units", units=row["units"])
            symptom = say.enum("symptom", row["symptom"])
            click.echo(
                f"{row['complaint']}  {status:<12} {units}  "
                f"{row['product_model']}  {row['customer']}  ({symptom})"
            )
    return EXIT_PASS
