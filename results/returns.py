"""Return notice, the warehouse's receipt, and the inspection request that creates the units.

The maker's flow (records-and-reports.md §0.2, "Returns"): sales fills a return notice for the
warehouse; the warehouse receives the goods against it and then sends them to QA with an
inspection request. The units QA analyses are created from that request, and the counts are
reconciled on the way: more units than the complaint's defective quantity, than the notice
announced or the warehouse received, or a lot the notice does not name, is a finding the requester
must accept with a reason (kept on the request and in the audit log), never silently. Every
function validates its whole input before its first write, in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.complaints import CLOCK_SKEW, add_returned_unit, get_complaint
from results.errors import NotFound, ValidationError
from results.integrity import snapshot
from results.models import Complaint, ReturnedUnit
from results.record_fields import open_complaint
from results.returns_models import InspectionRequest, ReturnNotice, ReturnReceipt

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Lot = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Analysis = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
_M = TypeVar("_M", bound=BaseModel)


class NoticeForm(BaseModel):
    """Sales' return notice: how many units come back, from which lots, with which carrier."""

    model_config = ConfigDict(extra="forbid")
    quantity_expected: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
    lots: Annotated[list[Name], Field(min_length=1, max_length=200)]
    carrier_ref: Name
    sales_person: Name
    note: LongText = ""


class ReceiptForm(BaseModel):
    """The warehouse's count of what arrived; a difference to the notice must be described."""

    model_config = ConfigDict(extra="forbid")
    quantity_received: Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
    discrepancies: LongText = ""
    received_at: datetime | None = None


class UnitLine(BaseModel):
    """One received unit as the inspection request lists it."""

    model_config = ConfigDict(extra="forbid")
    serial: Name
    lot: Lot = ""


class RequestForm(BaseModel):
    """The warehouse's inspection request to QA."""

    model_config = ConfigDict(extra="forbid")
    units: Annotated[list[UnitLine], Field(max_length=10_000)]
    analyses: Annotated[list[Analysis], Field(min_length=1, max_length=50)]
    override_reason: LongText = ""


def _checked(model: type[_M], data: dict[str, Any]) -> _M:
    """``model`` of ``data``, or ``ValidationError`` naming the first bad field and the rule."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise ValidationError(field, first["msg"], "correct it and submit again") from None


@dataclass(frozen=True)
class Reconciliation:
    """The findings of an inspection request against the complaint, notice and receipt."""

    warnings: tuple[str, ...]


def serials_from_lines(text: str) -> list[UnitLine]:
    """Serials typed or scanned one per line (a scanner ends each with Enter); blank lines and
    surrounding spaces are dropped. ``serial,lot`` on a line gives the unit's lot too."""
    lines: list[UnitLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        serial, _, lot = line.partition(",")
        if not serial.strip():
            raise ValidationError(
                f"units line {number}", f"{raw!r} has no serial", "put the serial first"
            )
        lines.append(_checked(UnitLine, {"serial": serial, "lot": lot}))
    return lines


def serials_from_csv(text: str) -> list[UnitLine]:
    """Units from a CSV file with a ``serial`` column (and optionally ``lot``), header first."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "serial" not in header:
        raise ValidationError(
            "csv", f"header {header!r} has no 'serial' column", "name the columns serial[,lot]"
        )
    reader.fieldnames = header
    units: list[UnitLine] = []
    for row in reader:
        serial = (row.get("serial") or "").strip()
        if not serial:
            raise ValidationError(
                f"csv line {reader.line_num}", "has no serial", "fill in or delete the line"
            )
        units.append(_checked(UnitLine, {"serial": serial, "lot": row.get("lot") or ""}))
    return units


def _aware(field: str, when: datetime, now: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValidationError(field, "naive datetime", "give an aware (UTC) datetime")
    if when > now + CLOCK_SKEW:
        raise ValidationError(field, "is in the future", "give when it happened")
    return when


def create_notice(
    session: Session,
    complaint_number: str,
    data: dict[str, Any],
    *,
    actor: str,
    now: datetime | None = None,
) -> ReturnNotice:
    """Store sales' return notice for a complaint, audited."""
    now = now or datetime.now(UTC)
    form = _checked(NoticeForm, data)
    complaint = open_complaint(session, get_complaint(session, complaint_number).id)
    lots = list(dict.fromkeys(form.lots))
    notice = ReturnNotice(
        complaint_id=complaint.id,
        quantity_expected=form.quantity_expected,
        lots=lots,
        carrier_ref=form.carrier_ref,
        sales_person=form.sales_person,
        note=form.note,
        created_at=now,
        created_by=actor,
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="return_notice.created",
        entity_type="return_notice",
        entity_id=notice.id,
        after=snapshot(notice),
    )
    return notice


def get_notice(session: Session, notice_id: int) -> ReturnNotice:
    notice = session.get(ReturnNotice, notice_id)
    if notice is None:
        raise NotFound("return notice", notice_id)
    return notice


def receipt_of(session: Session, notice_id: int) -> ReturnReceipt | None:
    return session.scalars(
        select(ReturnReceipt).where(ReturnReceipt.notice_id == notice_id)
    ).one_or_none()


def receive(
    session: Session,
    notice_id: int,
    data: dict[str, Any],
    *,
    actor: str,
    now: datetime | None = None,
) -> ReturnReceipt:
    """The warehouse's receipt against a notice (once), audited.

    A count that differs from the notice needs the discrepancy described: the warehouse is the
    only one who saw what was missing or extra.
    """
    now = now or datetime.now(UTC)
    form = _checked(ReceiptForm, data)
    notice = get_notice(session, notice_id)
    open_complaint(session, notice.complaint_id)
    existing = receipt_of(session, notice_id)
    if existing is not None:
        raise ValidationError(
            "notice",
            f"notice {notice_id} was received on {existing.received_at:%Y-%m-%d}",
            "a notice is received once; ask sales for a new notice for more goods",
        )
    if form.quantity_received != notice.quantity_expected and not form.discrepancies:
        raise ValidationError(
            "discrepancies",
            f"{form.quantity_received} received but {notice.quantity_expected} expected",
            "describe the discrepancy (missing, extra, damaged units)",
        )
    receipt = ReturnReceipt(
        notice_id=notice.id,
        quantity_received=form.quantity_received,
        discrepancies=form.discrepancies,
        received_at=_aware("received_at", form.received_at or now, now),
        received_by=actor,
    )
    session.add(receipt)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="return_receipt.created",
        entity_type="return_receipt",
        entity_id=receipt.id,
        after=snapshot(receipt),
    )
    return receipt


