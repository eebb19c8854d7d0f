"""Tables of the complaint clocks: clock events and pauses (migration 0009).

Beside ``results.models`` on the same declarative ``Base`` so the core schema stays its owner's.
The clocks themselves are never stored: they are derived from the complaint's timestamps, these
events and these pauses each time they are asked for, so a corrected event corrects every clock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from results.models import Base


class ClockEvent(Base):
    """A moment a clock starts or stops on (sales' feedback received, new customer information)."""

    __tablename__ = "complaint_clock_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


class ClockPause(Base):
    """Time for tests or sample builds, excluded from the procedure's limits when both sales and
    the customer were told; ``ended_at`` is empty while the pause runs."""

    __tablename__ = "complaint_clock_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))
    sales_informed: Mapped[bool] = mapped_column(Boolean)
    customer_informed: Mapped[bool] = mapped_column(Boolean)
