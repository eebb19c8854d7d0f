"""Tables of the returns side: return notice, the warehouse's receipt, the inspection request.

The maker's documents (records-and-reports.md §0.2, "Returns"): sales fills a return notice
(退货通知单) for the warehouse, which receives the goods against it; the warehouse then fills an
inspection request (送检单) that sends the returned batteries to QA. Kept beside
``results.models`` (same ``Base``) so the core schema and its audited unit snapshot stay as they
are: a request lists its units by id here instead of adding a column to ``returned_unit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class ReturnNotice(Base):
    """Sales' notice to the warehouse: what is coming back, from which lots, by which carrier."""

    __tablename__ = "return_notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    quantity_expected: Mapped[int] = mapped_column(Integer)
    lots: Mapped[list[str]] = mapped_column(JSON)
    carrier_ref: Mapped[str] = mapped_column(String(100))
    sales_person: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


class ReturnReceipt(Base):
    """The warehouse's receipt against a notice (one per notice): what actually arrived."""

    __tablename__ = "return_receipt"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("return_notice.id"), unique=True)
    quantity_received: Mapped[int] = mapped_column(Integer)
    discrepancies: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]
    received_by: Mapped[str] = mapped_column(String(100))


class InspectionRequest(Base):
    """The warehouse's request to QA: the received units (created with it) and the analyses.

    ``units`` is a list of ``{"serial", "lot", "unit_id"}``; ``warnings`` are the reconciliation
    findings (more units than defective, than noticed or received; lots not in the notice) that
    the requester accepted with ``override_reason``: never silently.
    """

    __tablename__ = "inspection_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("return_notice.id"), index=True)
    units: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    analyses: Mapped[list[str]] = mapped_column(JSON)
    warnings: Mapped[list[str]] = mapped_column(JSON)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(100))
