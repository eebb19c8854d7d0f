"""SIGINT and SIGTERM during a (paced) simulated recharge: aborted run, exit 130, source off.

The simulator runs in its own process (``python -m simulators --json``) and the station file
attaches to it, so its true state can be read after the runner is gone.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import pytest
from bench_helpers import PYTHON, child_env, register
from sqlalchemy import select

from results.models import Run
from results.store import open_store
from simulators.launcher import ControlClient

STATION = """
[station]
id = "sig-test"
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
speed = 300
fault = "deep_discharge_uv"
"""


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[dict[str, Any]]:
    process = subprocess.Popen(
        [PYTHON, "-m", "simulators", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        document: dict[str, Any] = json.loads(process.stdout.readline())
        yield document
    finally:
        process.terminate()
        process.communicate(timeout=10)


def lines(stream: Any) -> Queue[str]:
    queue: Queue[str] = Queue()

    def pump() -> None:
        for line in stream:
            queue.put(line)
        queue.put("")

    threading.Thread(target=pump, daemon=True).start()
    return queue


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_recharge_aborts_safely(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    simulator: dict[str, Any],
    signum: signal.Signals,
) -> None:
    instruments = simulator["instruments"]
    station = tmp_path / "station.toml"
    database = tmp_path / "store.sqlite3"
    station.write_text(
        STATION.format(
            database=database,
            evidence=tmp_path / "evidence",
            dmm=instruments["dmm"]["resource"],
            source=instruments["source"]["resource"],
            load=instruments["load"]["resource"],
            rmeter=instruments["rmeter"]["pty"],
            temperature=instruments["temperature"]["resource"],
            control=simulator["control"],
        )
    )
    number = register(capsys, station, "SIG-1")
    runner = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "bench.cli",
            "run",
            "diagnosis",
            "-c",
            number,
            "-u",
            "SIG-1",
            "--station",
            str(station),
            "--yes",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(tmp_path),
    )
    output: list[str] = []
    try:
        queue = lines(runner.stdout)
        while True:  # wait until the recharge reports progress: the source is on now
            try:
                line = queue.get(timeout=30)
            except Empty:
                pytest.fail("no recharge progress within 30 s:\n" + "".join(output))
            output.append(line)
            assert line, "runner ended before the recharge:\n" + "".join(output)
            if line.startswith("     wake_recharge"):
                break
        with ControlClient(simulator["control"]) as control:
            assert control.state()["source"]["1"]["output_on"] is True
        runner.send_signal(signum)
        status = runner.wait(timeout=30)
        while (line := queue.get(timeout=10)) != "":
            output.append(line)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    text = "".join(output)
    assert status == 130, text
    with ControlClient(simulator["control"]) as control:
        state = control.state()
    assert not any(channel["output_on"] for channel in state["source"].values())
    assert not state["load"]["input_on"]
    with open_store(database)() as session:
        run = session.scalars(select(Run)).one()
        steps = [(s.name, s.verdict) for s in run.steps]
    assert run.verdict == "ABORTED"
    assert run.status == "finished"
    assert signal.Signals(signum).name in run.message
    assert steps[:2] == [("intake", "PASS"), ("voltage_check", "PASS")]
    assert steps[2] == ("wake_recharge", "ABORTED")
