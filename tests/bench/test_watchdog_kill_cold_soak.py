"""The kill matrix's chamber case: the runner dies in the cold soak; the chamber ends at standby.

A pack with lithium plating earns the 0 degC soak (``cold_resistance``): the chamber cools the
opened cells for about an hour of virtual time. A runner killed then (SIGKILL: no ``finally``)
must not leave the chamber cooling: the watchdog switches the outputs off first, then sets the
chamber to standby and reads its mode back, and the run's message says so. Killed together
with its watchdog, the next command's safe start finds the chamber controlling and stops it
before anything is measured.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_helpers import register
from live_runner import (
    Runner,
    Simulator,
    energised,
    run_args,
    runs,
    start_simulator,
    wait_until,
    watchdog_of,
)

pytestmark = pytest.mark.slow

FAULT = "lithium_plating"
SPEED = 100000
"""The pack tests' 25 h rest in about a second; the soak's polls still take a few tenths."""
ROOM_C = 25.0
SERIAL = "KC-1"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    yield from start_simulator(tmp_path_factory.mktemp("sim-home"), "--chamber")


def cooling(sim: Simulator) -> bool:
    return float(sim.state()["ambient_c"]) < ROOM_C - 1.0


def start(
    tmp_path: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> tuple[Runner, list[str]]:
    """The run started and in its soak, and the arguments that start the next run."""
    assert not energised(sim.state()) and not cooling(sim), "a previous case left it running"
    home = tmp_path / "home"
    home.mkdir()
    station = sim.station(tmp_path, speed=SPEED, fault=FAULT)
    complaint = register(capsys, station, SERIAL)
    args = run_args(station, complaint, SERIAL)
    runner = Runner.start(home, *args)
    runner.wait_for(lambda: cooling(sim), "the cold soak (chamber below room temperature)")
    return runner, args


def test_sigkill_in_the_cold_soak_leaves_the_chamber_at_standby(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim: Simulator
) -> None:
    runner, _ = start(tmp_path, sim, capsys)
    runner.process.kill()
    assert runner.finish() == -signal.SIGKILL
    wait_until(lambda: not cooling(sim), 10, "the watchdog puts the chamber to standby")
    assert not energised(sim.state())
    database = tmp_path / "store.sqlite3"

    def interrupted() -> bool:
        found = runs(database)
        return bool(found) and found[0]["status"] == "interrupted"

    wait_until(interrupted, 20, "the watchdog marks the run interrupted")
    (run,) = runs(database)
    message = str(run["message"])
    assert "chamber at standby (confirmed)" in message, message
    assert message.index("source outputs off") < message.index("chamber at standby"), message
    assert "cold_resistance" in run["steps"] or "disassembly" in run["steps"], run["steps"]


def test_killed_with_its_watchdog_the_next_safe_start_stops_the_chamber(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim: Simulator
) -> None:
    runner, args = start(tmp_path, sim, capsys)
    os.kill(watchdog_of(runner.process.pid), signal.SIGKILL)
    runner.process.kill()
    runner.finish()
    time.sleep(0.5)
    assert cooling(sim)  # nothing acted: the uncovered case until the next command
    home = tmp_path / "home"
    nxt = Runner.start(home, *args)
    nxt.wait_for(lambda: nxt.saw("voltage_check (") is not None, "the next run's voltage check")
    assert not cooling(sim)
    nxt.process.send_signal(signal.SIGTERM)
    assert nxt.finish() == 130, nxt.text()
    assert "chamber controlling its air (set to standby)" in nxt.text(), nxt.text()
    second = runs(tmp_path / "store.sqlite3")[-1]
    assert second["steps"][0] == "safe_start"
    assert "chamber controlling its air" in str(second["values"]["outputs_found_on"])
