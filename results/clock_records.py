"""Recording what the complaint clocks run on: clock events and pauses (each change audited).

A pause is time for tests or sample builds. The procedure excludes it from its limits only when
sales and the customer were told, and wants every pause written into the 8D's problem
description; ``pause_sentences`` gives those sentences for the 8D author.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from results import audit
from results.calendar import PLANT_TZ
from results.clock_models import ClockEvent, ClockPause
from results.complaints import CLOCK_SKEW
from results.errors import NotFound, ValidationError
from results.major.ledger import checked_actor
from results.models import Complaint
from results.record_fields import open_complaint


class ClockEventKind(enum.StrEnum):
    SALES_FEEDBACK_RECEIVED = "sales_feedback_received"
    QA_REACTED = "qa_reacted"
    QA_ASKED_FOR_MORE_INFO = "qa_asked_for_more_info"
    """QA told sales what more the customer must supply (the procedure's 2-working-day rule)."""
    NEW_CUSTOMER_INFO = "new_customer_info"
    ANALYSIS_DONE = "analysis_done"


class PauseKind(enum.StrEnum):
    TEST = "test"
    SAMPLE_BUILD = "sample_build"


_E = TypeVar("_E", bound=enum.StrEnum)


def _enum(field: str, value: object, kind: type[_E]) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise ValidationError(field, f"unknown value {value!r}", f"use one of {choices}") from None


def _aware(field: str, value: datetime) -> datetime:
    """An aware time, not in the future (beyond clock skew): clocks record what happened."""
    if value.tzinfo is None:
        raise ValidationError(field, "naive datetime", "give a time with its zone (UTC)")
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValidationError(field, f"{value.isoformat()} is in the future", "give a past time")
    return value.astimezone(UTC)


def _complaint(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return complaint


def _not_before_receipt(field: str, at: datetime, complaint: Complaint) -> None:
    if at < complaint.received_at:
        raise ValidationError(
            field,
            f"{at.isoformat()} is before the complaint was received "
            f"({complaint.received_at.isoformat()})",
            "give a time at or after receipt",
        )


def _row(pause: ClockPause) -> dict[str, Any]:
    return {c.key: getattr(pause, c.key) for c in ClockPause.__table__.columns}


def record_clock_event(
    session: Session,
    complaint_id: int,
    kind: ClockEventKind | str,
    at: datetime,
    *,
    actor: str,
    note: str = "",
    now: datetime | None = None,
) -> ClockEvent:
    """Record a moment a clock starts or stops on; validated before the first write."""
    actor = checked_actor(actor)
    event_kind = _enum("kind", kind, ClockEventKind)
    at = _aware("at", at)
    complaint = open_complaint(session, complaint_id)
    _not_before_receipt("at", at, complaint)
    event = ClockEvent(
        complaint_id=complaint.id,
        kind=event_kind.value,
        at=at,
        note=note,
        recorded_by=actor,
        recorded_at=now or datetime.now(UTC),
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="clock.event",
        entity_type="complaint_clock_event",
        entity_id=event.id,
        after={c.key: getattr(event, c.key) for c in ClockEvent.__table__.columns},
    )
    return event


def open_pause(session: Session, complaint_id: int) -> ClockPause | None:
    return session.scalars(
        select(ClockPause).where(
            ClockPause.complaint_id == complaint_id, ClockPause.ended_at.is_(None)
        )
    ).one_or_none()


def start_pause(
    session: Session,
    complaint_id: int,
    *,
    kind: PauseKind | str,
    reason: str,
    started_at: datetime,
    sales_informed: bool,
    customer_informed: bool,
    actor: str,
) -> ClockPause:
    """Start a pause; one at a time per complaint. A pause nobody was told about is recorded
    (and written into the 8D) but stops no clock."""
    actor = checked_actor(actor)
    pause_kind = _enum("kind", kind, PauseKind)
    if not reason.strip():
        raise ValidationError("reason", "is empty", "say which test or sample build needs the time")
    started_at = _aware("started_at", started_at)
    complaint = open_complaint(session, complaint_id)
    _not_before_receipt("started_at", started_at, complaint)
    running = open_pause(session, complaint.id)
    if running is not None:
        raise ValidationError(
            "pause",
            f"pause {running.id} of {complaint.number} is still running",
            "end it before starting another",
        )
    pause = ClockPause(
        complaint_id=complaint.id,
        kind=pause_kind.value,
        reason=reason.strip(),
        started_at=started_at,
        started_by=actor,
        sales_informed=sales_informed,
        customer_informed=customer_informed,
    )
    session.add(pause)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="clock.pause_started",
        entity_type="complaint_clock_pause",
        entity_id=pause.id,
        after=_row(pause),
    )
    return pause


def end_pause(session: Session, complaint_id: int, *, ended_at: datetime, actor: str) -> ClockPause:
    """End the complaint's running pause; refused (nothing written) when none was started."""
    actor = checked_actor(actor)
    ended_at = _aware("ended_at", ended_at)
    complaint = _complaint(session, complaint_id)
    pause = open_pause(session, complaint.id)
    if pause is None:
        raise ValidationError(
            "pause",
            f"{complaint.number} has no running pause",
            "start a pause before ending one",
        )
    if ended_at < pause.started_at:
        raise ValidationError(
            "ended_at",
            f"{ended_at.isoformat()} is before the pause started ({pause.started_at.isoformat()})",
            "give an end at or after the start",
        )
    before = _row(pause)
    pause.ended_at = ended_at
    pause.ended_by = actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="clock.pause_ended",
        entity_type="complaint_clock_pause",
        entity_id=pause.id,
        before=before,
        after=_row(pause),
    )
    return pause


