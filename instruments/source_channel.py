"""One output of a multi-channel DC source as an object: ``source.ch1.voltage = Q_(4.2, "V")``.

The channel owns the declarative settings of its model (``Control`` attributes declared by a
driver's subclass) and fills ``{ch}`` in their command templates. Every check goes through the
source's ``SourceGuard``, so the rating, the station ``SafetyLimits`` and the OVP/OCP-before-output
interlock are the same whether a procedure calls ``source.set_voltage(1, v)`` or sets
``source.ch1.voltage``; the role methods in fact delegate to these objects.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, Protocol, TypeAlias, TypeVar

from instruments.controls import Control, Reading
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


Commands: TypeAlias = str | tuple[str, ...]


class SourceChannel:
    """Channel ``number`` of ``source``; subclasses declare the model's ``Control`` settings.

    The four settings every source has are named here so the role setters can address them;
    each model's subclass declares them as ``Control`` descriptors with its own commands.
    """

    voltage: Quantity
    current_limit: Quantity
    ovp: Quantity
    ocp: Quantity
    measured_voltage: Quantity
    measured_current: Quantity

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

    # -- the four settings every source has: a model's subclass gives only its commands ------
    @staticmethod
    def voltage_control(set: Commands, get: str | None) -> Control[SourceChannel]:
        """Volts, checked against rating, ``SafetyLimits`` and the programmed OVP level."""
        return Control("V", set=set, get=get, check=SourceChannel.checked_voltage)

    @staticmethod
    def current_limit_control(set: Commands, get: str | None) -> Control[SourceChannel]:
        """Amps, checked against rating, ``SafetyLimits`` and the programmed OCP level."""
        return Control("A", set=set, get=get, check=SourceChannel.checked_current_limit)

    @staticmethod
    def ovp_control(set: Commands, get: str | None) -> Control[SourceChannel]:
        """OVP level; once accepted, it arms the interlock and caps later voltages."""
        check, armed = SourceChannel.checked_ovp, SourceChannel.ovp_armed
        return Control("V", set=set, get=get, check=check, done=armed)

    @staticmethod
    def ocp_control(set: Commands, get: str | None) -> Control[SourceChannel]:
        """OCP level; once accepted, it arms the interlock and caps later current limits."""
        check, armed = SourceChannel.checked_ocp, SourceChannel.ocp_armed
        return Control("A", set=set, get=get, check=check, done=armed)

    # -- checks and bookkeeping of the declarations (the guard holds the rules) ---------------
    def checked_voltage(self, value: Quantity) -> float:
        return self.guard.voltage(self.number, value)

    def checked_current_limit(self, value: Quantity) -> float:
        return self.guard.current(self.number, value)

    def checked_ovp(self, value: Quantity) -> float:
        return self.guard.ovp(self.number, value)

    def checked_ocp(self, value: Quantity) -> float:
        return self.guard.ocp(self.number, value)

    def ovp_armed(self, volts: float) -> None:
        self.guard.ovp_programmed(self.number, volts)

    def ocp_armed(self, amps: float) -> None:
        self.guard.ocp_programmed(self.number, amps)

    # -- output and readings: the source's role methods, for this channel ----------------------
    def output_on(self) -> None:
        self.source.output_on(self.number)

    def output_off(self) -> None:
        self.source.output_off(self.number)

    @property
    def output(self) -> bool:
        return self.source.is_output_on(self.number)

    @staticmethod
    def readings(
        voltage: str, current: str
    ) -> tuple[Reading[SourceChannel], Reading[SourceChannel]]:
        """``measured_voltage, measured_current = SourceChannel.readings(v_query, i_query)``."""
        return Reading("V", voltage), Reading("A", current)


ChannelT = TypeVar("ChannelT", bound=SourceChannel)


class DelegatesToChannels(Generic[ChannelT]):
    """The ``DCSource`` setters and measurements written once, each the channel object's
    declaration; the channel guard is asked once, in ``channel()``.

    A driver lists this before ``DCSource`` and calls ``_add_channels`` in its constructor;
    ``source.set_voltage(1, v)`` and ``source.ch1.voltage = v`` then run the same declaration.
    """

    guard: SourceGuard
    _channel_objects: dict[int, ChannelT]

    def _add_channels(self, channels: Iterable[ChannelT]) -> None:
        self._channel_objects = {channel.number: channel for channel in channels}

    def channel(self, number: int) -> ChannelT:
        """The channel object; an unknown number raises ``SettingOutOfRange`` (nothing sent)."""
        self.guard.channel(number)
        return self._channel_objects[number]

    def set_voltage(self, channel: int, voltage: Quantity) -> None:
        self.channel(channel).voltage = voltage

    def set_current_limit(self, channel: int, current: Quantity) -> None:
        self.channel(channel).current_limit = current

    def set_over_voltage_protection(self, channel: int, voltage: Quantity) -> None:
        self.channel(channel).ovp = voltage

    def set_over_current_protection(self, channel: int, current: Quantity) -> None:
        self.channel(channel).ocp = current

    def measure_voltage(self, channel: int) -> Quantity:
        return self.channel(channel).measured_voltage

    def measure_current(self, channel: int) -> Quantity:
        return self.channel(channel).measured_current


class Guarded(Protocol):
    """A source whose channel numbers its ``SourceGuard`` checks."""

    guard: SourceGuard


GuardedT = TypeVar("GuardedT", bound=Guarded)
ResultT = TypeVar("ResultT")


def per_channel(
    method: Callable[[GuardedT, int], ResultT],
) -> Callable[[GuardedT, int], ResultT]:
    """A per-channel method of a source: the guard refuses a channel the model lacks first.

    Declared once here instead of a ``self.guard.channel(channel)`` line opening every method;
    a refused channel raises before anything is sent, as before.
    """

    @functools.wraps(method)
    def checked(source: GuardedT, channel: int) -> ResultT:
        source.guard.channel(channel)
        return method(source, channel)

    return checked
