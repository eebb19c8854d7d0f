"""Helpers of the kill/signal tests: a simulator in its own process, runners as subprocesses.

The simulator outlives every runner (``python -m simulators --json``), so its true state
(``STATE?`` on the control endpoint) tells what the instruments really do after a runner died.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from bench_helpers import PYTHON, child_env
from sqlalchemy import select

from results.models import ReturnedUnit, Run
from results.store import open_store
from simulators.launcher import ControlClient

FAULT = "deep_discharge_uv"
STATION = """
[station]
id = "kill-test"
operator = "tester"
simulated = true
database = "{database}"
evidence_dir = "{evidence}"
[instruments.dmm]
model = "34461A"
resource = "{dmm}"
[instruments.source]
model = "E36312A"
resource = "{source}"
[instruments.load]
model = "DL3021"
resource = "{load}"
[instruments.rmeter]
model = "BT3562"
resource = "{rmeter}"
[instruments.temperature]
model = "34461A"
resource = "{temperature}"
[simulation]
control = "{control}"
speed = {speed}
fault = "{fault}"
"""
CHAMBER = """[instruments.chamber]
model = "SU-241"
resource = "{pty}"
"""
"""Appended to ``STATION`` when the simulator serves a chamber (the SU-241 on its pty)."""


@dataclass
class Simulator:
    process: subprocess.Popen[str]
    document: dict[str, Any]

    @property
    def control(self) -> str:
        return str(self.document["control"])

    def state(self) -> dict[str, Any]:
        with ControlClient(self.control) as control:
            return control.state()

    def request(self, line: str) -> dict[str, Any]:
        with ControlClient(self.control) as control:
            return control.command(line)

    def station(self, directory: Path, *, speed: float, fault: str = FAULT) -> Path:
        """A station file on this simulator (with its chamber when it serves one)."""
        instruments = self.document["instruments"]
        path = directory / "station.toml"
        chamber = instruments.get("chamber")
        path.write_text(
            (STATION if chamber is None else STATION + CHAMBER.format(**chamber)).format(
                database=directory / "store.sqlite3",
                evidence=directory / "evidence",
                dmm=instruments["dmm"]["resource"],
                source=instruments["source"]["resource"],
                load=instruments["load"]["resource"],
                rmeter=instruments["rmeter"]["pty"],
                temperature=instruments["temperature"]["resource"],
                control=self.control,
                speed=speed,
                fault=fault,
            )
        )
        return path


def own_voltage(sim: Simulator, fault: str) -> float:
    """The pack's own terminal voltage in ``fault``: applied afresh, every output off."""
    assert not energised(sim.state())
    sim.request(f"FAULT {fault}")
    return float(sim.state()["dmm_voltage"])


def start_simulator(home: Path, *options: str) -> Iterator[Simulator]:
    """``python -m simulators --json`` with ``options`` (``--chamber``: serve a chamber too)."""
    process = subprocess.Popen(
        [PYTHON, "-m", "simulators", "--json", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(home),
    )
    try:
        assert process.stdout is not None
        yield Simulator(process, json.loads(process.stdout.readline()))
    finally:
        process.terminate()
        process.communicate(timeout=10)


def energised(state: dict[str, Any]) -> list[str]:
    """Every output that is on in the simulator's true state."""
    on = [f"source ch{ch}" for ch, c in state["source"].items() if c["output_on"]]
    if state["load"]["input_on"] or state["load"]["short"]:
        on.append("load input")
    return on


def wait_all_off(sim: Simulator, timeout: float) -> tuple[float, list[str]]:
    """(seconds until every output was off, what was still on at the end)."""
    start = time.monotonic()
    while True:
        on = energised(sim.state())
        elapsed = time.monotonic() - start
        if not on or elapsed > timeout:
            return elapsed, on
        time.sleep(0.02)


@dataclass
class Runner:
    """``packbench <args>`` as a subprocess whose output lines are collected as they come."""

    process: subprocess.Popen[str]
    lines: list[tuple[float, str]] = field(default_factory=list)
    _queue: Queue[str] = field(default_factory=Queue)

    @classmethod
    def start(cls, home: Path, *args: str, stdin: Any = subprocess.DEVNULL, **popen: Any) -> Runner:
        process = subprocess.Popen(
            [PYTHON, "-m", "bench.cli", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=child_env(home),
            **popen,
        )
        runner = cls(process)
        threading.Thread(target=runner._pump, daemon=True).start()
        return runner

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line)
        self._queue.put("")

    def poll_lines(self, wait: float = 0.0) -> bool:
        """Collect what arrived (waiting up to ``wait`` for the first); False at end of output."""
        try:
            line = self._queue.get(timeout=wait) if wait else self._queue.get_nowait()
        except Empty:
            return True
        while True:
            if line == "":
                return False
            self.lines.append((time.monotonic(), line))
            try:
                line = self._queue.get_nowait()
            except Empty:
                return True

    def saw(self, text: str) -> float | None:
        """When a line containing ``text`` arrived (``None``: not yet)."""
        for when, line in self.lines:
            if text in line:
                return when
        return None

    def text(self) -> str:
        return "".join(line for _, line in self.lines)

    def finish(self, timeout: float = 60) -> int:
        try:
            status = self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        while self.poll_lines(wait=5):
            pass
        return status

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            alive = self.poll_lines(wait=0.005)
            if not alive or time.monotonic() > deadline:
                raise AssertionError(f"runner never reached {what}:\n{self.text()}")


def run_args(station: Path, complaint: str, serial: str) -> list[str]:
    return ["run", "diagnosis", "-c", complaint, "-u", serial, "--station", str(station), "--yes"]


def watchdog_of(runner_pid: int) -> int:
    """The runner's watchdog: its child running ``bench.watchdog`` (own session, same parent)."""
    for task in Path(f"/proc/{runner_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"bench.watchdog" in cmdline:
                return int(child)
    raise AssertionError(f"runner {runner_pid} has no watchdog child")


def runs(database: Path) -> list[dict[str, Any]]:
    """Every run with its steps and measurements, as plain data."""
    with open_store(database, migrate=False)() as session:
        return [
            {
                "id": run.id,
                "status": run.status,
                "verdict": run.verdict,
                "message": run.message,
                "steps": [s.name for s in run.steps],
                "values": {
                    m.name: m.value if m.value is not None else m.text_value
                    for s in run.steps
                    for m in s.measurements
                },
            }
            for run in session.scalars(select(Run).order_by(Run.id))
        ]


def unit_status(database: Path, serial: str) -> str:
    with open_store(database, migrate=False)() as session:
        return session.scalars(
            select(ReturnedUnit.status).where(ReturnedUnit.serial == serial)
        ).one()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.05)


def data_dir(home: Path) -> Path:
    return home / ".local" / "share" / "packbench"


def watchdog_log(home: Path) -> str:
    path = data_dir(home) / "logs" / "watchdog.log"
    return path.read_text() if path.exists() else ""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