def pauses_of(session: Session, complaint_id: int) -> list[ClockPause]:
    return list(
        session.scalars(
            select(ClockPause)
            .where(ClockPause.complaint_id == complaint_id)
            .order_by(ClockPause.started_at, ClockPause.id)
        )
    )


def events_of(session: Session, complaint_id: int) -> list[ClockEvent]:
    return list(
        session.scalars(
            select(ClockEvent)
            .where(ClockEvent.complaint_id == complaint_id)
            .order_by(ClockEvent.at, ClockEvent.id)
        )
    )


_KIND_TEXT = {
    "en": {PauseKind.TEST: "tests", PauseKind.SAMPLE_BUILD: "a sample build"},
    "zh_CN": {PauseKind.TEST: "测试", PauseKind.SAMPLE_BUILD: "样品制作"},
}


def _local(at: datetime) -> str:
    return at.astimezone(PLANT_TZ).strftime("%Y-%m-%d %H:%M")


def _sentence(pause: ClockPause, lang: str) -> str:
    kind = _KIND_TEXT[lang][PauseKind(pause.kind)]
    start = _local(pause.started_at)
    told = pause.sales_informed and pause.customer_informed
    if lang == "en":
        end = f"to {_local(pause.ended_at)}" if pause.ended_at else "(still running)"
        informed = (
            "sales and the customer were informed, so this time is excluded from the limits."
            if told
            else "sales and the customer were NOT both informed, so the limits kept running."
        )
        return (
            f"Clocks paused from {start} {end} (China time) for {kind}: {pause.reason}; {informed}"
        )
    end = f"至 {_local(pause.ended_at)}" if pause.ended_at else "(仍在进行)"
    informed = (
        "已告知业务和客户,此时间不计入时限。" if told else "未同时告知业务和客户,时限照常计算。"
    )
    return f"因{kind}暂停计时:自 {start} {end}(北京时间),原因:{pause.reason};{informed}"


def pause_sentences(session: Session, complaint_id: int, lang: str) -> list[str]:
    """One sentence per pause, oldest first, for the 8D problem description (en or zh_CN)."""
    if lang not in _KIND_TEXT:
        raise ValidationError("lang", f"unknown language {lang!r}", "use en or zh_CN")
    _complaint(session, complaint_id)
    return [_sentence(pause, lang) for pause in pauses_of(session, complaint_id)]
