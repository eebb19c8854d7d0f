"""The CLI's side of the verdicts: every verdict's exit status, the worst unit decides, and the
discharge capacity check asked for on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, register

from bench import errors
from bench.runner import exit_code_for
from procedures.records import Verdict

EXPECTED = {
    Verdict.SKIPPED: errors.EXIT_PASS,
    Verdict.PASS: errors.EXIT_PASS,
    Verdict.MARGINAL: errors.EXIT_PASS,
    Verdict.INCOMPLETE: errors.EXIT_INCOMPLETE,
    Verdict.FAIL: errors.EXIT_FAIL,
    Verdict.ERROR: errors.EXIT_INSTRUMENT,
    Verdict.ABORTED: errors.EXIT_ABORTED,
}


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_its_exit_status(verdict: Verdict) -> None:
    assert exit_code_for(verdict) == EXPECTED[verdict]


def test_capacity_check_on_the_command_line(
    capsys: pytest.CaptureFixture[str], sim_station: Path
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
        "--sim-fault",
        "aged_cell",
        "--capacity-check",
        "--yes",
        "--json",
        "--station",
        str(sim_station),
    )
    assert code == errors.EXIT_FAIL, err
    (unit,) = json.loads(out)["units"]
    steps = {s["name"]: s["verdict"] for s in unit["steps"]}
    assert steps["capacity_check"] == "fail"
    assert unit["diagnosis"]["root_cause"] == "cell_aged_high_resistance"
    assert "capacity_check" in err and "discharge_capacity" in err


def test_capacity_check_is_refused_for_the_appearance_inspection(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, _, err = cli(
        capsys,
        "run",
        "appearance",
        "-c",
        number,
        "-u",
        "U-1",
        "--capacity-check",
        "--yes",
        "--station",
        str(sim_station),
    )
    assert code == errors.EXIT_BAD_INPUT
    assert "--capacity-check applies to the diagnosis" in err
