"""What the watchdog makes safe when a run dies: the sources and the load first, then a
temperature chamber back to standby (a run killed in its 0 degC soak left it cooling)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import serial

from bench.endpoints import Endpoint
from bench.watchdog import switch_off, targets_of

REPO = Path(__file__).resolve().parents[2]


def test_targets_are_the_output_roles_outputs_first_whatever_the_station_order() -> None:
    endpoints = {
        role: Endpoint(role, "m", f"TCPIP::127.0.0.1::{port}::SOCKET")
        for port, role in enumerate(("chamber", "dmm", "load", "rmeter", "source"), 5000)
    }
    assert [t.role for t in targets_of(endpoints)] == ["source", "load", "chamber"]


def test_a_chamber_left_cooling_is_put_to_standby() -> None:
    """Against the emulated SU-241 over its serial line: the chamber runs at 0 degC, the
    watchdog's switch-off puts it to standby and says so."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--fault", "lithium_plating", "--chamber", "--json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        chamber = json.loads(process.stdout.readline())["instruments"]["chamber"]
        with serial.Serial(chamber["pty"], timeout=5) as port:
            for command in (b"TEMP, S0.0\r\n", b"MODE, CONSTANT\r\n", b"MODE?\r\n"):
                port.write(command)
                answer = port.readline()
            assert answer.strip() == b"CONSTANT"
        endpoint = Endpoint("chamber", "SU-241", chamber["resource"])
        outcome = switch_off(targets_of({"chamber": endpoint}), logging.getLogger("test"))
        assert outcome == ["chamber at standby (confirmed)"]
        with serial.Serial(chamber["pty"], timeout=5) as port:
            port.write(b"MODE?\r\n")
            assert port.readline().strip() == b"STANDBY"
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
