"""Measurement-log exports: columns, order, precision, determinism, CSV injection escaping."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy.orm import Session, sessionmaker

from results.errors import NotFound, ValidationError
from results.reports.exports import COLUMNS, measurement_log, to_csv, to_json


def test_complaint_log_columns_order_and_values(sessions: sessionmaker[Session]) -> None:
    complaint_id, number = new_complaint(sessions)
    run_b = record_unit(sessions, complaint_id, "SN-B", volts=0.1 + 0.2)
    run_a = record_unit(sessions, complaint_id, "SN-A", started=T0 + timedelta(hours=3))
    with sessions() as session:
        rows = measurement_log(session, complaint_id=complaint_id)
        again = measurement_log(session, complaint_id=complaint_id)
    assert [(r.unit_serial, r.run, r.step, r.measurement) for r in rows] == [
        ("SN-A", run_a, "voltage_check", "pack_voltage"),
        ("SN-A", run_a, "voltage_check", "operator_note"),
        ("SN-A", run_a, "wake_recharge", "voltage_after_wake"),
        ("SN-B", run_b, "voltage_check", "pack_voltage"),
        ("SN-B", run_b, "voltage_check", "operator_note"),
        ("SN-B", run_b, "wake_recharge", "voltage_after_wake"),
    ]
    assert to_json(rows) == to_json(again) and to_csv(rows) == to_csv(again)
    parsed = json.loads(to_json(rows))
    assert parsed["columns"] == list(COLUMNS)
    assert COLUMNS == (
        "complaint",
        "unit_serial",
        "run",
        "step",
        "measurement",
        "value",
        "unit",
        "low",
        "high",
        "low_inclusive",
        "high_inclusive",
        "verdict",
        "instrument",
        "timestamp",
    )
    first_b = parsed["rows"][3]
    assert first_b["value"] == 0.1 + 0.2  # full precision survives
    assert first_b["complaint"] == number and first_b["verdict"] == "fail"
    assert first_b["low"] == 3.0 and first_b["high_inclusive"] is True
    assert first_b["timestamp"].startswith("2025-03-04T08:00:02")
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0] == list(COLUMNS)
    assert table[4][5] == repr(0.1 + 0.2) and table[4][12].startswith("Keysight")
    assert table[2][5] == "'=cmd|' /C calc'!A0"  # formula neutralised
    assert table[1][9] == "true"


def test_run_log_and_scope_errors(sessions: sessionmaker[Session]) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-A")
    record_unit(sessions, complaint_id, "SN-B")
    with sessions() as session:
        rows = measurement_log(session, run_id=run_id)
        assert {r.run for r in rows} == {run_id} and len(rows) == 3
        with pytest.raises(ValidationError):
            measurement_log(session)
        with pytest.raises(ValidationError):
            measurement_log(session, complaint_id=complaint_id, run_id=run_id)
        with pytest.raises(NotFound):
            measurement_log(session, run_id=987654)
