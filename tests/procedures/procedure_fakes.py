"""Fake instruments that record the calls they get, for engine and safe-state tests."""

from __future__ import annotations

import threading

from instruments.errors import TransportError
from instruments.roles import (
    DCSource,
    ElectronicLoad,
    Identity,
    LoadMode,
    LoadReading,
    Multimeter,
    RegulationMode,
)
from instruments.units import Q_, Quantity
from procedures.clock import RealClock
from procedures.context import BenchInstruments
from procedures.engine import Procedure, RunResult, run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import RunInfo


class CallLog:
    def __init__(self) -> None:
        self.calls: list[str] = []


class FakeMultimeter(Multimeter):
    def __init__(self, log: CallLog) -> None:
        self.log = log
        self.reading: Quantity = Q_(3.85, "V")
        self.safe_error: Exception | None = None

    @property
    def identity(self) -> Identity:
        return Identity("Keysight Technologies", "34461A", "MY123", "A.03")

    def make_safe(self) -> None:
        self.log.calls.append("dmm.make_safe")
        if self.safe_error is not None:
            raise self.safe_error

    def close(self) -> None:
        self.log.calls.append("dmm.close")

    def configure_dc_voltage(
        self, range_: Quantity | None = None, nplc: float | None = None
    ) -> None:
        self.log.calls.append("dmm.configure")

    def dc_voltage(self) -> Quantity:
        self.log.calls.append("dmm.read")
        return self.reading


class FakeSource(DCSource):
    def __init__(self, log: CallLog) -> None:
        self.log = log
        self.on = False
        self.safe_error: Exception | None = None
        self.hang: threading.Event | None = None
        """When set, make_safe blocks until this event is set (a hung instrument)."""

    @property
    def identity(self) -> Identity:
        return Identity("Keysight Technologies", "E36312A", "MY456", "2.1")

    def make_safe(self) -> None:
        self.log.calls.append("source.make_safe")
        if self.hang is not None:
            self.hang.wait(30)
        if self.safe_error is not None:
            raise self.safe_error
        self.on = False

    def close(self) -> None:
        self.make_safe()

    @property
    def channels(self) -> tuple[int, ...]:
        return (1, 2, 3)

    def set_voltage(self, channel: int, voltage: Quantity) -> None:
        self.log.calls.append(f"source.set_voltage {voltage:~P}")

    def set_current_limit(self, channel: int, current: Quantity) -> None:
        self.log.calls.append(f"source.set_current {current:~P}")

    def set_over_voltage_protection(self, channel: int, voltage: Quantity) -> None:
        pass

    def set_over_current_protection(self, channel: int, current: Quantity) -> None:
        pass

    def output_on(self, channel: int) -> None:
        self.log.calls.append("source.output_on")
        self.on = True

    def output_off(self, channel: int) -> None:
        self.on = False

    def is_output_on(self, channel: int) -> bool:
        return self.on

    def measure_voltage(self, channel: int) -> Quantity:
        return Q_(4.1, "V")

    def measure_current(self, channel: int) -> Quantity:
        if not self.on:
            raise TransportError("TCPIP::127.0.0.1::5025::SOCKET: connection dropped")
        return Q_(1.3, "A")

    def regulation_mode(self, channel: int) -> RegulationMode:
        return RegulationMode.CC if self.on else RegulationMode.OFF

    def clear_protection(self, channel: int) -> None:
        pass


class FakeLoad(ElectronicLoad):
    def __init__(self, log: CallLog) -> None:
        self.log = log
        self.on = False

    @property
    def identity(self) -> Identity:
        return Identity("RIGOL TECHNOLOGIES", "DL3021", "DL3A1", "00.01.02")

    def make_safe(self) -> None:
        self.log.calls.append("load.make_safe")
        self.on = False

    def close(self) -> None:
        self.make_safe()

    def set_mode(self, mode: LoadMode) -> None:
        pass

    def set_level(self, level: Quantity) -> None:
        pass

    def input_on(self) -> None:
        self.on = True

    def input_off(self) -> None:
        self.on = False

    def is_input_on(self) -> bool:
        return self.on

    def measure(self) -> LoadReading:
        return LoadReading(Q_(3.7, "V"), Q_(1.0, "A"), Q_(3.7, "W"))


class Bench:
    """A fake station: three instruments sharing one call log."""

    def __init__(self) -> None:
        self.log = CallLog()
        self.dmm = FakeMultimeter(self.log)
        self.source = FakeSource(self.log)
        self.load = FakeLoad(self.log)
        self.instruments = BenchInstruments(multimeter=self.dmm, source=self.source, load=self.load)

    def safe_calls(self) -> list[str]:
        return [c for c in self.log.calls if c.endswith("make_safe")]


def info(procedure: Procedure) -> RunInfo:
    return procedure.run_info(
        station="bench-1", operator="tester", spec="PB-1S2P-18650-5200", unit_serial="U1"
    )


def run(
    procedure: Procedure,
    bench: Bench,
    recorder: MemoryRecorder | None = None,
    answers: dict[str, object] | None = None,
    **kwargs: object,
) -> tuple[RunResult, MemoryRecorder]:
    recorder = recorder if recorder is not None else MemoryRecorder()
    result = run_procedure(
        procedure,
        instruments=bench.instruments,
        recorder=recorder,
        prompts=ScriptedPrompts(answers or {}),
        spec=None,
        run_info=info(procedure),
        **({"clock": RealClock()} | kwargs),  # type: ignore[arg-type]
    )
    return result, recorder
