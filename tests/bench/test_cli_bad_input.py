"""Bad station files and unreachable instruments: exit 2 or 3, a message naming field and fix,
and not one row written to the store."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register

REAL = """
[station]
id = "lab"
database = "{database}"
evidence_dir = "{evidence}"
[limits]
max_voltage = "{max_voltage}"
[instruments.dmm]
model = "{dmm_model}"
resource = "{dmm_resource}"
[instruments.source]
model = "E36312A"
resource = "TCPIP::127.0.0.1::{port}::SOCKET"
[instruments.load]
model = "DL3021"
resource = "TCPIP::127.0.0.1::{port}::SOCKET"
{rmeter}
{temperature}
"""
TEMPERATURE = (
    '[instruments.temperature]\nmodel = "34461A"\nresource = "TCPIP::127.0.0.1::{port}::SOCKET"'
)
RMETER = '[instruments.rmeter]\nmodel = "BT3562"\nresource = "TCPIP::127.0.0.1::{port}::SOCKET"'


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def station(tmp_path: Path, **fields: str) -> Path:
    port = closed_port()
    values = {
        "database": str(tmp_path / "store.sqlite3"),
        "evidence": str(tmp_path / "evidence"),
        "max_voltage": "9 V",
        "dmm_model": "34461A",
        "dmm_resource": f"TCPIP::127.0.0.1::{port}::SOCKET",
        "port": str(port),
        "rmeter": RMETER.format(port=port),
        "temperature": TEMPERATURE.format(port=port),
    } | fields
    path = tmp_path / f"station-{len(list(tmp_path.glob('station-*')))}.toml"
    path.write_text(REAL.format(**values))
    return path


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"rmeter": ""}, 2, ["instruments.rmeter", "is missing", "Fix:"]),
        ({"dmm_model": "Fluke8846A"}, 2, ["instruments.dmm.model", "unknown model", "Fix:"]),
        ({"dmm_resource": "192.168.0.9"}, 2, ["instruments.dmm.resource", "TCPIP::", "Fix:"]),
        ({"max_voltage": "9 mA"}, 2, ["limits.max_voltage", "not a unit of 'V'", "Fix:"]),
        (
            {"temperature": ""},
            2,
            ["instruments.temperature", "is missing", "allow_charge_without_temperature = true"],
        ),
        ({}, 3, ["instruments.dmm", "cannot open", "Fix:", "resource"]),
    ],
    ids=[
        "missing-role",
        "unknown-model",
        "bad-resource",
        "wrong-unit",
        "no-temperature",
        "unreachable",
    ],
)
def test_bad_station_exits_with_a_message_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    fields: dict[str, str],
    code: int,
    words: list[str],
) -> None:
    number = register(capsys, sim_station, "U-1")  # same store as the station below
    before = dump(tmp_path / "store.sqlite3")
    bad = station(tmp_path, **fields)
    status, _out, err = cli(
        capsys, "run", "diagnosis", "--complaint", number, "--unit", "U-1", "--station", str(bad)
    )
    assert status == code, err
    for word in words:
        assert word in err
    assert dump(tmp_path / "store.sqlite3") == before


def test_unknown_unit_and_complaint_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    before = dump(tmp_path / "store.sqlite3")
    status, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "NOPE", "--station", str(sim_station)
    )
    assert status == 2 and "unit NOPE is not logged" in err
    status, _, err = cli(
        capsys, "run", "diagnosis", "-c", "CC-1999-0001", "-u", "U-1", "--station", str(sim_station)
    )
    assert status == 2 and "complaint CC-1999-0001 does not exist" in err
    status, _, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--sim-fault",
        "gremlins",
        "--station",
        str(sim_station),
    )
    assert status == 2 and "unknown simulated fault 'gremlins'" in err
    assert dump(tmp_path / "store.sqlite3") == before


def test_unknown_procedure_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "run", "nonsense", "-c", "C", "-u", "U")
    assert status == 2
    assert "nonsense" in err
