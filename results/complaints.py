"""Complaint registration (the maker's complaint form), numbering, and returned units.

Numbers like ``CC-2026-0001`` must be unique and gap-free even with several benches registering at
once: the per-year counter row is locked for the transaction (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are ``BEGIN IMMEDIATE``), and the increment commits or rolls back
together with the complaint, so a refused form never burns a number.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from instruments.quantity_field import Problem, QuantityProblem, QuantityRule
from instruments.units import Quantity, UnitMismatchError, as_magnitude
from results import audit, unit_path
from results.calendar import PLANT_TZ
from results.complaint_form import Channel, ComplaintType, FaultStage
from results.complaint_status import ComplaintStatus
from results.db import one_at_a_time
from results.errors import NotFound, ValidationError
from results.integrity import snapshot
from results.models import (
    Complaint,
    ComplaintCounter,
    ReturnedUnit,
    Severity,
    Symptom,
    UnitStatus,
)

SERIES = "CC"
_E = TypeVar("_E", bound=enum.StrEnum)
SAFETY_SYMPTOMS = frozenset({Symptom.SHORT_CIRCUIT_FIRE, Symptom.EXPLOSION, Symptom.LEAKAGE})
CLOCK_SKEW = timedelta(minutes=5)
USAGE_TEMPERATURE_RANGE_C = (-60.0, 150.0)


@dataclass(frozen=True)
class ComplaintForm:
    """The fields of the maker's complaint form, as the person registering it fills them in.

    ``usage_temperature`` and ``time_in_use`` are quantities (``Q_(45, "degC")``,
    ``Q_(8, "month")``) or strings pint can parse: a bare number would hide its unit.
    ``severity`` may be left out for fire, explosion and leakage, which are always severe.
    """

    customer: str
    product_model: str
    shipped_qty: int
    defect_qty: int
    symptom: Symptom | str
    received_at: datetime
    received_by: str
    severity: Severity | str | None = None
    project: str = ""
    product_spec: str = ""
    shipment_date: date | None = None
    symptom_other: str = ""
    usage_temperature: Quantity | str | None = None
    time_in_use: Quantity | str | None = None
    usage_location: str = ""
    stock_on_hand_qty: int | None = None
    customer_demands: str = ""
    channel: Channel | str | None = None
    complaint_type: ComplaintType | str | None = None
    fault_stage: FaultStage | str | None = None
    customer_tests: str = ""
    assembly_process: str = ""
    replacement_needed: bool | None = None
    samples_returned: bool | None = None


def _text(field: str, value: object, *, required: bool, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"{value!r} is not text", "give a string")
    value = value.strip()
    if required and not value:
        raise ValidationError(field, "is empty", f"fill in the {field.replace('_', ' ')}")
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters long", f"shorten to {limit}")
    return value


def _count(field: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"{value!r} is not a whole number", "give a count of units")
    if value < minimum:
        raise ValidationError(field, f"{value} is below {minimum}", f"give {minimum} or more")
    return value


def _quantity(field: str, value: Quantity | str | None, unit: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = QuantityRule(unit).parse(value)
        except QuantityProblem as problem:
            if problem.kind is Problem.UNREADABLE:
                raise ValidationError(
                    field,
                    f"{value!r} is not a quantity ({problem.detail})",
                    f"write it like '25 {unit}'",
                ) from problem
            value = problem.parsed  # as_magnitude below words a missing or wrong unit
    try:
        return as_magnitude(value, unit, name=field)
    except UnitMismatchError as exc:
        raise ValidationError(field, str(exc), f"give a quantity in {unit}") from exc


def _enum(field: str, value: object, enum: type[_E]) -> _E:
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationError(field, f"unknown value {value!r}", f"use one of: {allowed}") from None


def _optional_enum(field: str, value: object, enum_type: type[_E]) -> str | None:
    return None if value is None else _enum(field, value, enum_type).value


def _flag(field: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValidationError(field, f"{value!r} is not yes or no", "give true or false")


def _intake(form: ComplaintForm) -> dict[str, Any]:
    """The intake fields of issue 14 (channel, type, fault stage, tests, assembly, stock)."""
    return {
        "channel": _optional_enum("channel", form.channel, Channel),
        "complaint_type": _optional_enum("complaint_type", form.complaint_type, ComplaintType),
        "fault_stage": _optional_enum("fault_stage", form.fault_stage, FaultStage),
        "customer_tests": _text("customer_tests", form.customer_tests, required=False, limit=4000)
        or None,
        "assembly_process": _text(
            "assembly_process", form.assembly_process, required=False, limit=4000
        )
        or None,
        "replacement_needed": _flag("replacement_needed", form.replacement_needed),
        "samples_returned": _flag("samples_returned", form.samples_returned),
    }


def validate_form(form: ComplaintForm, *, now: datetime) -> dict[str, Any]:
    """The column values of a valid form, or ``ValidationError`` for the first bad field."""
    intake = _intake(form)
    symptom = _enum("symptom", form.symptom, Symptom)
    if form.severity is None:
        if symptom not in SAFETY_SYMPTOMS:
            raise ValidationError("severity", "is missing", "choose severe, general or occasional")
        severity = Severity.SEVERE
    else:
        severity = _enum("severity", form.severity, Severity)
    if symptom in SAFETY_SYMPTOMS and severity is not Severity.SEVERE:
        raise ValidationError(
            "severity",
            f"{symptom.value} is a safety symptom but severity is {severity.value}",
            "register fire, explosion and leakage as severe",
        )
    symptom_other = _text("symptom_other", form.symptom_other, required=False, limit=2000)
    if symptom is Symptom.OTHER and not symptom_other:
        raise ValidationError("symptom_other", "is empty", "describe the symptom for 'other'")
    shipped = _count("shipped_qty", form.shipped_qty, minimum=1)
    defect = _count("defect_qty", form.defect_qty, minimum=1)
    if defect > shipped:
        raise ValidationError(
            "defect_qty",
            f"{defect} defective out of {shipped} shipped",
            "check both quantities: defective cannot exceed shipped",
        )
    stock = None
    if form.stock_on_hand_qty is not None:
        stock = _count("stock_on_hand_qty", form.stock_on_hand_qty, minimum=0)
    received = form.received_at
    if not isinstance(received, datetime) or received.tzinfo is None:
        raise ValidationError("received_at", f"{received!r} is no aware datetime", "give UTC")
    if received > now + CLOCK_SKEW:
        raise ValidationError("received_at", "is in the future", "give when it was received")
    if form.shipment_date is not None and form.shipment_date > received.date():
        raise ValidationError(
            "shipment_date",
            f"{form.shipment_date} is after receipt of the complaint",
            "check the shipment date",
        )
    temperature = _quantity("usage_temperature", form.usage_temperature, "degC")
    low, high = USAGE_TEMPERATURE_RANGE_C
    if temperature is not None and not low <= temperature <= high:
        raise ValidationError(
            "usage_temperature",
            f"{temperature:.1f} °C is outside {low:g}..{high:g} °C",
            "check the value and its unit",
        )
    days = _quantity("time_in_use", form.time_in_use, "day")
    if days is not None and days < 0:
        raise ValidationError("time_in_use", "is negative", "give the time in use, 0 or more")
    return {
        "customer": _text("customer", form.customer, required=True, limit=200),
        "project": _text("project", form.project, required=False, limit=200),
        "product_model": _text("product_model", form.product_model, required=True, limit=100),
        "product_spec": _text("product_spec", form.product_spec, required=False, limit=200),
        "shipment_date": form.shipment_date,
        "shipped_qty": shipped,
        "defect_qty": defect,
        "symptom": symptom.value,
        "symptom_other": symptom_other,
        "usage_temperature_c": temperature,
        "time_in_use_days": days,
        "usage_location": _text("usage_location", form.usage_location, required=False, limit=200),
        "stock_on_hand_qty": stock,
        "customer_demands": _text(
            "customer_demands", form.customer_demands, required=False, limit=4000
        ),
        "severity": severity.value,
        "received_at": received,
        "received_by": _text("received_by", form.received_by, required=True, limit=100),
    } | intake


def next_number(session: Session, *, year: int, series: str = SERIES) -> str:
    """Draw the next number of ``series`` for ``year`` in the caller's transaction."""
    counter = _counter(session, series, year)
    counter.last_value += 1
    session.flush()
    return f"{series}-{year}-{counter.last_value:04d}"


