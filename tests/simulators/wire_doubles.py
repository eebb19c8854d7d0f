"""Small stand-ins for the physics bench and an SCPI emulator, for tests of the wire layer.

The server and control tests must fail for a server bug, not for a physics or SCPI-parser bug,
so they run against these: a bench whose state is a few plain numbers, and an emulator that
answers ``MEAS:VOLT:DC?`` with the bench's voltage and ``*IDN?`` with its model.
"""

from __future__ import annotations

import math
from typing import Any

from simulators.launcher import SimulatedBenchServer
from simulators.servers import World
from simulators.wiring import (
    LoadInput,
    LoadSettings,
    ProbeReading,
    SourceChannelSettings,
    SourceOutput,
)


class FakeBench:
    def __init__(self, fault: str = "healthy") -> None:
        self._time = 0.0
        self.fault = fault
        self.fixture = ("pack", 0)
        self._load = LoadSettings(max_voltage=120.0, max_current=30.0)
        self._channels: dict[int, SourceChannelSettings] = {}

    @property
    def time(self) -> float:
        return self._time

    def advance(self, seconds: float) -> None:
        self._time += seconds

    def source_channel(self, channel: int) -> SourceChannelSettings:
        return self._channels.setdefault(channel, SourceChannelSettings(channel, 6.0, 5.0))

    def declare_source(self, ratings: dict[int, tuple[float, float]]) -> None:
        pass

    def declare_load(self, max_voltage: float, max_current: float) -> None:
        self._load = LoadSettings(max_voltage=max_voltage, max_current=max_current)

    @property
    def load(self) -> LoadSettings:
        return self._load

    def source_output(self, channel: int) -> SourceOutput:
        return SourceOutput(0.0, 0.0, "OFF")

    def load_input(self) -> LoadInput:
        current = self._load.level if self._load.input_on and self._load.function == "CC" else 0.0
        return LoadInput(self.dmm_voltage() - 0.05 * current, current)

    def dmm_voltage(self) -> float:
        return 0.0 if self.fault == "dead" else 3.85 + 0.001 * self._time

    def probe(self) -> ProbeReading:
        return ProbeReading(0.025, self.dmm_voltage())

    def true_state(self) -> dict[str, Any]:
        return {
            "time": self._time,
            "fault": self.fault,
            "fixture": list(self.fixture),
            # What real states hold now and then (an open path's resistance, an undefined ratio):
            "non_finite": {"open": math.inf, "sink": -math.inf, "ratio": math.nan},
        }

    def set_fixture(self, name: str, cell_index: int = 0) -> None:
        if cell_index > 3:
            raise ValueError(f"cell index {cell_index} out of range 0..3")
        self.fixture = (name, cell_index)

    def apply_fault(self, name: str) -> None:
        self.fault = name


class LineEmulator:
    """Answers each ``\\n``-terminated query; silent on anything that is not a query."""

    def __init__(self, bench: FakeBench, role: str, model: str) -> None:
        self.bench = bench
        self.role = role
        self.model = model
        self._buffer = b""

    def receive(self, data: bytes) -> bytes:
        self._buffer += data
        replies = b""
        while b"\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition(b"\n")
            command = line.strip().upper()
            if command == b"*IDN?":
                replies += f"FAKE,{self.model},0,1.0\n".encode()
            elif command == b"MEAS:VOLT:DC?":
                replies += f"{self.bench.dmm_voltage():+.8E}\n".encode()
            elif command == b"BOOM?":
                raise RuntimeError("emulator bug on purpose")
        return replies


CATALOGUE = {
    "healthy": {"name": "healthy"},
    "dead": {"name": "dead"},
}


def fake_server(
    *, serial_roles: frozenset[str] = frozenset(), seed: int = 0
) -> SimulatedBenchServer:
    """A started-on-enter server with roles dmm, source and rmeter over fake parts."""

    def build() -> World:
        bench = FakeBench()
        return World(
            bench,
            {
                "dmm": LineEmulator(bench, "dmm", "34461A"),
                "source": LineEmulator(bench, "source", "E36312A"),
                "rmeter": LineEmulator(bench, "rmeter", "BT3562"),
            },
        )

    return SimulatedBenchServer(build, catalogue=CATALOGUE, serial_roles=serial_roles, seed=seed)
