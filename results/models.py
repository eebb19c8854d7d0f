"""The store's tables, as SQLAlchemy 2 typed ORM classes.

Kept free of behaviour: the rules (numbering, workflow, hashing) live in the modules that own them,
so that the schema reads like the record it is. Every timestamp is UTC and timezone-aware on the
Python side whatever the backend, and every enumerated value is stored as readable text so that an
auditor with a SQL prompt needs no decoder ring.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from results.workdays import Calendar, deadline_values

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends.

    SQLite has no time zone type and would hand back naive values; a naive datetime compared with an
    aware one raises, and a naive one stored by mistake silently shifts by the host's offset. So
    naive input is refused and output is always aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy reads it)


class Symptom(enum.StrEnum):
    """The complaint manual's ten symptom categories (DESIGN.md §1)."""

    NO_POWER_ON = "no_power_on"
    NO_CHARGE_DISCHARGE = "no_charge_discharge"
    SHUTS_OFF_AFTER_POWER_ON = "shuts_off_after_power_on"
    NO_VOLTAGE_OR_HIGH_IR = "no_voltage_or_high_ir"
    APPEARANCE = "appearance"
    DIMENSIONS = "dimensions"
    SHORT_CIRCUIT_FIRE = "short_circuit_fire"
    EXPLOSION = "explosion"
    LEAKAGE = "leakage"
    OTHER = "other"


class Severity(enum.StrEnum):
    SEVERE = "severe"
    GENERAL = "general"
    OCCASIONAL = "occasional"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"


class UnitStatus(enum.StrEnum):
    """Where a returned unit is on its path; the last four are the ends the process allows."""

    RECEIVED = "received"
    ON_BENCH = "on_bench"
    ANALYSED = "analysed"
    DISPOSITIONED = "dispositioned"
    # The path after QA's disposition (results.unit_path): taken apart, reworked, or replaced by
    # stock; each still has to reach one of the final statuses below.
    DISMANTLED = "dismantled"
    REWORKED = "reworked"
    REPLACED = "replaced"
    BACK_TO_STOCK = "back_to_stock"
    SCRAPPED = "scrapped"
    SHIPPED = "shipped"
    RETURNED_TO_CUSTOMER = "returned_to_customer"


#: A unit in one of these has left QA's hands; a complaint closes only when every unit is in one.
FINAL_UNIT_STATUSES = frozenset(
    {
        UnitStatus.BACK_TO_STOCK,
        UnitStatus.SCRAPPED,
        UnitStatus.SHIPPED,
        UnitStatus.RETURNED_TO_CUSTOMER,
    }
)


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class ComplaintCounter(Base):
    """One row per number series and year; locked while a number is drawn so none is lost."""

    __tablename__ = "complaint_counter"
    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


_DERIVED: WeakKeyDictionary[DefaultExecutionContext, tuple[Calendar, dict[datetime, Any]]] = (
    WeakKeyDictionary()
)


def _derived(name: str) -> Callable[[DefaultExecutionContext], Any]:
    """An insert default for the derived column ``name``: computed from the row's ``received_at``
    and the calendar in the database, so that every insert (registration, a Core bulk insert of a
    benchmark or test) stores them. The calendar is read once per statement."""

    def default(context: DefaultExecutionContext) -> Any:
        received = context.get_current_parameters()["received_at"]  # type: ignore[no-untyped-call]
        if not isinstance(received, datetime):
            raise ValueError("complaint.received_at is required to derive its deadlines")
        held = _DERIVED.get(context)
        if held is None:
            held = _DERIVED[context] = (Calendar.load(context.root_connection), {})
        calendar, computed = held
        values = computed.get(received)
        if values is None:
            values = computed[received] = deadline_values(received, calendar)
        return values[name]

    return default


SLA_OPEN_DUE_SQL = (
    "CASE WHEN status = 'cancelled' THEN NULL"
    " WHEN handling_reported_at IS NULL THEN due_handling_report"
    " WHEN decided_at IS NULL THEN due_qa_decision"
    " WHEN closed_at IS NULL AND cancelled_at IS NULL THEN due_closed END"
)
SLA_MISSED_SQL = (
    "CASE WHEN status = 'cancelled' THEN false"
    " WHEN handling_reported_at > due_handling_report OR decided_at > due_qa_decision"
    " OR registered_at > due_logged OR COALESCE(closed_at, cancelled_at) > due_closed"
    " THEN true ELSE false END"
)


