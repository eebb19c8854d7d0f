"""A diagnosis proposes the unit's disposition; ``instruments check`` checks binary loads too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli, register


def test_diagnosis_records_the_proposed_disposition_on_the_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1", "U-2")
    code, _, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--sim-fault",
        "deep_discharge_uv",
        "--yes",
        "--station",
        str(sim_station),
    )
    assert code == 0, err
    code, out, err = cli(
        capsys, "complaint", "show", number, "--json", "--station", str(sim_station)
    )
    assert code == 0, err
    units = {u["unit"]: u for u in json.loads(out)["units"]}
    assert units["U-1"]["status"] == "analysed"
    assert units["U-1"]["disposition"] == "recharge_and_return"
    assert units["U-1"]["disposition_state"] == "proposed"
    assert units["U-2"]["disposition"] is None and units["U-2"]["disposition_state"] is None
    code, out, _ = cli(capsys, "complaint", "show", number, "--station", str(sim_station))
    assert "recharge_and_return (proposed)" in out
    connection = sqlite3.connect(tmp_path / "store.sqlite3")
    try:
        reasons = [r for (r,) in connection.execute("SELECT reason FROM audit_event")]
    finally:
        connection.close()
    assert "bench run; proposed disposition recharge_and_return (QA confirms)" in reasons


def test_instruments_check_identifies_and_reads_the_binary_load(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    sim_station.write_text(sim_station.read_text().replace('model = "DL3021"', 'model = "IT8511"'))
    code, out, err = cli(capsys, "instruments", "check", "--station", str(sim_station))
    assert code == 0, err
    blocks = out.split("\nok  ")
    load = next(b for b in blocks if b.startswith("load"))
    assert "identity  ITECH IT8511" in load
    assert "check     pass (no self-test command; identify frame and V/I read answered:" in load
    assert "not supported" not in out
    rmeter = next(b for b in blocks if b.startswith("rmeter"))
    assert "pass (*ESR? error bits clear)" in rmeter