def reserve_number(session: Session, number: str) -> None:
    """A complaint numbered elsewhere (a bench, offline) arrives: never draw its number again."""
    found = re.fullmatch(r"(.+)-(\d{4})-(\d+)", number)
    if found is None:
        return
    counter = _counter(session, found.group(1), int(found.group(2)))
    counter.last_value = max(counter.last_value, int(found.group(3)))
    session.flush()


def _counter(session: Session, series: str, year: int) -> ComplaintCounter:
    """The (series, year) counter row, created at 0 if new, locked for the transaction."""
    dialect = session.get_bind().dialect.name
    values = {"series": series, "year": year, "last_value": 0}
    if dialect == "postgresql":
        session.execute(postgresql.insert(ComplaintCounter).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(ComplaintCounter).values(values).on_conflict_do_nothing())
    else:
        raise NotImplementedError(f"complaint numbering on {dialect!r}: add its upsert here")
    counter: ComplaintCounter = session.execute(
        select(ComplaintCounter)
        .where(ComplaintCounter.series == series, ComplaintCounter.year == year)
        .with_for_update()
    ).scalar_one()
    return counter


def register_complaint(
    session: Session,
    form: ComplaintForm,
    *,
    actor: str,
    now: datetime | None = None,
    tz: tzinfo = PLANT_TZ,
) -> Complaint:
    """Validate the form, number it and store it, audited, in the caller's transaction.

    The number's year is the plant's (``tz``, the working-day calendar's zone): a complaint
    registered in Shanghai at 07:00 on 1 January is a new-year complaint although UTC still says
    31 December.
    """
    now = now or datetime.now(UTC)
    actor = _text("registered_by", actor, required=True, limit=100)
    values = validate_form(form, now=now)
    number = next_number(session, year=now.astimezone(tz).year)
    complaint = Complaint(
        number=number,
        registered_at=now,
        registered_by=actor,
        status=ComplaintStatus.REGISTERED.value,
        **values,
    )
    session.add(complaint)  # its receipt day and deadlines are derived on insert (models)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="complaint.registered",
        entity_type="complaint",
        entity_id=complaint.id,
        after=snapshot(complaint),
    )
    return complaint


