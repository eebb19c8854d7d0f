"""Tables of containment on every complaint, claims and the customer feedback handling form.

Beside ``results.models`` on the same declarative ``Base`` (migration 0010), so the core schema
stays its owner's. Enumerated values (areas, actions, settlement ways, claim states) are stored as
readable text; the lists themselves live in the modules that own the rules
(``results.containment``, ``results.claims``, ``results.feedback``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from results.models import Base

CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """RMB amounts as exact ``Decimal`` with two places: ``NUMERIC(14, 2)`` in the database.

    SQLite has no decimal type (its NUMERIC column keeps a REAL) and SQLAlchemy warns about the
    float round trip; 14 significant digits survive a double exactly, so the value is read as a
    float there and quantized back to the cent, which is exact for every amount this column holds.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Float(precision=53))
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        if value is None:
            return None
        exact = Decimal(value).quantize(CENT)
        return float(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(CENT)


class ContainmentCheck(Base):
    """QA's check of one area (finished stock, work in progress, incoming material) for the same
    fault: how many were checked, how many found bad. A re-check is a new row; the first check of
    each area is what the containment clock counts."""

    __tablename__ = "containment_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    area: Mapped[str] = mapped_column(String(32))
    qty_checked: Mapped[int] = mapped_column(Integer)
    qty_bad: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime]
    checked_by: Mapped[str] = mapped_column(String(100))


class ContainmentAction(Base):
    """One emergency measure from the documented list, open until released (who, when, why)."""

    __tablename__ = "containment_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(100))
    taken_at: Mapped[datetime]
    qty_affected: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))
    release_note: Mapped[str | None] = mapped_column(Text)
    qty_released: Mapped[int | None] = mapped_column(Integer)


class Claim(Base):
    """A customer's claim on a complaint; ``complaint_number`` is carried on the claim itself
    because every claim document must quote it (complaint-system deck)."""

    __tablename__ = "claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    complaint_number: Mapped[str] = mapped_column(String(32))
    amount_rmb: Mapped[Decimal] = mapped_column(Money())
    basis: Mapped[str] = mapped_column(Text)
    settlement_way: Mapped[str] = mapped_column(String(48))
    case_description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[str | None] = mapped_column(String(100))
    settlement_reference: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime | None]
    rejected_by: Mapped[str | None] = mapped_column(String(100))
    reject_reason: Mapped[str | None] = mapped_column(Text)


class FeedbackForm(Base):
    """The customer feedback handling form: the proposed solution, approved by the QA manager.
    One per complaint; it may be redrafted (audited) until it is approved."""

    __tablename__ = "feedback_form"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    proposed_solution: Mapped[str] = mapped_column(Text)
    drafted_at: Mapped[datetime]
    drafted_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
