"""Tables of the reporting side: report snapshots and signatures, and the 8D record.

Kept beside ``results.models`` (same declarative ``Base``) so the results-core schema stays theirs.
A report's content is frozen as canonical JSON when the report is created: an approved report is
re-rendered from that snapshot, never from today's rows, so a later correction cannot silently
change what someone signed. Database triggers (migration 0002) refuse changes to the snapshot of
an approved report and any UPDATE/DELETE of a signature.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class ReportContent(Base):
    __tablename__ = "report_content"
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), primary_key=True)
    content_json: Mapped[str] = mapped_column(Text)
    amend_reason: Mapped[str] = mapped_column(Text, default="")


class ReportSignature(Base):
    """One e-signature (21 CFR 11.50: printed name, time, meaning), bound to the content hash."""

    __tablename__ = "report_signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    signer: Mapped[str] = mapped_column(String(100))
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))


class EightDRecord(Base):
    """The 8D of one complaint as one JSON document, as it was stored before versions (migration
    0012 copied each row into ``EightDVersion``). Nothing writes it any more; only
    ``results.eightd_versions.for_report`` still reads it."""

    __tablename__ = "eightd_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    content_json: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))


class EightDVersion(Base):
    """One version of a complaint's 8D (migration 0012): a draft is edited in place, a signed
    version is frozen (database triggers refuse changes) and changed only by amending it into a
    new version that names the old one and says why."""

    __tablename__ = "eightd_version"
    __table_args__ = (UniqueConstraint("complaint_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    content_json: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))
    amended_from: Mapped[int | None] = mapped_column(ForeignKey("eightd_version.id"))
    amend_reason: Mapped[str] = mapped_column(Text, default="")


class EightDSignature(Base):
    """An e-signature of one 8D version (printed name, time, meaning), bound to its hash."""

    __tablename__ = "eightd_signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("eightd_version.id"), index=True)
    signer: Mapped[str] = mapped_column(String(100))
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
