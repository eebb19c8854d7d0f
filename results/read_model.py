"""A complaint as its readers see it: plain, immutable values, no ORM state.

``readback.load_complaint`` builds these with Core SELECTs, one per table, and hands them to the
report assembly, the service's complaint page, the reply letter and the benchmarks. They are not
ORM instances: nothing here can be lazy-loaded, flushed or edited by mistake, and a type says
what it holds (the ORM relationship ``Step.measurements`` used to be filled with tuples, which its
declared type denied). A page that changes a record reads the ORM row it changes itself.

Each class names its table's columns, in the table's order, then its children;
``tests/results/test_read_model.py`` fails when a column is added to a table and not here. A
measurement is a ``NamedTuple`` rather than a frozen dataclass: a complaint holds thousands of
them, and building a tuple from a result row costs a fifth of a frozen dataclass's ``__init__``
(which sets each field through ``object.__setattr__``); it is just as immutable and typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple


class MeasurementRead(NamedTuple):
    """A stored measurement: ``measurement_schema.TABLE_COLUMNS`` in that order, with the
    stored Python types (aware UTC ``measured_at``, bool inclusivity, the verdict's name). The
    limits, ``nominal`` and the marginal band included, are all here."""

    id: int
    step_id: int
    idx: int
    name: str
    value: float | None
    unit: str
    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    nominal: float | None
    marginal_low: float | None
    marginal_high: float | None
    verdict: str
    comparison: str
    measured_at: datetime
    instrument: str | None
    description: str
    text_value: str | None
    row_hash: str


@dataclass(frozen=True, slots=True)
class ChannelRead:
    """One channel of a trace. ``data`` is ``None`` unless the complaint was loaded with its
    samples (``load_complaint(..., samples=True)``): a page lists traces, it does not plot
    every curve at once."""

    id: int
    trace_id: int
    idx: int
    name: str
    unit: str
    dtype: str
    shape: str
    data: bytes | None


@dataclass(frozen=True, slots=True)
class TraceRead:
    id: int
    step_id: int
    idx: int
    name: str
    recorded_at: datetime
    n_samples: int
    sha256: str
    channels: tuple[ChannelRead, ...]
    """In channel order (``idx``), the ``time`` channel among them."""


@dataclass(frozen=True, slots=True)
class AttachmentRead:
    """Evidence metadata; the bytes are read from the evidence store by ``sha256``."""

    id: int
    sha256: str
    size: int
    media_type: str
    original_name: str
    complaint_id: int | None
    run_id: int | None
    step_id: int | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class StepRead:
    id: int
    run_id: int
    idx: int
    name: str
    started_at: datetime
    ended_at: datetime
    verdict: str
    message: str
    digest: str
    measurements: tuple[MeasurementRead, ...]
    """In recording order (``idx``)."""
    traces: tuple[TraceRead, ...]
    attachments: tuple[AttachmentRead, ...]
    """The step's evidence files, by id."""


@dataclass(frozen=True, slots=True)
class RunRead:
    id: int
    unit_id: int
    complaint_id: int | None
    procedure: str
    procedure_version: str
    station: str
    operator: str
    spec: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    verdict: str | None
    interrupted: bool
    message: str
    conclusions: list[dict[str, Any]] | None
    """As stored (JSON): ``kind``, ``value``, ``explanation``, ``evidence`` per conclusion."""
    host: str
    pid: int
    heartbeat_at: datetime
    steps_recorded: int
    steps: tuple[StepRead, ...]
    """In step order (``idx``)."""


@dataclass(frozen=True, slots=True)
class UnitRead:
    id: int
    complaint_id: int | None
    serial: str
    lot: str
    product_model: str
    received_at: datetime
    status: str
    disposition: str | None
    runs: tuple[RunRead, ...]
    """The unit's runs recorded for this complaint, by id (the same objects as in
    ``ComplaintRead.runs``)."""


@dataclass(frozen=True, slots=True)
class ComplaintRead:
    id: int
    number: str
    customer: str
    project: str
    product_model: str
    product_spec: str
    shipment_date: date | None
    shipped_qty: int
    defect_qty: int
    symptom: str
    symptom_other: str
    usage_temperature_c: float | None
    time_in_use_days: float | None
    usage_location: str
    stock_on_hand_qty: int | None
    customer_demands: str
    severity: str
    received_at: datetime
    received_by: str
    registered_at: datetime
    registered_by: str
    status: str
    handling_reported_at: datetime | None
    analysis_started_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision: str | None
    decision_rationale: str | None
    closed_at: datetime | None
    closure_note: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    channel: str | None
    complaint_type: str | None
    fault_stage: str | None
    customer_tests: str | None
    assembly_process: str | None
    replacement_needed: bool | None
    samples_returned: bool | None
    received_day: date | None
    """The derived receipt day and deadlines (revision 0014, ``results.workdays.SLA_RULES``)."""
    due_handling_report: datetime | None
    due_qa_decision: datetime | None
    due_logged: datetime | None
    due_investigated: datetime | None
    due_closed: datetime | None
    due_closed_limit: datetime | None
    sla_open_due: datetime | None
    sla_missed: bool
    units: tuple[UnitRead, ...]
    """By id."""
    runs: tuple[RunRead, ...]
    """Every run recorded for the complaint, by id."""
