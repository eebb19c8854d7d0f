"""Role interfaces: what a procedure may ask of an instrument, whatever its model.

Procedures import these names only; a model name never appears in a procedure. All values are
``pint`` quantities from ``instruments.units`` so a milliamp can never pass for an amp.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Self

from instruments.timebase import WALL_CLOCK, Timebase
from instruments.units import Quantity


@dataclass(frozen=True, slots=True)
class Identity:
    """``*IDN?`` split into its four fields (recorded with every measurement)."""

    maker: str
    model: str
    serial: str
    firmware: str

    def __str__(self) -> str:
        return f"{self.maker} {self.model} s/n {self.serial} fw {self.firmware}"


class RegulationMode(enum.Enum):
    """What limits a source channel's output right now."""

    OFF = "off"
    CV = "cv"
    CC = "cc"
    UNREGULATED = "unregulated"
    PROTECTION_TRIPPED = "protection_tripped"


class LoadMode(enum.Enum):
    CC = "cc"
    CV = "cv"
    CR = "cr"
    CP = "cp"


class SampleRate(enum.Enum):
    EX_FAST = "ex_fast"
    FAST = "fast"
    MEDIUM = "medium"
    SLOW = "slow"


@dataclass(frozen=True, slots=True)
class LoadReading:
    voltage: Quantity
    current: Quantity
    power: Quantity


@dataclass(frozen=True, slots=True)
class ResistanceReading:
    """AC resistance and DC voltage taken together by a battery tester."""

    resistance: Quantity
    voltage: Quantity


class Instrument(ABC):
    """Common part of every role: identity and a safe state reached on close."""

    timebase: Timebase = WALL_CLOCK
    """The clock the driver's own waits run on (``instruments.timebase``); wall time unless a
    procedure on a virtual clock lends it its clock for a run."""

    def use_timebase(self, timebase: Timebase) -> None:
        """Make the driver's own waits (settling after a range change) run on ``timebase``."""
        self.timebase = timebase

    @property
    @abstractmethod
    def identity(self) -> Identity: ...

    @abstractmethod
    def make_safe(self) -> None:
        """Put outputs off / inputs off. Must try every step even if one fails."""

    @abstractmethod
    def close(self) -> None:
        """Make safe, then release the transport. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Multimeter(Instrument):
    @abstractmethod
    def configure_dc_voltage(
        self, range_: Quantity | None = None, nplc: float | None = None
    ) -> None:
        """Select DC volts; ``range_=None`` means autorange."""

    @abstractmethod
    def dc_voltage(self) -> Quantity:
        """Trigger and return one DC-voltage reading."""


class DCSource(Instrument):
    @property
    @abstractmethod
    def channels(self) -> tuple[int, ...]: ...

    @abstractmethod
    def set_voltage(self, channel: int, voltage: Quantity) -> None: ...

    @abstractmethod
    def set_current_limit(self, channel: int, current: Quantity) -> None: ...

    @abstractmethod
    def set_over_voltage_protection(self, channel: int, voltage: Quantity) -> None:
        """Program and enable OVP; must precede ``output_on``."""

    @abstractmethod
    def set_over_current_protection(self, channel: int, current: Quantity) -> None:
        """Program and enable OCP; must precede ``output_on``."""

    @abstractmethod
    def output_on(self, channel: int) -> None: ...

    @abstractmethod
    def output_off(self, channel: int) -> None: ...

    @abstractmethod
    def is_output_on(self, channel: int) -> bool: ...

    @abstractmethod
    def measure_voltage(self, channel: int) -> Quantity: ...

    @abstractmethod
    def measure_current(self, channel: int) -> Quantity: ...

    @abstractmethod
    def regulation_mode(self, channel: int) -> RegulationMode: ...

    @abstractmethod
    def clear_protection(self, channel: int) -> None: ...

    def arm_output_timer(self, channel: int, duration: Quantity) -> bool:
        """Program the instrument's own timer to end the channel's next ``output_on`` after
        ``duration``, with no software involved (a crashed host cannot keep it on longer).

        Returns ``False`` where the model has no such timer (the default): the safety watchdog
        and the instrument's OVP/OCP are then all there is (docs/safety.md).
        """
        return False


class ElectronicLoad(Instrument):
    @abstractmethod
    def set_mode(self, mode: LoadMode) -> None: ...

    @abstractmethod
    def set_level(self, level: Quantity) -> None:
        """Level in the unit of the mode: A for CC, V for CV, ohm for CR, W for CP."""

    @abstractmethod
    def input_on(self) -> None: ...

    @abstractmethod
    def input_off(self) -> None: ...

    @abstractmethod
    def is_input_on(self) -> bool: ...

    @abstractmethod
    def measure(self) -> LoadReading: ...

    @property
    def supports_short(self) -> bool:
        return False

    @property
    def max_current(self) -> Quantity | None:
        """The model's rated current (what its short function sinks at most); ``None``: unknown."""
        return None

    def set_short(self, on: bool) -> None:
        """Short-circuit function of the load, where the model has one."""
        raise NotImplementedError(f"{type(self).__name__} has no short-circuit function")


class ResistanceMeter(Instrument):
    @abstractmethod
    def configure(
        self,
        resistance_range: Quantity,
        voltage_range: Quantity,
        rate: SampleRate = SampleRate.MEDIUM,
    ) -> None: ...

    @abstractmethod
    def read(self) -> ResistanceReading: ...


class Thermometer(Instrument):
    """A temperature channel on the pack (its NTC, or a probe taped to the cells).

    Procedures read it to arm the over-temperature abort; how the probe is converted (thermistor,
    RTD, thermocouple) is the driver's business, set once by ``configure_temperature``.
    """

    @abstractmethod
    def configure_temperature(self) -> None:
        """Select the temperature function for the probe this channel is wired to."""

    @abstractmethod
    def temperature(self) -> Quantity:
        """Trigger and return one temperature reading (a ``degC`` quantity)."""


class TemperatureChamber(Instrument):
    """A chamber around the cell fixture: holds the air at a set point (cold tests).

    The chamber controls its air, not the cells: how long the cells take to follow is measured
    on the pack's own probe (``Thermometer``) by the procedure. Its safe state is standby (no
    control: the air drifts back to the lab's).
    """

    @abstractmethod
    def set_temperature(self, temperature: Quantity) -> None:
        """Program the set point (a ``degC`` quantity); refused outside the model's range."""

    @abstractmethod
    def run(self) -> None:
        """Start controlling the air to the set point (constant mode)."""

    @abstractmethod
    def standby(self) -> None:
        """Stop controlling (the safe state)."""

    @abstractmethod
    def air_temperature(self) -> Quantity:
        """The chamber's own air reading (a ``degC`` quantity)."""

    @abstractmethod
    def is_controlling(self) -> bool:
        """Whether the chamber is driving its air to a set point, by asking it.

        The safe start asks before anything is measured: a chamber left cooling by a run that
        died must be found, stopped and said so, as a source left on is.
        """