def _requested_units(session: Session, notice_id: int) -> int:
    lists: Iterable[list[dict[str, Any]]] = session.scalars(
        select(InspectionRequest.units).where(InspectionRequest.notice_id == notice_id)
    )
    return sum(len(units) for units in lists)


def reconcile(
    session: Session,
    complaint: Complaint,
    notice: ReturnNotice,
    receipt: ReturnReceipt,
    units: Sequence[UnitLine],
) -> Reconciliation:
    """What the requester has to accept before these units are created."""
    warnings: list[str] = []
    logged = len(
        session.scalars(
            select(ReturnedUnit.id).where(ReturnedUnit.complaint_id == complaint.id)
        ).all()
    )
    total = logged + len(units)
    if total > complaint.defect_qty:
        warnings.append(
            f"{total} units under complaint {complaint.number} but {complaint.defect_qty} "
            "defective were reported"
        )
    on_notice = _requested_units(session, notice.id) + len(units)
    if on_notice > notice.quantity_expected:
        warnings.append(
            f"{on_notice} units requested against notice {notice.id} but "
            f"{notice.quantity_expected} were expected"
        )
    if on_notice > receipt.quantity_received:
        warnings.append(
            f"{on_notice} units requested against notice {notice.id} but the warehouse received "
            f"{receipt.quantity_received}"
        )
    strange = sorted({u.lot for u in units if u.lot and u.lot not in notice.lots})
    if strange:
        warnings.append(f"lot(s) {', '.join(strange)} not in the notice ({', '.join(notice.lots)})")
    return Reconciliation(tuple(warnings))


def _check_serials(session: Session, complaint: Complaint, units: Iterable[UnitLine]) -> None:
    seen: set[str] = set()
    for line in units:
        if line.serial in seen:
            raise ValidationError(
                "units", f"serial {line.serial} is listed twice", "list each unit once"
            )
        seen.add(line.serial)
    taken = session.scalars(
        select(ReturnedUnit.serial).where(
            ReturnedUnit.complaint_id == complaint.id, ReturnedUnit.serial.in_(seen)
        )
    ).all()
    if taken:
        raise ValidationError(
            "units",
            f"serial(s) {', '.join(sorted(taken))} already logged under {complaint.number}",
            "leave them out: they are units already",
        )


