"""Measurement-log exports: columns, order, precision, determinism, CSV injection escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy.orm import Session, sessionmaker

from procedures.records import LimitsRecord, MeasurementRecord, RunInfo, StepRecord, Verdict
from results.complaints import add_returned_unit
from results.errors import NotFound, ValidationError
from results.recorder import DatabaseRecorder
from results.reports.exports import (
    COLUMNS,
    LABEL_COLUMNS,
    LogRow,
    labelled_csv,
    measurement_log,
    to_csv,
    to_json,
)
from results.reports.labels import catalogue
from results.reports.names import value_label


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
        "value_note",
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


def _strict_json(text: str) -> object:
    def refuse(token: str) -> object:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_values_export_as_null_and_empty(sessions: sessionmaker[Session]) -> None:
    complaint_id, number = new_complaint(sessions)
    with sessions.begin() as session:
        unit_id = add_returned_unit(
            session, complaint_id, serial="SN-NAN", received_at=T0, actor="张三"
        ).id
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(
        RunInfo("diagnosis", "1.0", "bench-01", "李工", "PB", "SN-NAN", number, T0)
    )
    readings = [("overload", float("inf")), ("no_reading", float("nan")), ("ok", 3.9)]
    recorder.step_finished(
        StepRecord(
            "voltage_check",
            1,
            T0,
            T0 + timedelta(seconds=5),
            Verdict.ERROR,
            [
                MeasurementRecord(
                    name,
                    value,
                    "V",
                    LimitsRecord(3.0, 4.2),
                    Verdict.PASS if name == "ok" else Verdict.ERROR,
                    "not a finite number" if name != "ok" else "3.0 <= 3.9 <= 4.2 V",
                    T0 + timedelta(seconds=n),
                    None,
                )
                for n, (name, value) in enumerate(readings)
            ],
        )
    )
    with sessions() as session:
        rows = measurement_log(session, complaint_id=complaint_id)
    by_name = {r.measurement: r for r in rows}
    assert by_name["overload"].value is None and by_name["overload"].value_note == "inf"
    assert by_name["overload"].verdict == "error"
    # SQLite stores NaN as NULL, PostgreSQL keeps it: either way the export shows no number
    assert by_name["no_reading"].value is None
    assert by_name["no_reading"].value_note in ("nan", "")
    assert by_name["ok"].value == 3.9 and by_name["ok"].value_note == ""
    parsed = _strict_json(to_json(rows))
    assert isinstance(parsed, dict)
    exported = {r["measurement"]: r for r in parsed["rows"]}
    assert exported["overload"]["value"] is None and exported["overload"]["verdict"] == "error"
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    value, note = COLUMNS.index("value"), COLUMNS.index("value_note")
    overload = next(r for r in table if r[COLUMNS.index("measurement")] == "overload")
    assert overload[value] == "" and overload[note] == "inf"


def test_hand_built_rows_with_nan_still_give_valid_json_and_csv() -> None:
    row = LogRow(
        "CC-1",
        "SN",
        1,
        "s",
        "m",
        float("nan"),
        "V",
        float("-inf"),
        4.2,
        True,
        True,
        "error",
        "",
        T0,
    )
    parsed = _strict_json(to_json([row]))
    assert isinstance(parsed, dict)
    assert parsed["rows"][0]["value"] is None and parsed["rows"][0]["low"] is None
    cells = list(csv.reader(io.StringIO(to_csv([row]))))[1]
    assert cells[COLUMNS.index("value")] == "" and cells[COLUMNS.index("low")] == ""
    assert cells[COLUMNS.index("high")] == "4.2"


def _category_row() -> LogRow:
    """A reading recorded as a category (text value ``normal``) with a verdict code."""
    return LogRow(
        "CC-1",
        "SN",
        1,
        "wake_recharge",
        "wake_response",
        "normal",
        "",
        None,
        None,
        True,
        True,
        "fail",
        "",
        T0,
    )


def test_the_chinese_measurement_log_reads_in_chinese_and_keeps_the_code_columns() -> None:
    """zh_CN: the header row from the catalogue, every code column where the English layout has
    it (scripts index or key them), then the step, measurement, value and verdict in words."""
    zh = catalogue("zh_CN")
    english = list(csv.reader(io.StringIO(to_csv([_category_row()]))))
    table = list(csv.reader(io.StringIO(labelled_csv([_category_row()], "zh_CN"))))
    header, row = table[0], table[1]
    assert header == [zh[f"export.col.{c}"] for c in (*COLUMNS, *LABEL_COLUMNS)]
    assert not any(re.search(r"[A-Za-z]{3}", h.replace("UTC", "")) for h in header), header
    assert row[: len(COLUMNS)] == english[1]  # the codes, as the English log has them
    words = dict(zip(LABEL_COLUMNS, row[len(COLUMNS) :], strict=True))
    assert words == {
        "step_label": zh["step_name.wake_recharge"],
        "measurement_label": zh["measurement_name.wake_response"],
        "value_label": value_label(zh, "wake_response", "normal"),
        "verdict_label": zh.enum("verdict", "fail"),
    }
    assert "normal" not in words.values() and "fail" not in words.values()
