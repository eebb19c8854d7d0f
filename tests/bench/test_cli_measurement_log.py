"""``packbench report --format csv``: the English measurement log stays the machine layout (codes,
byte for byte as before); ``--lang zh_CN`` writes its own file whose header row and coded cells
read in Chinese, the code columns kept where the machine layout has them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bench_helpers import cli, register

from bench.cli_common import station
from bench.runner import open_store_for
from procedures.records import LimitsRecord, MeasurementRecord, RunInfo, StepRecord, Verdict
from results.complaints import get_complaint
from results.recorder import DatabaseRecorder
from results.reports.exports import COLUMNS, LABEL_COLUMNS
from results.reports.labels import catalogue

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _record(sim_station: Path, number: str) -> None:
    """A step with a category reading (``wake_response = normal``) that failed."""
    sessions = open_store_for(station(sim_station))
    with sessions() as session:
        complaint = get_complaint(session, number)
        complaint_id, unit_id = complaint.id, complaint.units[0].id
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(RunInfo("diagnosis", "1.0", "bench-01", "李工", "PB", "U-1", number, T0))
    reading = MeasurementRecord(
        "wake_response",
        None,
        "",
        LimitsRecord(None, None),
        Verdict.FAIL,
        "",
        T0,
        text_value="normal",
    )
    recorder.step_finished(
        StepRecord("wake_recharge", 1, T0, T0 + timedelta(seconds=5), Verdict.FAIL, [reading])
    )


def _export(capsys: pytest.CaptureFixture[str], number: str, *extra: str) -> tuple[Path, str]:
    code, out, err = cli(capsys, "report", number, "--format", "csv", *extra)
    assert code == 0, err
    path = Path(out.strip())
    return path, path.read_text(encoding="utf-8")


def test_the_chinese_measurement_log_reads_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    _record(sim_station, number)
    station_args = ("--station", str(sim_station))
    en_path, en_text = _export(capsys, number, *station_args)
    zh_path, zh_text = _export(capsys, number, "--lang", "zh_CN", *station_args)
    assert en_path != zh_path and zh_path.name.endswith("-measurements-zh_CN.csv")
    assert en_path.name.endswith("-measurements.csv")  # the machine export's name, as before
    english = list(csv.reader(io.StringIO(en_text)))
    assert english[0] == list(COLUMNS)
    chinese = list(csv.reader(io.StringIO(zh_text)))
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert chinese[0] == [zh[f"export.col.{c}"] for c in (*COLUMNS, *LABEL_COLUMNS)]
    assert not set(chinese[0]) & {en[f"export.col.{c}"] for c in (*COLUMNS, *LABEL_COLUMNS)}
    assert chinese[1][: len(COLUMNS)] == english[1]
    words = chinese[1][len(COLUMNS) :]
    assert zh["measurement_name.wake_response"] in words and zh.enum("verdict", "fail") in words
    assert not {"normal", "fail", "wake_response", "wake_recharge"} & set(words)
