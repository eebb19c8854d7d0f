"""The operator of a run is who ran it (``--operator``, asked, or the station file's default)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli, register

from bench.operator_choice import with_operator
from bench.pytest_plugin import simulated_bench


def _operators(store: Path) -> list[str]:
    with sqlite3.connect(store) as connection:
        return [row[0] for row in connection.execute("SELECT operator FROM run ORDER BY id")]


def _run(capsys: pytest.CaptureFixture[str], station: Path, number: str, *extra: str) -> None:
    code, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--station", str(station), *extra
    )
    assert code == 0, err


def test_each_run_records_its_own_operator_and_the_station_file_is_only_the_default(
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PACKBENCH_OPERATOR", raising=False)
    number = register(capsys, sim_station, "U-1")
    _run(capsys, sim_station, number, "--yes", "--operator", "li.wei")
    _run(capsys, sim_station, number, "--yes")
    monkeypatch.setenv("PACKBENCH_OPERATOR", "m.rossi")
    _run(capsys, sim_station, number, "--yes")
    monkeypatch.delenv("PACKBENCH_OPERATOR")
    assert _operators(sim_station.parent / "store.sqlite3") == [
        "li.wei",
        "tester",
        "m.rossi",
    ]


def test_a_hidden_character_in_the_operator_is_refused_before_anything_is_recorded(
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--station", str(sim_station),
        "--yes", "--operator", "li\u200bwei",
    )  # fmt: skip
    assert code == 2
    assert "--operator" in err
    assert _operators(sim_station.parent / "store.sqlite3") == []


def test_at_a_terminal_the_operator_is_asked_with_the_station_file_as_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with simulated_bench() as bench:
        config = bench.station.config
    monkeypatch.setattr("sys.stdin", _Terminal("ana.silva\n\n"))
    assert with_operator(config, None, may_ask=True).operator == "ana.silva"
    assert with_operator(config, None, may_ask=True).operator == config.operator
    assert with_operator(config, None, may_ask=False).operator == config.operator
    assert with_operator(config, "li.wei", may_ask=True).operator == "li.wei"


def test_the_pytest_plugin_records_the_operator_it_is_given() -> None:
    with simulated_bench() as bench:
        assert bench.diagnose(operator="li.wei").info.operator == "li.wei"


class _Terminal(io.StringIO):
    """Standard input that says it is a terminal, with the technician's typed answers."""

    def isatty(self) -> bool:
        return True