COMPLAINT_DERIVED = frozenset(
    {
        "received_day",
        "due_handling_report",
        "due_qa_decision",
        "due_logged",
        "due_investigated",
        "due_closed",
        "due_closed_limit",
        "sla_open_due",
        "sla_missed",
    }
)
"""Complaint columns derived from the others and the calendar (revision 0014): never entered, so
not part of the audited state (a calendar change rewrites them without touching the complaint)."""


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (  # the filters and the default order of `complaint list` (revision 0008)
        Index("ix_complaint_received_at_id", "received_at", "id"),
        Index("ix_complaint_customer", "customer"),
        Index("ix_complaint_product_model", "product_model"),
        Index("ix_complaint_symptom", "symptom"),
        Index("ix_complaint_severity", "severity"),
        # the KPI's period (revision 0014) and the dashboards' count per day and class, an
        # index-only scan (revision 0021)
        Index("ix_complaint_received_day_severity", "received_day", "severity"),
        # the SLA filter (revision 0014): overdue and running by the open deadline, missed and
        # met by the missed flag first
        Index("ix_complaint_sla_open_due", "sla_open_due"),
        Index("ix_complaint_sla_missed_open_due", "sla_missed", "sla_open_due"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer: Mapped[str] = mapped_column(String(200))
    project: Mapped[str] = mapped_column(String(200), default="")
    product_model: Mapped[str] = mapped_column(String(100))
    product_spec: Mapped[str] = mapped_column(String(200), default="")
    shipment_date: Mapped[date | None] = mapped_column(Date)
    shipped_qty: Mapped[int] = mapped_column(Integer)
    defect_qty: Mapped[int] = mapped_column(Integer)
    symptom: Mapped[str] = mapped_column(String(32))
    symptom_other: Mapped[str] = mapped_column(Text, default="")
    usage_temperature_c: Mapped[float | None] = mapped_column(Float)
    time_in_use_days: Mapped[float | None] = mapped_column(Float)
    usage_location: Mapped[str] = mapped_column(String(200), default="")
    stock_on_hand_qty: Mapped[int | None] = mapped_column(Integer)
    customer_demands: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    received_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32), index=True)
    handling_reported_at: Mapped[datetime | None]
    analysis_started_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(Text)
    decision_rationale: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closure_note: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # intake (issue 14 item 1); nullable: complaints registered before revision 0008 lack them
    channel: Mapped[str | None] = mapped_column(String(16), index=True)
    complaint_type: Mapped[str | None] = mapped_column(String(16))
    fault_stage: Mapped[str | None] = mapped_column(String(32))
    customer_tests: Mapped[str | None] = mapped_column(Text)
    assembly_process: Mapped[str | None] = mapped_column(Text)
    replacement_needed: Mapped[bool | None] = mapped_column(Boolean)
    samples_returned: Mapped[bool | None] = mapped_column(Boolean)
    # Derived from received_at and the working-day calendar (results.workdays.SLA_RULES), stored
    # so that the KPI and the SLA filter of `complaint list` are plain SQL (revision 0014). Not
    # audited: derived, never entered. Filled on every insert, Core or ORM (_derived); rewritten
    # by results.calendar when the receipt time or the calendar changes.
    received_day: Mapped[date | None] = mapped_column(Date, default=_derived("received_day"))
    due_handling_report: Mapped[datetime | None] = mapped_column(
        default=_derived("due_handling_report")
    )
    due_qa_decision: Mapped[datetime | None] = mapped_column(default=_derived("due_qa_decision"))
    due_logged: Mapped[datetime | None] = mapped_column(default=_derived("due_logged"))
    due_investigated: Mapped[datetime | None] = mapped_column(default=_derived("due_investigated"))
    due_closed: Mapped[datetime | None] = mapped_column(default=_derived("due_closed"))
    due_closed_limit: Mapped[datetime | None] = mapped_column(default=_derived("due_closed_limit"))
    # What the SLA state needs, as columns the database keeps itself (generated from the row):
    # the earliest deadline of a clock still open, and whether any clock was missed (NULL and
    # false for a cancelled complaint, so overdue is one indexed comparison). Each is a
    # chain because the deadlines are ordered (4 h <= 3 <= 5 working days; 3 <= 10 <= 16; the
    # registration time is always set), which tests/results/test_sla.py checks against the
    # clock-by-clock rule of results.sla.summarise. State = these two and now (results.sla).
    sla_open_due: Mapped[datetime | None] = mapped_column(Computed(SLA_OPEN_DUE_SQL))
    sla_missed: Mapped[bool] = mapped_column(Boolean, Computed(SLA_MISSED_SQL))

    units: Mapped[list[ReturnedUnit]] = relationship(back_populates="complaint")
    runs: Mapped[list[Run]] = relationship(back_populates="complaint")


