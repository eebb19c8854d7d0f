"""Helpers of the simulator tests: the real simulated bench on the wire, and a tiny fake.

They live in their own module (not ``conftest``) because ``tests/instruments`` has a
``conftest`` too: with pytest's default import mode a bare ``from conftest import`` picks
whichever directory was collected first, so running both suites together broke.

``LiveBench`` is a full simulated bench (``simulators.launcher.start_bench``): the emulators talk
to the real pack and board physics, and tests check their replies against the bench's true state
through the control endpoint. ``FakeBench`` stays only for in-process property tests, where a
fast, physics-free ``simulators.wiring.Bench`` is the point (a 3.85 V battery behind 0.1 Ohm).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import serial

from simulators.launcher import ControlClient, SimulatedBenchServer
from simulators.wiring import (
    LoadInput,
    LoadSettings,
    ProbeReading,
    SourceChannelSettings,
    SourceOutput,
)

BATTERY_V, BATTERY_R = 3.85, 0.1


class FakeBench:
    def __init__(self) -> None:
        self._time = 0.0
        self.ratings: dict[int, tuple[float, float]] = {}
        self.channels: dict[int, SourceChannelSettings] = {}
        self._load = LoadSettings(max_voltage=1.0, max_current=1.0)
        self.dmm = BATTERY_V
        self.probe_reading = ProbeReading(0.015123, BATTERY_V)
        self.probe_celsius = 25.0

    @property
    def time(self) -> float:
        return self._time

    def advance(self, seconds: float) -> None:
        self._time += seconds

    def declare_source(self, ratings: dict[int, tuple[float, float]]) -> None:
        self.ratings = dict(ratings)

    def source_channel(self, channel: int) -> SourceChannelSettings:
        if channel not in self.channels:
            volts, amps = self.ratings.get(channel, (6.0, 5.0))
            self.channels[channel] = SourceChannelSettings(channel, volts, amps)
        return self.channels[channel]

    def declare_load(self, max_voltage: float, max_current: float) -> None:
        self._load = LoadSettings(max_voltage=max_voltage, max_current=max_current)

    @property
    def load(self) -> LoadSettings:
        return self._load

    def source_output(self, channel: int) -> SourceOutput:
        s = self.source_channel(channel)
        if s.output_on and s.ovp_enabled and s.voltage > s.ovp_level:
            s.tripped, s.output_on = "OVP", False
        if not s.output_on or s.tripped:
            return SourceOutput(BATTERY_V, 0.0, "OFF")
        current = (s.voltage - BATTERY_V) / BATTERY_R
        if current > s.current_limit:
            return SourceOutput(BATTERY_V + s.current_limit * BATTERY_R, s.current_limit, "CC")
        return SourceOutput(s.voltage, max(current, 0.0), "CV")

    def load_input(self) -> LoadInput:
        on = self._load.input_on and self._load.function == "CC"
        current = self._load.level if on else 0.0
        return LoadInput(BATTERY_V - BATTERY_R * current, current)

    def dmm_voltage(self) -> float:
        return self.dmm

    def probe(self) -> ProbeReading:
        return self.probe_reading

    def probe_temperature(self) -> float:
        return self.probe_celsius


@dataclass
class LiveBench:
    """A real simulated bench (physics + emulators) reached only over the wire, as drivers do."""

    server: SimulatedBenchServer
    control: ControlClient
    _rm: Any
    _opened: list[Any] = field(default_factory=list)

    def open(self, role: str) -> Any:
        """pyvisa-py over TCP to ``role``, with the terminations raw sockets need."""
        inst = self._rm.open_resource(
            self.server.instruments[role].resource,
            read_termination="\n",
            write_termination="\n",
            timeout=2000,
        )
        self._opened.append(inst)
        return inst

    def serial(self, role: str = "rmeter") -> serial.Serial:
        """pyserial on the instrument's pseudo-terminal (RS-232 models)."""
        pty = self.server.instruments[role].pty
        assert pty is not None, f"{role} has no pseudo-terminal"
        link = serial.Serial(pty, 9600, timeout=0.5)
        self._opened.append(link)
        return link

    def source(self) -> dict[str, Any]:
        """True state of source channel 1 (the one wired to the pack)."""
        channel: dict[str, Any] = self.control.state()["source"]["1"]
        return channel

    def close(self) -> None:
        for handle in reversed(self._opened):
            handle.close()
        self.control.close()
        self.server.stop()


LiveFn = Callable[..., LiveBench]


def sync(inst: Any) -> None:
    """Wait until every write sent to ``inst`` has been executed.

    The control endpoint has its own socket: a command written to an instrument and an ADVANCE
    sent right after may be served in either order. ``*OPC?`` answers only after the writes
    before it, exactly as on hardware.
    """
    assert inst.query("*OPC?") == "1"


def close_to(text: str, value: float, tolerance: float) -> bool:
    return math.isclose(float(text), value, abs_tol=tolerance)
