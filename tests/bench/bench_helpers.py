"""Helpers of the bench tests: the CLI in-process, store dumps, station files, registration."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cli import COMMANDS, main
from procedures.diagnosis.fixtures import FixtureName
from procedures.diagnosis.sequence import build_diagnosis

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

for _command in COMMANDS.values():
    # Every command's module imported at collection, as ``bench.cli`` did before it imported
    # them lazily: the worker's heap is settled after collection (``tests/conftest.py``), and
    # modules imported later by the in-process commands would stay in the collector's reach.
    _command.load()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME with no XDG variables: the default store lands inside it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("PACKBENCH_STATION", raising=False)
    yield home


def child_env(home: Path) -> dict[str, str]:
    # COLUMNS/LINES left by an earlier test in the same worker would override a pty's real size.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "PACKBENCH_")) and k not in ("COLUMNS", "LINES")
    }
    if "XDG_CACHE_HOME" in os.environ:  # the suite's one cache folder (tests/conftest.py)
        env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    env["HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONUNBUFFERED"] = "1"
    env["PACKBENCH_CHECK_REPORTS"] = "1"  # the child's reports go through the consistency check
    return env


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``packbench args`` in this process: (exit status, stdout, stderr)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refusals(
    capsys: pytest.CaptureFixture[str], commands: dict[str, tuple[str, ...]]
) -> dict[str, str]:
    """Each named command run in this process, refused (exit 2, nothing on stdout): its stderr."""
    said = {}
    for name, args in commands.items():
        code, out, err = cli(capsys, *args)
        assert (code, out) == (2, ""), (args, out, err)
        said[name] = err
    return said


def dump(database: Path) -> list[str]:
    """Every row of the store as SQL text: equal dumps mean nothing was written."""
    connection = sqlite3.connect(database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


SIM_STATION = """
[station]
id = "sim-test"
operator = "tester"
simulated = true
database = "{database}"
evidence_dir = "{evidence}"

[limits]
max_voltage = "10 V"
max_current = "5 A"

[instruments.dmm]
model = "34461A"
[instruments.source]
model = "E36312A"
[instruments.load]
model = "DL3021"
[instruments.rmeter]
model = "BT3562"

[simulation]
fault = "healthy"
"""


def write_sim_station(
    path: Path,
    store_dir: Path,
    *,
    operator: str = "tester",
    max_voltage: str = "10 V",
    seed: int = 0,
) -> Path:
    """``SIM_STATION`` with its operator, voltage limit and simulator seed set, written to
    ``path``; the store and evidence live in ``store_dir`` (several seeds may share one store)."""
    text = (
        SIM_STATION.replace('operator = "tester"', f'operator = "{operator}"')
        .replace('max_voltage = "10 V"', f'max_voltage = "{max_voltage}"')
        .format(database=store_dir / "store.sqlite3", evidence=store_dir / "evidence")
    )
    path.write_text(f"{text}seed = {seed}\n", encoding="utf-8")
    return path


@pytest.fixture
def sim_station(tmp_path: Path) -> Path:
    """A simulated station file whose store lives in ``tmp_path``."""
    path = tmp_path / "sim.toml"
    path.write_text(
        SIM_STATION.format(database=tmp_path / "store.sqlite3", evidence=tmp_path / "evidence")
    )
    return path


def register(
    capsys: pytest.CaptureFixture[str],
    station: Path,
    *serials: str,
    model: str = "PB-1S2P-18650-5200",
) -> str:
    """A complaint about ``model`` with ``serials`` logged under it; returns its number."""
    code, out, err = cli(
        capsys,
        "complaint",
        "new",
        "--station",
        str(station),
        "--customer",
        "ACME",
        "--model",
        model,
        "--shipped",
        "100",
        "--defect",
        str(len(serials)),
        "--symptom",
        "no_power_on",
        "--severity",
        "general",
        "--received-by",
        "tester",
    )
    assert code == 0, err
    number = out.strip()
    code, out, err = cli(capsys, "unit", "add", number, *serials, "--station", str(station))
    assert code == 0, err
    return number


class _NotMoved:
    """Fixtures for a diagnosis that is only built, to read its step names, never run."""

    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        raise AssertionError("the diagnosis is only built here, never run")


DIAGNOSIS_STEPS = [step.name for step in build_diagnosis(_NotMoved()).steps]
"""The diagnosis' steps in order with the default options, as the procedure declares them: the
kill and store-fault tests compare what a run recorded with it."""
