"""Tables of the rest of the complaint manual: major complaints, customer replies, promises.

Beside ``results.models`` on the same declarative ``Base`` (migration 0003), so the core schema
stays its owner's. A major complaint is a side record of its complaint, not a second status
machine: the complaint keeps its ordinary workflow, and ``results.major`` guards its closure.
Lists (recipients, attendees, decisions) are JSON: they are read whole and never queried by item.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class MajorComplaint(Base):
    __tablename__ = "major_complaint"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    escalated_at: Mapped[datetime]
    escalated_by: Mapped[str] = mapped_column(String(100))
    acceptance_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))


class EmergencyNotification(Base):
    """Each message to the emergency group (or the supplier), with how its delivery went."""

    __tablename__ = "emergency_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_complaint.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    delivered: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")


class EmergencyMeeting(Base):
    __tablename__ = "emergency_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_complaint.id"), index=True)
    held_at: Mapped[datetime]
    attendees: Mapped[list[str]] = mapped_column(JSON)
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(100))


class SupplierNotification(Base):
    __tablename__ = "supplier_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_complaint.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    notified_at: Mapped[datetime]
    notified_by: Mapped[str] = mapped_column(String(100))


class ApprovedPromise(Base):
    """What the company approved to offer: an amount, a date, or a number of days."""

    __tablename__ = "approved_promise"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[float | None] = mapped_column(Float(precision=53))
    currency: Mapped[str | None] = mapped_column(String(8))
    on_date: Mapped[date | None] = mapped_column(Date)
    days: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime]


class CustomerReply(Base):
    __tablename__ = "customer_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    drafted_at: Mapped[datetime]
    drafted_by: Mapped[str] = mapped_column(String(100))
    sent_at: Mapped[datetime | None]
    sent_by: Mapped[str | None] = mapped_column(String(100))
    follow_up_due: Mapped[date] = mapped_column(Date)
    followed_up_at: Mapped[datetime | None]
    follow_up_note: Mapped[str | None] = mapped_column(Text)
