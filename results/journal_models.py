"""The receipt that ties a run journal to the run row it created (``results.journal_apply``).

A journal is replayed exactly once only if a replay can tell whether the run it describes is
already in the store, also when the process that created the run row died before it could note
the row's id. The row is created in the same transaction as this receipt, keyed by the journal's
random key, so "is there a receipt for this key" answers it. Steps need no receipt: ``(run_id,
idx)`` is unique; the run's end needs none: the run's status says it. Not audited: it carries no
evidence, only the link, and ``verify`` checks the run and its steps themselves.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class JournalRun(Base):
    __tablename__ = "journal_run"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), unique=True)