class ReturnedUnit(Base):
    __tablename__ = "returned_unit"
    __table_args__ = (UniqueConstraint("complaint_id", "serial"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    serial: Mapped[str] = mapped_column(String(100), index=True)
    lot: Mapped[str] = mapped_column(String(100), default="", index=True)
    product_model: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32), default=UnitStatus.RECEIVED.value)
    disposition: Mapped[str | None] = mapped_column(String(32))

    complaint: Mapped[Complaint | None] = relationship(back_populates="units")
    runs: Mapped[list[Run]] = relationship(back_populates="unit")


class Run(Base):
    """One execution of a procedure on one unit; ``status`` stays running until it finishes."""

    __tablename__ = "run"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("returned_unit.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    procedure: Mapped[str] = mapped_column(String(100))
    procedure_version: Mapped[str] = mapped_column(String(32))
    station: Mapped[str] = mapped_column(String(100))
    operator: Mapped[str] = mapped_column(String(100))
    spec: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), index=True)
    verdict: Mapped[str | None] = mapped_column(String(16))
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    conclusions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime]
    steps_recorded: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[ReturnedUnit] = relationship(back_populates="runs")
    complaint: Mapped[Complaint | None] = relationship(back_populates="runs")
    steps: Mapped[list[Step]] = relationship(back_populates="run", order_by="Step.idx")


class RunInvalidation(Base):
    """QA's decision that a run is not evidence (wrong unit, fixture fault, bad input...).

    Its own table, not columns of ``run``: the run row stays exactly as recorded (its audited
    snapshot and step seal are untouched), and the decision is an audited record of its own.
    One per run: an invalid run stays invalid; a correction is a new run.
    """

    __tablename__ = "run_invalidation"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    invalidated_by: Mapped[str] = mapped_column(String(100))
    invalidated_at: Mapped[datetime]


class UnitResult(Base):
    """A returned unit's primary and first results, stored so that aggregates over thousands of
    units group by columns instead of ranking every run on each request.

    Derived data: ``results.unit_results`` rewrites a unit's row in the transaction that
    finishes or invalidates one of its runs, and ``packbench verify`` re-derives every row from
    the runs. A unit without any run that counts as evidence has no row.
    """

    __tablename__ = "unit_result"
    __table_args__ = (
        Index("ix_unit_result_root_cause", "root_cause"),
        Index("ix_unit_result_cause_category", "cause_category"),
        Index("ix_unit_result_first_verdict", "first_verdict"),
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("returned_unit.id"), primary_key=True)
    primary_run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"))
    """The latest valid run of the first-named diagnosis, else of the unit's only procedure."""
    root_cause: Mapped[str | None] = mapped_column(Text)
    cause_category: Mapped[str | None] = mapped_column(Text)
    first_run_id: Mapped[int] = mapped_column(ForeignKey("run.id"))
    """The unit's earliest valid run, whatever its procedure."""
    first_verdict: Mapped[str] = mapped_column(String(16))