class ReconciliationRefused(ValidationError):
    """The request's counts or lots disagree with the records and no reason was given."""

    def __init__(self, warnings: Sequence[str]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(
            "override_reason",
            "the request does not reconcile: " + "; ".join(self.warnings),
            "correct the unit list, or accept it with a reason (--reason / override_reason)",
        )


def create_request(
    session: Session,
    notice_id: int,
    data: dict[str, Any],
    *,
    actor: str,
    now: datetime | None = None,
) -> InspectionRequest:
    """The inspection request and its units, reconciled; all or nothing, audited.

    A unit without a lot takes the notice's lot when the notice names exactly one.
    """
    now = now or datetime.now(UTC)
    form = _checked(RequestForm, data)
    if not form.units:
        raise ValidationError("units", "the list is empty", "list the received units' serials")
    notice = get_notice(session, notice_id)
    complaint = open_complaint(session, notice.complaint_id)
    receipt = receipt_of(session, notice.id)
    if receipt is None:
        raise ValidationError(
            "notice",
            f"notice {notice.id} has no receipt yet",
            "record the warehouse's receipt first (packbench return receive)",
        )
    default_lot = notice.lots[0] if len(notice.lots) == 1 else ""
    units = [UnitLine(serial=u.serial, lot=u.lot or default_lot) for u in form.units]
    _check_serials(session, complaint, units)
    findings = reconcile(session, complaint, notice, receipt, units)
    if findings.warnings and not form.override_reason:
        raise ReconciliationRefused(findings.warnings)
    listed: list[dict[str, Any]] = []
    for line in units:
        unit = add_returned_unit(
            session,
            complaint.id,
            serial=line.serial,
            lot=line.lot,
            product_model=complaint.product_model,
            received_at=receipt.received_at,
            actor=actor,
        )
        listed.append({"serial": unit.serial, "lot": unit.lot, "unit_id": unit.id})
    request = InspectionRequest(
        complaint_id=complaint.id,
        notice_id=notice.id,
        units=listed,
        analyses=list(dict.fromkeys(form.analyses)),
        warnings=list(findings.warnings),
        override_reason=form.override_reason if findings.warnings else "",
        requested_at=now,
        requested_by=actor,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="inspection_request.created",
        entity_type="inspection_request",
        entity_id=request.id,
        after=snapshot(request),
        reason=request.override_reason,
    )
    return request


def returns_of(session: Session, complaint_number: str) -> dict[str, Any]:
    """A complaint's notices, each with its receipt and inspection requests (``return show``)."""
    complaint = get_complaint(session, complaint_number)
    notices = session.scalars(
        select(ReturnNotice)
        .where(ReturnNotice.complaint_id == complaint.id)
        .order_by(ReturnNotice.id)
    ).all()
    shown: list[dict[str, Any]] = []
    for notice in notices:
        receipt = receipt_of(session, notice.id)
        requests = session.scalars(
            select(InspectionRequest)
            .where(InspectionRequest.notice_id == notice.id)
            .order_by(InspectionRequest.id)
        ).all()
        shown.append(
            notice_dict(notice)
            | {
                "receipt": None if receipt is None else receipt_dict(receipt),
                "requests": [request_dict(r) for r in requests],
            }
        )
    return {
        "complaint": complaint.number,
        "defect_qty": complaint.defect_qty,
        "units_logged": len(complaint.units),
        "notices": shown,
    }


def notice_dict(notice: ReturnNotice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "quantity_expected": notice.quantity_expected,
        "lots": list(notice.lots),
        "carrier_ref": notice.carrier_ref,
        "sales_person": notice.sales_person,
        "note": notice.note,
        "created_at": notice.created_at.isoformat(),
        "created_by": notice.created_by,
    }


def receipt_dict(receipt: ReturnReceipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "notice_id": receipt.notice_id,
        "quantity_received": receipt.quantity_received,
        "discrepancies": receipt.discrepancies,
        "received_at": receipt.received_at.isoformat(),
        "received_by": receipt.received_by,
    }


def request_dict(request: InspectionRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "notice_id": request.notice_id,
        "units": list(request.units),
        "analyses": list(request.analyses),
        "warnings": list(request.warnings),
        "override_reason": request.override_reason,
        "requested_at": request.requested_at.isoformat(),
        "requested_by": request.requested_by,
    }
