"""``python -m simulators`` as a subprocess: start, parse the JSON line, stop with a signal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import serial

from simulators.launcher import ControlClient

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def launched(*args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m simulators args``; killed if the test left it running, its pipes closed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_json_line_then_clean_exit_on_signal(stop_signal: signal.Signals) -> None:
    with launched(
        "--fault", "healthy", "--load-model", "IT8511", "--seed", "4", "--json"
    ) as process:
        assert process.stdout is not None
        document = json.loads(process.stdout.readline())
        assert set(document["instruments"]) == {"dmm", "source", "load", "rmeter", "temperature"}
        load = document["instruments"]["load"]
        assert load["model"] == "IT8511" and load["resource"].startswith("TCPIP::127.0.0.1::")
        assert load["pty"].startswith("/dev/pts/")
        assert document["instruments"]["dmm"]["pty"] is None
        with ControlClient(document["control"]) as control:
            assert control.advance(60) == 60.0
        with serial.Serial(document["instruments"]["rmeter"]["pty"], timeout=5) as port:
            port.write(b"*IDN?\r\n")
            assert port.readline().startswith(b"HIOKI,BT3562")
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0


def test_a_chamber_on_request_answers_on_its_pty() -> None:
    with launched("--fault", "lithium_plating", "--chamber", "--json") as process:
        assert process.stdout is not None
        document = json.loads(process.stdout.readline())
        chamber = document["instruments"]["chamber"]
        assert chamber["model"] == "SU-241" and chamber["pty"].startswith("/dev/pts/")
        with serial.Serial(chamber["pty"], timeout=5) as port:
            port.write(b"TYPE?\r\n")
            assert port.readline().startswith(b"SU-241,")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_human_readable_listing() -> None:
    with launched("--source-model", "DP832", "--no-serial") as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(7)]
        assert lines[1].split()[:2] == ["source", "DP832"] and "TCPIP::127.0.0.1::" in lines[1]
        assert lines[4].split()[:2] == ["temperature", "34461A"]
        assert "pty" not in "".join(lines[:5])
        assert lines[5].startswith("control 127.0.0.1:")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_bad_fault_exits_2_listing_valid_names() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulators", "--fault", "meltdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "unknown fault 'meltdown'" in result.stderr and "healthy" in result.stderr


def test_list_faults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulators", "--list-faults"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("healthy\n")
    assert "symptom: " in result.stdout and "mosfet_latched" in result.stdout
