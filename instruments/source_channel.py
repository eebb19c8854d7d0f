"""One output of a multi-channel DC source as an object: ``source.ch1.voltage = Q_(4.2, "V")``.

The channel owns the declarative settings of its model (``Control`` attributes declared by a
driver's subclass) and fills ``{ch}`` in their command templates. Every check goes through the
source's ``SourceGuard``, so the rating, the station ``SafetyLimits`` and the OVP/OCP-before-output
interlock are the same whether a procedure calls ``source.set_voltage(1, v)`` or sets
``source.ch1.voltage``; the role methods in fact delegate to these objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from instruments.safety import SourceGuard
from instruments.units import Quantity


class GuardedSource(Protocol):
    """The source a channel belongs to: its messaging, its guard and its output switching."""

    guard: SourceGuard

    @property
    def resource(self) -> str: ...

    def write(self, command: str) -> None: ...

    def query_number(self, command: str, *, retries: int = 0) -> float: ...

    def output_on(self, channel: int) -> None: ...

    def output_off(self, channel: int) -> None: ...

    def is_output_on(self, channel: int) -> bool: ...

    def measure_voltage(self, channel: int) -> Quantity: ...

    def measure_current(self, channel: int) -> Quantity: ...


class SourceChannel:
    """Channel ``number`` of ``source``; subclasses declare the model's ``Control`` settings."""

    def __init__(self, source: GuardedSource, number: int) -> None:
        self.source = source
        self.number = number

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.source.resource} channel {self.number}>"

    @property
    def resource(self) -> str:
        return self.source.resource

    @property
    def guard(self) -> SourceGuard:
        return self.source.guard

    def command_fields(self) -> Mapping[str, object]:
        return {"ch": self.number}

    def write(self, command: str) -> None:
        self.source.write(command)

    def query_number(self, command: str, *, retries: int = 0) -> float:
        return self.source.query_number(command, retries=retries)

    # -- output and readings: the source's role methods, for this channel ----------------------
    def output_on(self) -> None:
        self.source.output_on(self.number)

    def output_off(self) -> None:
        self.source.output_off(self.number)

    @property
    def output(self) -> bool:
        return self.source.is_output_on(self.number)

    def measure_voltage(self) -> Quantity:
        return self.source.measure_voltage(self.number)

    def measure_current(self) -> Quantity:
        return self.source.measure_current(self.number)


# -- checks shared by every source model (the guard holds the rules) ---------------------------
def checked_voltage(channel: SourceChannel, value: Quantity) -> float:
    return channel.guard.voltage(channel.number, value)


def checked_current_limit(channel: SourceChannel, value: Quantity) -> float:
    return channel.guard.current(channel.number, value)


def checked_ovp(channel: SourceChannel, value: Quantity) -> float:
    return channel.guard.ovp(channel.number, value)


def checked_ocp(channel: SourceChannel, value: Quantity) -> float:
    return channel.guard.ocp(channel.number, value)


def ovp_armed(channel: SourceChannel, volts: float) -> None:
    channel.guard.ovp_programmed(channel.number, volts)


def ocp_armed(channel: SourceChannel, amps: float) -> None:
    channel.guard.ocp_programmed(channel.number, amps)
