"""``packbench doctor``: the built-in station passes; each broken station file or store is named
with its fix and the exit status of the first failing check; nothing is created or changed."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli

from bench.doctor import CHECKS, CheckResult, DoctorContext, run_checks
from bench.errors import EXIT_BAD_INPUT, EXIT_INSTRUMENT, EXIT_PASS, EXIT_STORE

SIM = """
[station]
id = "sim-doc"
simulated = true
database = "{database}"
[fixture]
source_channel = {channel}
[instruments.source]
model = "{source}"
"""
REAL = """
[station]
id = "lab-doc"
database = "{database}"
[instruments.dmm]
model = "34461A"
resource = "TCPIP::127.0.0.1::{port}::SOCKET"
[instruments.source]
model = "E36312A"
resource = "TCPIP::127.0.0.1::{port}::SOCKET"
[instruments.load]
model = "DL3021"
resource = "TCPIP::127.0.0.1::{port}::SOCKET"
[instruments.rmeter]
model = "BT3562"
resource = "TCPIP::127.0.0.1::{port}::SOCKET"
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write(tmp_path: Path, text: str, **values: object) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(text.format(**values))
    return path


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, out, err = cli(capsys, "doctor", *args)
    return code, out + err


def test_builtin_station_passes_and_creates_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys)
    assert code == EXIT_PASS, out
    assert "WARN  store" in out and "does not exist yet" in out and "Fix:" in out
    assert not (home / ".local/share/packbench/packbench.sqlite3").exists()
    for role in ("dmm", "source", "load", "rmeter"):
        assert f"ok    {role}" in out
    assert "outputs off on channels 1, 2, 3 (read back)" in out
    assert "input off (read back)" in out
    assert cli(capsys, "db", "upgrade")[0] == 0
    code, out = doctor(capsys, "--json")
    assert code == EXIT_PASS
    document = json.loads(out[: out.rindex("}") + 1])
    assert document["ready"] is True
    assert {c["status"] for c in document["checks"]} == {"ok"}
    store = [c["detail"] for c in document["checks"] if c["check"] == "store"]
    assert store[0].endswith("(from default (user data directory)): reachable")
    assert store[1].startswith("schema at revision") and store[1].endswith("(the newest)")
    assert store[2] == "writable"


def test_a_channel_the_source_lacks_is_named_with_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station = write(tmp_path, SIM, database=tmp_path / "s.sqlite3", channel=7, source="E36312A")
    code, out = doctor(capsys, "--station", str(station))
    assert code == EXIT_BAD_INPUT
    assert "FAIL  station file" in out
    assert "fixture.source_channel: 7 is not a channel of the E36312A" in out
    assert "Fix: set source_channel to the E36312A channel wired to the pack fixture" in out
    assert "skip  store" in out and "skip  instruments" in out


def test_an_unreachable_store_is_named_with_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql+psycopg://bench:s3cret@127.0.0.1:{closed_port()}/packbench"
    station = write(tmp_path, SIM, database=url, channel=1, source="DP832")
    code, out = doctor(capsys, "--station", str(station))
    assert code == EXIT_STORE
    assert "FAIL  store" in out and "not reachable" in out and "s3cret" not in out
    assert f"(from station.database ({station}))" in out
    assert "Fix: check the URL or path, that the database server runs" in out
    assert "ok    source" in out  # later checks still run: one doctor shows every problem


def test_unreachable_instruments_are_named_with_their_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "s.sqlite3"
    station = write(tmp_path, REAL, database=database, port=closed_port())
    assert cli(capsys, "db", "upgrade", "--station", str(station))[0] == 0
    code, out = doctor(capsys, "--station", str(station))
    assert code == EXIT_INSTRUMENT
    for role in ("dmm", "source", "load", "rmeter"):
        assert f"FAIL  {role}" in out
        assert f"instruments.{role} (TCPIP::127.0.0.1::" in out
    assert out.count("Fix: check that the instrument is on and connected") == 4


def test_a_store_migrated_by_a_newer_packbench_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "s.sqlite3"
    station = write(tmp_path, SIM, database=database, channel=1, source="E36312A")
    assert cli(capsys, "db", "upgrade", "--station", str(station))[0] == 0
    connection = sqlite3.connect(database)
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    code, out = doctor(capsys, "--station", str(station))
    assert code == EXIT_STORE
    assert "revision 9999, which this packbench does not know" in out
    assert "Fix: update packbench" in out


def test_a_store_whose_write_lock_is_held_is_not_writable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "s.sqlite3"
    station = write(tmp_path, SIM, database=database, channel=1, source="E36312A")
    assert cli(capsys, "db", "upgrade", "--station", str(station))[0] == 0
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, out = doctor(capsys, "--station", str(station))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == EXIT_STORE
    assert "FAIL  store        not writable" in out and "database is locked" in out


def test_checks_are_a_list_later_work_can_extend(tmp_path: Path, home: Path) -> None:
    """The temperature channel and the watchdog will be appended like this one."""
    seen: list[str] = []

    def watchdog(ctx: DoctorContext) -> list[CheckResult]:
        assert ctx.config is not None  # what the earlier checks found is shared
        return [CheckResult("watchdog", "failed", "no supervisor", "start it")]

    checks = [*CHECKS[:1], ("watchdog", watchdog, 9)]
    results, code = run_checks(None, None, lambda r: seen.append(r.check), checks)
    assert code == 9 and seen == ["station file", "watchdog"]
    assert results[-1].fix == "start it"


def test_temperature_channel_and_watchdog_are_checked(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The built-in station has a probe and a watchdog; a real station without a probe fails
    the temperature check with its fix, and one that consents to charge without is a warning."""
    code, out = doctor(capsys)
    assert code == EXIT_PASS, out
    assert "ok    temperature" in out and "over-temperature abort" in out
    assert "ok    watchdog" in out and "own session" in out
    database = tmp_path / "s.sqlite3"
    station = write(tmp_path, REAL, database=database, port=closed_port())
    code, out = doctor(capsys, "--station", str(station))
    assert "FAIL  temperature" in out
    assert "Fix: add [instruments.temperature]" in out
    consenting = tmp_path / "consent.toml"
    consenting.write_text(
        station.read_text() + "[limits]\nallow_charge_without_temperature = true\n"
    )
    code, out = doctor(capsys, "--station", str(consenting))
    assert "WARN  temperature" in out and "no temperature watch" in out