class Step(Base):
    __tablename__ = "step"
    # The unique index leads with run_id, so it also serves lookups by run (migration 0005).
    __table_args__ = (UniqueConstraint("run_id", "idx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"))
    idx: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    verdict: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))

    run: Mapped[Run] = relationship(back_populates="steps")
    # Read-only: measurements are written by the recorder and the run import as Core INSERTs and
    # never changed (a complaint's readers get ``read_model.MeasurementRead`` from ``readback``).
    measurements: Mapped[list[Measurement]] = relationship(
        order_by="Measurement.idx", viewonly=True
    )
    traces: Mapped[list[Trace]] = relationship(order_by="Trace.idx")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")


class Measurement(Base):
    __tablename__ = "measurement"
    __table_args__ = (Index("ix_measurement_step_idx", "step_id", "idx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"))
    idx: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float(precision=53))
    text_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(32))
    low: Mapped[float | None] = mapped_column(Float(precision=53))
    high: Mapped[float | None] = mapped_column(Float(precision=53))
    low_inclusive: Mapped[bool] = mapped_column(Boolean)
    high_inclusive: Mapped[bool] = mapped_column(Boolean)
    nominal: Mapped[float | None] = mapped_column(Float(precision=53))
    marginal_low: Mapped[float | None] = mapped_column(Float(precision=53))
    marginal_high: Mapped[float | None] = mapped_column(Float(precision=53))
    verdict: Mapped[str] = mapped_column(String(16))
    comparison: Mapped[str] = mapped_column(Text)
    instrument: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    measured_at: Mapped[datetime]
    row_hash: Mapped[str] = mapped_column(String(64))


class Trace(Base):
    """A time series; its arrays live in ``trace_channel`` blobs, never one row per sample."""

    __tablename__ = "trace"
    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    n_samples: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    channels: Mapped[list[TraceChannel]] = relationship(order_by="TraceChannel.idx")


class TraceChannel(Base):
    __tablename__ = "trace_channel"
    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[int] = mapped_column(ForeignKey("trace.id"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(32))
    dtype: Mapped[str] = mapped_column(String(16))
    shape: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(Base):
    """Evidence metadata; the bytes live in the evidence directory under their SHA-256."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id"), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("complaint_id", "version", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.DRAFT.value)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    amended_from: Mapped[int | None] = mapped_column(ForeignKey("report.id"))


class AuditContent:
    """What an audit event says (who, when, what, about which record, before and after), as
    ``results.audit.record`` fixes it: the columns a chained event and a pending one share, so
    the two tables cannot drift apart (``results.audit_group`` moves rows between them)."""

    at: Mapped[datetime] = mapped_column(sort_order=1)
    actor: Mapped[str] = mapped_column(String(100), sort_order=1)
    action: Mapped[str] = mapped_column(String(64), sort_order=1)
    entity_type: Mapped[str] = mapped_column(String(32), sort_order=1)
    entity_id: Mapped[str] = mapped_column(String(64), sort_order=1)
    reason: Mapped[str] = mapped_column(Text, default="", sort_order=1)
    before_json: Mapped[str | None] = mapped_column(Text, sort_order=1)
    after_json: Mapped[str | None] = mapped_column(Text, sort_order=1)


class AuditEvent(AuditContent, Base):
    """Append-only (database triggers refuse UPDATE and DELETE) and hash-chained by ``seq``."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64), sort_order=2)
    hash: Mapped[str] = mapped_column(String(64), unique=True, sort_order=2)


Index("ix_audit_event_entity", AuditEvent.entity_type, AuditEvent.entity_id)


class AuditPending(AuditContent, Base):
    """PostgreSQL's group commit (``results.audit``): events of committed transactions waiting
    to be linked onto the chain. A transaction inserts its events here with its data, holding no
    chain lock; a drain moves them, in ``id`` order, into ``audit_event`` and deletes them. The
    content is final here (triggers refuse UPDATE); SQLite never uses the table."""

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)


class AuditHead(Base):
    """The chain's tip in a single row, locked by every appender so events form one sequence."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class CalendarDay(Base):
    """An exception to the weekday rule: a holiday on a weekday or a make-up working weekend."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


COMPLAINT_TABLE = cast(Table, Complaint.__table__)
"""The table itself, for Core bulk inserts: the ORM's bulk insert of complaints goes row by row
when rows differ in which columns they give, and each row then reads the calendar again."""
