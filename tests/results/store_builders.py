"""Builders of realistic store inputs shared by the results tests and their child processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from instruments.units import Q_
from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunInfo,
    RunOutcome,
    StepRecord,
    TraceRecord,
    Verdict,
)
from results.attachments import EvidenceStore
from results.complaints import ComplaintForm, add_returned_unit, register_complaint
from results.models import Symptom
from results.recorder import DatabaseRecorder

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # a Monday, 09:30 in Shanghai
DMM = "Keysight Technologies,34461A,MY12345678,A.03.01"
# Smallest PNG header plus padding: enough for content sniffing.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def complaint_row(number: str, received_at: datetime, **fields: Any) -> dict[str, Any]:
    """One ``complaint`` row for a Core bulk insert (generated stores: KPI, SLA filter); the
    receipt day and deadlines are derived by the insert itself."""
    return {
        "number": number,
        "customer": "Acme",
        "product_model": "PB-1",
        "shipped_qty": 10,
        "defect_qty": 1,
        "symptom": "no_power_on",
        "severity": "general",
        "received_at": received_at,
        "received_by": "li.na",
        "registered_by": "li.na",
        "status": "registered",
        "project": "",
        "product_spec": "",
        "symptom_other": "",
        "usage_location": "",
        "customer_demands": "",
    } | fields


def form(**overrides: Any) -> ComplaintForm:
    values: dict[str, Any] = {
        "customer": "Acme Scanners Ltd",
        "project": "HS-200 handheld",
        "product_model": "PB-1S2P-18650-5200",
        "product_spec": "3.6 V 5.2 Ah 1S2P",
        "shipment_date": (T0 - timedelta(days=90)).date(),
        "shipped_qty": 500,
        "defect_qty": 3,
        "symptom": Symptom.NO_POWER_ON,
        "severity": "general",
        "usage_temperature": Q_(35, "degC"),
        "time_in_use": Q_(3, "month"),
        "usage_location": "warehouse, Shenzhen",
        "stock_on_hand_qty": 120,
        "customer_demands": "analysis report and replacement",
        "received_at": T0,
        "received_by": "li.na",
    }
    values.update(overrides)
    return ComplaintForm(**values)


def register(
    sessions: sessionmaker[Session], *, serial: str = "SN-0001", actor: str = "li.na"
) -> tuple[int, str, int]:
    """(complaint id, complaint number, unit id) of a freshly registered complaint with one unit."""
    with sessions.begin() as session:
        complaint = register_complaint(session, form(), actor=actor, now=T0 + timedelta(minutes=5))
        unit = add_returned_unit(
            session, complaint.id, serial=serial, lot="L2511", received_at=T0, actor=actor
        )
        return complaint.id, complaint.number, unit.id


def run_info(serial: str = "SN-0001", complaint_number: str | None = None) -> RunInfo:
    return RunInfo(
        procedure="diagnose_pack",
        procedure_version="1.2.0",
        station="bench-3",
        operator="wang.wei",
        spec="PB-1S2P-18650-5200",
        unit_serial=serial,
        complaint_number=complaint_number,
        started=T0 + timedelta(hours=1),
    )


def measurement(i: int, *, when: datetime) -> MeasurementRecord:
    value = 3.7 + i * 1e-3 + 1.0 / 3.0 * 1e-7  # not a round number: catches float truncation
    return MeasurementRecord(
        name=f"cell_voltage_{i}",
        value=value,
        unit="V",
        limits=LimitsRecord(
            low=2.4, high=4.35, high_inclusive=False, nominal=3.7, marginal_low=2.6
        ),
        verdict=Verdict.PASS,
        comparison=f"2.4 <= {value:.4f} < 4.35 V",
        timestamp=when,
        instrument=DMM,
        description="open-circuit voltage at P+/P-",
    )


def step(
    index: int,
    *,
    n_measurements: int = 3,
    samples: int = 0,
    attachments: list[tuple[str, bytes]] | None = None,
) -> StepRecord:
    started = T0 + timedelta(hours=1, minutes=index)
    measurements = [
        measurement(i, when=started + timedelta(seconds=i)) for i in range(n_measurements)
    ]
    if n_measurements:
        measurements.append(
            MeasurementRecord(
                name="operator_visual",
                value=None,
                unit="",
                limits=LimitsRecord(),
                verdict=Verdict.MARGINAL,
                comparison="answer 'swollen' is marginal",
                timestamp=started,
                text_value="swollen",
            )
        )
    traces = []
    if samples:
        rng = np.random.default_rng(index)
        t = np.arange(samples, dtype=np.float64) * 0.5
        traces.append(
            TraceRecord(
                name="recharge",
                time_s=t,
                channels={
                    "voltage": (3.0 + rng.random(samples), "V"),
                    "current": (np.full(samples, 2.6) + rng.normal(0, 1e-3, samples), "A"),
                },
                timestamp=started,
            )
        )
    return StepRecord(
        name=f"step_{index}",
        index=index,
        started=started,
        ended=started + timedelta(seconds=30),
        verdict=Verdict.PASS,
        measurements=measurements,
        traces=traces,
        message="",
        attachments=attachments or [],
    )


def outcome() -> RunOutcome:
    return RunOutcome(
        verdict=Verdict.FAIL,
        ended=T0 + timedelta(hours=3),
        message="",
        conclusions=(
            Conclusion(
                kind="root_cause",
                value="cells over-discharged into UV protection",
                explanation="pack at 0 V, recovered on 0.5C wake charge",
                evidence=("step_0/cell_voltage_0",),
            ),
        ),
    )


def recorded_run(sessions: sessionmaker[Session], evidence_dir: Path) -> int:
    """A finished two-step run written by the recorder as a bench writes it: a 20-sample trace
    and a photo in the first step, a registered unit under it; its id."""
    _complaint_id, _number, unit_id = register(sessions)
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, evidence=EvidenceStore(evidence_dir))
    recorder.run_started(run_info())
    recorder.step_finished(step(0, samples=20, attachments=[("photo.png", PNG_BYTES)]))
    recorder.step_finished(step(1))
    recorder.run_finished(outcome())
    assert recorder.run_id is not None
    return recorder.run_id