def get_complaint(session: Session, number: str) -> Complaint:
    complaint = session.scalars(select(Complaint).where(Complaint.number == number)).one_or_none()
    if complaint is None:
        raise NotFound("complaint", number)
    return complaint


def unit_key(complaint_id: int | None, serial: str) -> str:
    """What two transactions creating one unit lock (``results.db.one_at_a_time``): here, and
    in a bench's sync (``results.run_sync``)."""
    return f"unit\x1f{complaint_id}\x1f{serial}"


def add_returned_unit(
    session: Session,
    complaint_id: int | None,
    *,
    serial: str,
    received_at: datetime,
    actor: str,
    lot: str = "",
    product_model: str = "",
) -> ReturnedUnit:
    """Log one returned pack (a complaint can cover many), audited."""
    serial = _text("serial", serial, required=True, limit=100)
    if received_at.tzinfo is None:
        raise ValidationError("received_at", "naive datetime", "give an aware (UTC) datetime")
    if complaint_id is not None and session.get(Complaint, complaint_id) is None:
        raise NotFound("complaint", complaint_id)
    one_at_a_time(session, unit_key(complaint_id, serial))
    duplicate = session.scalars(
        select(ReturnedUnit.id).where(
            ReturnedUnit.complaint_id == complaint_id, ReturnedUnit.serial == serial
        )
    ).first()
    if duplicate is not None:
        raise ValidationError(
            "serial", f"{serial} is already logged as unit {duplicate}", "use the existing unit"
        )
    unit = ReturnedUnit(
        complaint_id=complaint_id,
        serial=serial,
        lot=_text("lot", lot, required=False, limit=100),
        product_model=_text("product_model", product_model, required=False, limit=100),
        received_at=received_at,
        status=UnitStatus.RECEIVED.value,
    )
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.received",
        entity_type="unit",
        entity_id=unit.id,
        after=snapshot(unit),
    )
    return unit


DISPOSITIONS = (
    "recharge_and_return",
    "repair_board",
    "replace_board",
    "replace_cells",
    "scrap",
    "replenish_stock",
    "no_fault_found",
)


def set_unit_status(
    session: Session,
    unit_id: int,
    status: UnitStatus | str,
    *,
    actor: str,
    disposition: str | None = None,
    reason: str = "",
) -> ReturnedUnit:
    """Move a unit along its path (``results.unit_path``: the table of allowed next statuses and
    the outgoing-inspection guard of ``shipped``), audited with who, when and why."""
    unit = session.get(ReturnedUnit, unit_id, with_for_update=True)
    if unit is None:
        raise NotFound("returned unit", unit_id)
    try:
        new_status = UnitStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in UnitStatus)
        raise ValidationError("status", f"unknown {status!r}", f"use one of: {allowed}") from None
    if new_status is UnitStatus.DISPOSITIONED and disposition not in DISPOSITIONS:
        raise ValidationError(
            "disposition", f"{disposition!r} is not a disposition", f"use {', '.join(DISPOSITIONS)}"
        )
    evidence = unit_path.check_move(session, unit, new_status, reason=reason)
    if evidence:
        reason = f"{reason} ({evidence})" if reason else evidence
    before = snapshot(unit)
    unit.status = new_status.value
    if disposition is not None:
        unit.disposition = disposition
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.status",
        entity_type="unit",
        entity_id=unit.id,
        before=before,
        after=snapshot(unit),
        reason=reason,
    )
    return unit
