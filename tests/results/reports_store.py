"""Builds complaints with recorded runs through the store's own API, for the reports tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

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
from results.complaints import ComplaintForm, add_returned_unit, register_complaint, set_unit_status
from results.models import Complaint
from results.recorder import DatabaseRecorder

T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
DMM = "Keysight Technologies,34461A,MY1,A.03"


def new_complaint(
    sessions: sessionmaker[Session],
    *,
    customer: str = "深圳市华强电子有限公司",
    product_model: str = "PB-1S2P-18650-5200",
    symptom: str = "no_power_on",
    received_at: datetime = T0,
) -> tuple[int, str]:
    with sessions.begin() as session:
        complaint = register_complaint(
            session,
            ComplaintForm(
                customer=customer,
                product_model=product_model,
                shipped_qty=100,
                defect_qty=3,
                symptom=symptom,
                received_at=received_at,
                received_by="张三",
                severity="severe"
                if symptom in ("leakage", "explosion", "short_circuit_fire")
                else "general",
                symptom_other="装机后无法开机",
                usage_location="东莞",
                stock_on_hand_qty=40,
            ),
            actor="张三",
            now=received_at,
        )
        return complaint.id, complaint.number


def record_unit(
    sessions: sessionmaker[Session],
    complaint_id: int,
    serial: str,
    *,
    lot: str = "L1",
    volts: float = 0.4,
    root_cause: str = "over_discharge_protection",
    disposition: str | None = "recharge_and_return",
    started: datetime = T0,
) -> int:
    with sessions.begin() as session:
        unit = add_returned_unit(
            session,
            complaint_id,
            serial=serial,
            received_at=started,
            actor="张三",
            lot=lot,
            product_model="PB-1S2P-18650-5200",
        )
        unit_id = unit.id
        number = session.get(Complaint, complaint_id).number  # type: ignore[union-attr]
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(
        RunInfo(
            "diagnosis", "1.0", "bench-01", "李工", "PB-1S2P-18650-5200", serial, number, started
        )
    )
    verdict = Verdict.FAIL if volts < 3.0 else Verdict.PASS
    recorder.step_finished(
        StepRecord(
            "voltage_check",
            1,
            started,
            started + timedelta(seconds=5),
            verdict,
            [
                MeasurementRecord(
                    "pack_voltage",
                    volts,
                    "V",
                    LimitsRecord(3.0, 4.2),
                    verdict,
                    f"3.0 <= {volts} <= 4.2 V",
                    started + timedelta(seconds=2),
                    DMM,
                ),
                MeasurementRecord(
                    "operator_note",
                    None,
                    "",
                    LimitsRecord(),
                    Verdict.PASS,
                    "text",
                    started + timedelta(seconds=3),
                    None,
                    text_value="=cmd|' /C calc'!A0",
                ),
            ],
        )
    )
    time = np.linspace(0.0, 3600.0, 200)
    recorder.step_finished(
        StepRecord(
            "wake_recharge",
            2,
            started + timedelta(seconds=6),
            started + timedelta(hours=1),
            Verdict.PASS,
            [
                MeasurementRecord(
                    "voltage_after_wake",
                    4.19,
                    "V",
                    LimitsRecord(4.1, 4.25),
                    Verdict.PASS,
                    "4.1 <= 4.19 <= 4.25 V",
                    started + timedelta(hours=1),
                    DMM,
                )
            ],
            [
                TraceRecord(
                    "recharge",
                    time,
                    {
                        "voltage": (3.0 + 1.2 * time / 3600.0, "V"),
                        "current": (np.full(200, 2.6), "A"),
                    },
                    started + timedelta(hours=1),
                )
            ],
        )
    )
    recorder.run_finished(
        RunOutcome(
            verdict,
            started + timedelta(hours=1),
            "",
            (
                Conclusion(
                    "root_cause",
                    root_cause,
                    "cells below UV threshold",
                    ("voltage_check/pack_voltage", "wake_recharge/voltage_after_wake"),
                ),
                Conclusion(
                    "cause_category",
                    "storage_transport",
                    "long storage",
                    ("voltage_check/pack_voltage",),
                ),
            ),
        )
    )
    if disposition is not None:
        with sessions.begin() as session:
            set_unit_status(
                session, unit_id, "dispositioned", actor="王芳", disposition=disposition
            )
    assert recorder.run_id is not None
    return recorder.run_id
