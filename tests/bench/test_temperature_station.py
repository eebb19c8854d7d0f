"""The station's temperature channel: optional role, explicit consent to charge without it.

A station without ``[instruments.temperature]`` is refused before anything is opened or written
unless its file says ``allow_charge_without_temperature = true``; that consent then shows in the
run's record (``charge_temperature`` not measured, with the reason) and in the QA report. The
built-in simulated station has the channel, and its runs record the pack's temperature.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from bench_helpers import SIM_STATION, cli, dump, register

from bench.config import SIMULATED_STATION, load_station, parse_station
from bench.errors import ConfigError

INSTRUMENTS: dict[str, dict[str, str]] = {
    "dmm": {"model": "34461A", "resource": "TCPIP::10.0.0.1::5025::SOCKET"},
    "source": {"model": "E36312A", "resource": "TCPIP::10.0.0.2::5025::SOCKET"},
    "load": {"model": "DL3021", "resource": "TCPIP::10.0.0.3::5555::SOCKET"},
    "rmeter": {"model": "BT3562", "resource": "/dev/ttyUSB1"},
}
PROBE = {"model": "34461A", "resource": "TCPIP::10.0.0.5::5025::SOCKET"}


def station(limits: dict[str, Any] | None = None, probe: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"station": {"id": "lab"}, "instruments": dict(INSTRUMENTS)}
    if probe:
        data["instruments"]["temperature"] = PROBE
    if limits is not None:
        data["limits"] = limits
    return data


def test_temperature_is_an_optional_role() -> None:
    without = parse_station(station(), "lab.toml")
    assert not without.has_temperature and not without.allow_charge_without_temperature
    with_probe = parse_station(station(probe=True), "lab.toml")
    assert with_probe.has_temperature
    assert with_probe.instruments["temperature"].resource == PROBE["resource"]


def test_the_builtin_station_has_a_temperature_channel() -> None:
    config = load_station(SIMULATED_STATION)
    assert config.has_temperature
    assert config.instruments["temperature"].model == "34461A"


def test_a_simulated_station_may_decline_the_probe_explicitly() -> None:
    data: dict[str, Any] = {"station": {"id": "sim", "simulated": True}}
    assert parse_station(data, "sim.toml").has_temperature
    data["limits"] = {"allow_charge_without_temperature": True}
    declined = parse_station(data, "sim.toml")
    assert not declined.has_temperature and declined.allow_charge_without_temperature


@pytest.mark.parametrize(
    ("limits", "probe", "words"),
    [
        ({"allow_charge_without_temperature": "yes"}, False, ["not true/false"]),
        ({"allow_charge_without_temperature": True}, True, ["has [instruments.temperature]"]),
    ],
    ids=["not-a-boolean", "consent-with-a-probe"],
)
def test_bad_consent_names_the_field(limits: dict[str, Any], probe: bool, words: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_station(station(limits, probe), "lab.toml")
    text = str(caught.value)
    assert "limits.allow_charge_without_temperature" in text and "Fix:" in text
    for word in words:
        assert word in text


DECLINED = SIM_STATION.replace("[limits]\n", "[limits]\nallow_charge_without_temperature = true\n")


def measurements(database: Path, name: str) -> list[tuple[str, str, str | None]]:
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT m.verdict, m.comparison, m.text_value FROM measurement m WHERE m.name = ?",
            (name,),
        ).fetchall()
    finally:
        connection.close()
    return [(str(v), str(c), t) for v, c, t in rows]


def test_consent_is_recorded_with_the_run_and_shown_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "declined.toml"
    path.write_text(
        DECLINED.format(database=tmp_path / "store.sqlite3", evidence=tmp_path / "evidence")
    )
    number = register(capsys, path, "U-1")
    code, _out, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--station", str(path), "--yes"
    )
    assert code == 0, err
    rows = measurements(tmp_path / "store.sqlite3", "charge_temperature")
    assert len(rows) == 1
    verdict, comparison, _text = rows[0]
    assert verdict.upper() == "SKIPPED"
    assert "allow_charge_without_temperature = true" in comparison
    out = tmp_path / "report.html"
    code, _printed, err = cli(
        capsys, "report", number, "--format", "html", "--out", str(out), "--station", str(path)
    )
    assert code == 0, err
    assert "allow_charge_without_temperature = true" in out.read_text(encoding="utf-8")


def test_without_consent_or_probe_nothing_is_opened_or_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "real.toml"
    path.write_text(
        "\n".join(
            [
                "[station]",
                'id = "lab"',
                f'database = "{tmp_path / "store.sqlite3"}"',
                f'evidence_dir = "{tmp_path / "evidence"}"',
                *(
                    f'[instruments.{role}]\nmodel = "{entry["model"]}"\n'
                    f'resource = "{entry["resource"]}"'
                    for role, entry in INSTRUMENTS.items()
                ),
            ]
        )
    )
    sim = tmp_path / "sim.toml"
    sim.write_text(
        SIM_STATION.format(database=tmp_path / "store.sqlite3", evidence=tmp_path / "evidence")
    )
    number = register(capsys, sim, "U-1")  # the same store as the real station's
    before = dump(tmp_path / "store.sqlite3")
    code, _out, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--station", str(path), "--yes"
    )
    assert code == 2, err
    assert "instruments.temperature: is missing" in err
    assert "allow_charge_without_temperature = true" in err
    assert dump(tmp_path / "store.sqlite3") == before


def test_the_builtin_station_records_the_pack_temperature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, _out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--station",
        str(sim_station),
        "--yes",
    )
    assert code == 0, err
    verdict, comparison, _ = measurements(tmp_path / "store.sqlite3", "charge_temperature")[0]
    assert verdict.upper() == "PASS", comparison
    assert "45 °C" in comparison


def test_a_pack_that_heats_fails_the_run_with_energy_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--station",
        str(sim_station),
        "--yes",
        "--sim-fault",
        "soft_short_heating",
    )
    assert code == 1, out + err  # FAIL: the pack heats, not an instrument error
    verdict, comparison, _ = measurements(tmp_path / "store.sqlite3", "charge_temperature")[0]
    assert verdict.upper() == "FAIL", comparison
