"""Combined simulated faults on the CLI and in the station file; unfit ones refused up front.

``--sim-fault a+b`` and ``[simulation.units] "SN" = "a+b"`` reach the simulator as one
combined scenario; a combination that cannot exist, or a fault that does not fit the unit's
spec (series imbalance on a 1S pack), is bad input: exit 2, the reason, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register

from bench.errors import EXIT_BAD_INPUT

COMBINED = "deep_discharge_uv+aged_cell"


def _run(
    capsys: pytest.CaptureFixture[str], station: Path, number: str, unit: str, *extra: str
) -> tuple[int, str, str]:
    return cli(
        capsys,
        "run",
        "diagnosis",
        "--station",
        str(station),
        "-c",
        number,
        "-u",
        unit,
        "--yes",
        "--json",
        *extra,
    )


def test_sim_fault_combination_runs_as_one_scenario(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U1")
    code, out, err = _run(capsys, sim_station, number, "U1", "--sim-fault", COMBINED)
    document = json.loads(out)
    unit = document["units"][0]
    assert unit["simulated_fault"] == COMBINED
    assert unit["verdict"] not in ("error", "aborted"), unit["message"]
    assert code in (0, 1), err


def test_station_file_units_take_a_combination(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    sim_station.write_text(sim_station.read_text() + f'\n[simulation.units]\n"U2" = "{COMBINED}"\n')
    number = register(capsys, sim_station, "U2")
    code, out, err = _run(capsys, sim_station, number, "U2")
    assert json.loads(out)["units"][0]["simulated_fault"] == COMBINED, err
    assert code in (0, 1), err


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("deep_discharge_uv+mosfet_latched", "cannot exist"),
        ("series_imbalance", "needs at least 2 cells in series"),
        ("aged_cell+melted", "unknown simulated fault 'melted'"),
    ],
)
def test_impossible_or_unfit_faults_are_bad_input_and_write_nothing(
    capsys: pytest.CaptureFixture[str], sim_station: Path, fault: str, reason: str
) -> None:
    number = register(capsys, sim_station, "U3")
    database = sim_station.parent / "store.sqlite3"
    before = dump(database)
    code, _, err = _run(capsys, sim_station, number, "U3", "--sim-fault", fault)
    assert code == EXIT_BAD_INPUT
    assert reason in err and "Traceback" not in err
    assert dump(database) == before


def test_station_file_refuses_a_combination_that_cannot_exist(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U4")
    sim_station.write_text(
        sim_station.read_text()
        + '\n[simulation.units]\n"U4" = "deep_discharge_uv+mosfet_latched"\n'
    )
    code, _, err = _run(capsys, sim_station, number, "U4")
    assert code == EXIT_BAD_INPUT
    assert "simulation.units.U4" in err and "cannot exist" in err and "Traceback" not in err
