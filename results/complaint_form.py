"""The complaint form as input: one pydantic model for the CLI, a TOML/JSON form file and the API.

Before, the API had its own body model and the CLI built the form by hand, each with its own
idea of which fields exist; now the three read the same model, and the store's ``validate_form``
(``results.complaints``) keeps the business rules and their established wording. The lists are the
maker's (records-and-reports.md section 0.2): how a complaint reached the maker, whether it is
about the product or not, and where the fault showed.
"""

from __future__ import annotations

import enum
import json
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from instruments.quantity_field import QuantityRule
from instruments.units import Quantity
from results.errors import ValidationError


class Channel(enum.StrEnum):
    """How the complaint reached the maker."""

    LETTER = "letter"
    PHONE = "phone"
    FAX = "fax"
    VISIT = "visit"
    HOTLINE = "hotline"
    WEBSITE = "website"
    EMAIL = "e-mail"
    ON_SITE = "on-site"


class ComplaintType(enum.StrEnum):
    """Product complaint, or one of the non-product kinds."""

    PRODUCT = "product"
    TRANSPORT = "transport"
    PACKING = "packing"
    SHIPPING = "shipping"
    SERVICE = "service"


class FaultStage(enum.StrEnum):
    """Where the customer found the fault."""

    INCOMING_INSPECTION = "incoming_inspection"
    CUSTOMER_LINE = "customer_line"
    FIELD_USE = "field_use"


Text200 = Annotated[str, Field(max_length=200)]
Text4000 = Annotated[str, Field(max_length=4000)]
Count = Annotated[int, Field(le=1_000_000_000)]  # minimums: the store's check words them
QuantityText = Annotated[Quantity, QuantityRule(None, plain_text_only=True)]
"""A number and a unit (``35 degC``, ``3 month``): no arithmetic reaches pint's parser.

Any dimension passes here: the store's form check names the unit each field needs.
"""

ENUM_FIELDS: dict[str, type[enum.StrEnum]] = {
    "channel": Channel,
    "complaint_type": ComplaintType,
    "fault_stage": FaultStage,
}


class ComplaintFormIn(BaseModel):
    """Every field of the maker's complaint form; unknown keys are refused (a typo is no field)."""

    model_config = ConfigDict(extra="forbid")

    customer: Text200
    product_model: Annotated[str, Field(max_length=100)]
    shipped_qty: Count
    defect_qty: Count
    symptom: str
    received_at: datetime
    received_by: Annotated[str, Field(max_length=100)]
    severity: str | None = None
    project: Text200 = ""
    product_spec: Text200 = ""
    shipment_date: date | None = None
    symptom_other: Annotated[str, Field(max_length=2000)] = ""
    usage_temperature: QuantityText | None = None
    time_in_use: QuantityText | None = None
    usage_location: Text200 = ""
    stock_on_hand_qty: Count | None = None
    customer_demands: Text4000 = ""
    channel: Channel | None = None
    complaint_type: ComplaintType | None = None
    fault_stage: FaultStage | None = None
    customer_tests: Text4000 = ""
    assembly_process: Text4000 = ""
    replacement_needed: bool | None = None
    samples_returned: bool | None = None

    def form_fields(self) -> dict[str, Any]:
        """The fields as validated (quantities, not their text), for ``ComplaintForm(**...)``."""
        return dict(self)


EDITABLE_FIELDS = frozenset(ComplaintFormIn.model_fields) - {"received_by"}
"""What ``complaint edit`` may change; who took the complaint is a fact of its receipt."""


def _first_problem(exc: pydantic.ValidationError) -> ValidationError:
    """The first pydantic error as the store's ``ValidationError`` (field, problem, fix)."""
    errors = exc.errors()
    # a misspelt key explains the "missing" field it was meant to be: name it first
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    field = ".".join(str(part) for part in error["loc"]) or "form"
    if error["type"] == "missing":
        return ValidationError(field, "is missing", f"fill in the {field.replace('_', ' ')}")
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(sorted(ComplaintFormIn.model_fields))
        return ValidationError(field, "is no field of the complaint form", f"use: {allowed}")
    kind = ENUM_FIELDS.get(field)
    if kind is not None:
        allowed = ", ".join(member.value for member in kind)
        given = error.get("input")
        return ValidationError(field, f"unknown value {given!r}", f"use one of: {allowed}")
    return ValidationError(field, error["msg"], "correct the value")


def parse_form(data: Mapping[str, Any]) -> ComplaintFormIn:
    """``data`` as a complaint form, or ``ValidationError`` naming the first bad field."""
    try:
        return ComplaintFormIn.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        raise _first_problem(exc) from None


def load_form_file(path: Path) -> dict[str, Any]:
    """The raw fields of a ``.toml`` or ``.json`` form file (validated later with the CLI's)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            "from", f"cannot read {path}: {exc.strerror}", "check the path"
        ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError("from", f"{path} is not valid: {exc}", "fix the file") from None
    if not isinstance(data, dict):
        raise ValidationError("from", f"{path} holds no table of fields", "write key = value")
    return data
