"""Two quick Ctrl-C during a simulated recharge: forced exit, but only after the safe state.

The simulator runs in its own process (``python -m simulators --json``) so its true state can be
read after the runner is gone. The load's replies are delayed (``slow_reply``, shorter than its
timeout) just before the first Ctrl-C; the load is idle during the recharge, so the first Ctrl-C
lands at once, the source goes safe, and the engine is still waiting for the load's safe-state
confirmation when the second one arrives: that is the forced path. The load's input-off is
handled at once (only the reply is late), so the judge is that every instrument was asked, the
energy is off on the simulator, and the run says which confirmation it did not wait for.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from bench_helpers import PYTHON, child_env, register
from sqlalchemy import select
from test_cli_signals import STATION, lines, simulator  # noqa: F401 (simulator is a fixture)

from results.models import Run
from results.store import open_store
from simulators.launcher import ControlClient


def test_second_ctrl_c_forces_exit_after_every_instrument_was_asked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    simulator: dict[str, Any],  # noqa: F811
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
    number = register(capsys, station, "SIG-2")
    command = ["run", "diagnosis", "-c", number, "-u", "SIG-2", "--station", str(station), "--yes"]
    runner = subprocess.Popen(
        [PYTHON, "-m", "bench.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(tmp_path),
    )
    output: list[str] = []
    try:
        queue = lines(runner.stdout)
        while True:  # the recharge reports progress: the source is on now
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
            control.transport("load", "slow_reply 1.5")
        runner.send_signal(signal.SIGINT)
        time.sleep(0.6)  # the load's safe-state confirmation is 1.5 s late: still waiting
        runner.send_signal(signal.SIGINT)
        started = time.monotonic()
        status = runner.wait(timeout=30)
        forced_after = time.monotonic() - started
        while (line := queue.get(timeout=10)) != "":
            output.append(line)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        with ControlClient(simulator["control"]) as control:
            control.transport("load", "none")
            state = control.state()
    text = "".join(output)
    assert status == 130, text
    assert not any(channel["output_on"] for channel in state["source"].values()), text
    assert not state["load"]["input_on"]
    assert not state["load"]["short"]
    with open_store(database)() as session:
        run = session.scalars(select(Run)).one()
        steps = [(s.name, s.verdict) for s in run.steps]
    assert run.status == "finished", text
    assert run.verdict == "ABORTED"
    assert "SIGINT" in run.message
    assert "load did not confirm its safe state" in run.message, run.message
    assert steps[-1] == ("wake_recharge", "ABORTED")
    # forced: the engine stopped waiting for the load's late reply (its 10 s timeout unused)
    assert forced_after < 10, forced_after
