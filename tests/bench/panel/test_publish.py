"""``packbench run --panel``: a terminal run shown on the station's panel, and aborted from it.

The panel (``packbench station serve``) and the run are two processes on one paced simulated
bench (the simulator in a third, so its true state can be read after the abort).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bench_helpers import PYTHON, child_env, register
from live_runner import Simulator, energised, start_simulator
from panel_support import EventReader

from bench.errors import EXIT_ABORTED, EXIT_BAD_INPUT

pytestmark = pytest.mark.slow


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    yield from start_simulator(tmp_path)


def packbench(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "bench.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(home),
    )


def test_terminal_run_is_watched_and_aborted_from_the_panel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], simulator: Simulator
) -> None:
    station = simulator.station(tmp_path, speed=600, fault="healthy")
    number = register(capsys, station, "U-1")
    run = ["run", "diagnosis", "-c", number, "-u", "U-1", "--station", str(station), "--yes"]

    alone = packbench(tmp_path, *run, "--panel", "--operator", "Zhao Min")
    _, err = alone.communicate(timeout=60)
    assert alone.returncode == EXIT_BAD_INPUT and "no operator panel is serving" in err

    panel = packbench(tmp_path, "station", "serve", "--station", str(station), "--port", "0")
    try:
        assert panel.stderr is not None
        url = re.search(r"http://\S+/", panel.stderr.readline())
        assert url, "the panel did not start"
        panel_file = tmp_path / ".local" / "share" / "packbench" / "panel-kill-test.json"
        token = json.loads(panel_file.read_text())["token"]
        assert panel_file.stat().st_mode & 0o077 == 0  # this account only
        reader = EventReader(url.group(0))
        runner = packbench(tmp_path, *run, "--panel", "--operator", "Zhao Min")
        started = reader.wait_for("run_started", timeout=60)
        assert (started["source"], started["operator"], started["unit"]) == (
            "terminal",
            "Zhao Min",
            "U-1",
        )
        with httpx.Client(base_url=url.group(0), headers={"X-Panel-Token": token}) as client:
            sample = reader.wait_for("progress", 3, timeout=60)  # the recharge, live
            assert sample["step"] == "wake_recharge" and "voltage" in sample["values"]
            assert client.get("/api/state").json()["busy"] is True
            start = {"operator": "x", "complaint": number, "unit": "U-1", "procedure": "diagnosis"}
            assert client.post("/api/start", json=start).status_code == 409
            assert client.post("/api/abort", json={"operator": "Li Na"}).status_code == 202
            ended = reader.wait_for("run_ended", timeout=60)
            assert ended["verdict"] == "aborted"
            assert runner.wait(60) == EXIT_ABORTED
            assert energised(simulator.state()) == []
            step = reader.wait_for("step_finished", 3)
            assert step["message"] == "aborted from the operator panel by Li Na"
            assert client.get("/api/state").json()["busy"] is False
        reader.close()
    finally:
        panel.send_signal(signal.SIGINT)
        panel.communicate(timeout=30)
    assert not panel_file.exists()  # the panel removes its file when it stops


ANSWERS = {
    "usage_device": "scanner",
    "usage_charger": "original",
    "usage_temperature": "normal",
    "usage_time_in_use": "unknown",
    "usage_location": "indoor",
    "known_good_pack_works": "yes",
    "pack_swelling": "none",
}


def test_ctrl_c_at_the_panels_terminal_aborts_its_run_and_the_next_one_stops_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], simulator: Simulator
) -> None:
    station = simulator.station(tmp_path, speed=600, fault="healthy")
    number = register(capsys, station, "U-1")
    panel = packbench(tmp_path, "station", "serve", "--station", str(station), "--port", "0")
    try:
        assert panel.stderr is not None
        url = re.search(r"http://\S+/", panel.stderr.readline())
        assert url, "the panel did not start"
        panel_file = tmp_path / ".local" / "share" / "packbench" / "panel-kill-test.json"
        token = json.loads(panel_file.read_text())["token"]
        reader = EventReader(url.group(0))
        with httpx.Client(base_url=url.group(0), headers={"X-Panel-Token": token}) as client:
            start = {"operator": "Li", "complaint": number, "unit": "U-1", "procedure": "diagnosis"}
            assert client.post("/api/start", json=start).status_code == 202
            for k, question in enumerate(ANSWERS, 1):
                prompt = reader.wait_for("prompt", k, timeout=60)
                assert prompt["question_id"] == question
                answer = {"answer": ANSWERS[question]}
                assert client.post(f"/api/prompts/{prompt['id']}", data=answer).status_code == 204
            reader.wait_for("progress", 3, timeout=60)  # in the recharge, output on
            panel.send_signal(signal.SIGINT)
            ended = reader.wait_for("run_ended", timeout=60)
            assert ended["verdict"] == "aborted"
            assert "Ctrl-C" in reader.wait_for("step_finished", 3)["message"]
            assert energised(simulator.state()) == []
            assert client.get("/api/state").json()["busy"] is False  # still serving
        reader.close()
    finally:
        panel.send_signal(signal.SIGINT)  # no run now: this one stops the panel
        _, err = panel.communicate(timeout=30)
    assert panel.returncode == 0 and "operator panel stopped" in err
