"""The stored outgoing inspection report (出货检验报告): one frozen version per inspection run and
language, approved by a second user like the analysis report (migration 0015).

The content is frozen when the version is created (the run's data in the analysis report's
canonical JSON, ``results.reports.model.canonical_json``) and bound to its SHA-256, so the
approval signs exactly what was shown; ``verify`` compares the row with its audited state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class OutgoingReport(Base):
    __tablename__ = "outgoing_report"
    __table_args__ = (UniqueConstraint("run_id", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("returned_unit.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"))
    language: Mapped[str] = mapped_column(String(16))
    report_no: Mapped[str] = mapped_column(String(255))
    decision: Mapped[str] = mapped_column(String(16))
    """``release`` or ``hold``, recomputed from the frozen verdicts when the version was made."""
    status: Mapped[str] = mapped_column(String(16))
    unit_status: Mapped[str] = mapped_column(String(32))
    content_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_printed_name: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
