"""The table ``verify`` keeps its checkpoints in (``results.verify_checkpoint``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class VerifyCheckpoint(Base):
    """What a ``verify`` that found nothing wrong had checked, hash-linked to the checkpoint
    before it and anchored to the audit chain (``audit_seq``/``audit_hash`` is an event the
    next verify confirms is still there, unchanged)."""

    __tablename__ = "verify_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    full: Mapped[bool]
    """Whether the verify that wrote it re-checked everything (else: changes and a sample)."""
    audit_seq: Mapped[int] = mapped_column(Integer)
    audit_hash: Mapped[str] = mapped_column(String(64))
    max_run_id: Mapped[int] = mapped_column(Integer)
    max_step_id: Mapped[int] = mapped_column(Integer)
    max_attachment_id: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
