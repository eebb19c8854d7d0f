"""The seam between instrument emulators and the physical model of the bench.

Emulators own an instrument's *settings* as the manual describes them; the physical model owns
*what happens* when those settings meet a pack. Each emulator writes its settings into the state
objects below (held by the bench) and asks the bench for the electrical result, so that charging
from the source really changes what the multimeter reads.

Units on this side of the wire are plain SI floats (volts, amps, ohms, seconds): the simulator
must share no code with the drivers, not even their unit registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

FixtureName = Literal["pack", "board", "cell"]
SourceMode = Literal["OFF", "CV", "CC", "UR"]
LoadFunction = Literal["CC", "CV", "CR", "CP"]
TripKind = Literal["OVP", "OCP"]
ROOM_C = 25.0
"""The lab's air, around the pack unless a temperature chamber holds another."""


@dataclass
class SourceChannelSettings:
    """One DC-source channel as programmed. The bench latches ``tripped`` (output then off)."""

    channel: int
    max_voltage: float
    max_current: float
    voltage: float = 0.0
    current_limit: float = 0.0
    output_on: bool = False
    ovp_level: float = 0.0
    ovp_enabled: bool = False
    ocp_level: float = 0.0
    ocp_enabled: bool = False
    tripped: TripKind | None = None
    off_at: float | None = None
    """Virtual time at which the instrument's own timer switches the output off (the DP800
    delayer), ``None`` when no timer runs. The bench enforces it while time advances."""


@dataclass
class LoadSettings:
    """The electronic load as programmed. ``von``: the load sinks only above this voltage."""

    max_voltage: float
    max_current: float
    function: LoadFunction = "CC"
    level: float = 0.0
    input_on: bool = False
    short: bool = False
    von: float = 0.0


@dataclass(frozen=True)
class SourceOutput:
    voltage: float
    current: float
    mode: SourceMode


@dataclass(frozen=True)
class LoadInput:
    voltage: float
    current: float


@dataclass(frozen=True)
class ProbeReading:
    """What a battery tester's four-terminal probes see: 1 kHz AC resistance and DC voltage.

    ``resistance`` is ``inf`` for an open circuit (the tester then reports a measurement fault).
    """

    resistance: float
    voltage: float


class Bench(Protocol):
    """What every emulator may ask of the simulated world. Implemented by ``simulators.fixtures``.

    All calls happen on the single server thread of a simulated bench, so no locking is needed.
    """

    @property
    def time(self) -> float:
        """Virtual seconds since the bench was built."""
        ...

    def source_channel(self, channel: int) -> SourceChannelSettings:
        """Settings object of the DC source's channel (created on first use with the rating)."""
        ...

    def declare_source(self, ratings: dict[int, tuple[float, float]]) -> None:
        """Called once by the source emulator: channel -> (max volts, max amps)."""
        ...

    def declare_load(self, max_voltage: float, max_current: float) -> None: ...

    @property
    def load(self) -> LoadSettings: ...

    def source_output(self, channel: int) -> SourceOutput:
        """True terminal voltage, current and regulation mode of a source channel now."""
        ...

    def load_input(self) -> LoadInput:
        """True voltage at, and current into, the load's input now."""
        ...

    def dmm_voltage(self) -> float:
        """True DC voltage across the multimeter's inputs (P+/P- in pack and board fixtures)."""
        ...

    def probe(self) -> ProbeReading:
        """What the resistance meter's probes see (the pack terminals, or one cell)."""
        ...

    def probe_temperature(self) -> float:
        """Degrees Celsius at the pack's temperature probe (NTC), wherever the pack sits."""
        ...

    @property
    def ambient(self) -> float:
        """Degrees Celsius of the air around the pack (the lab's, or a chamber's)."""
        ...

    def set_ambient(self, celsius: float) -> None:
        """The air around the pack, as a temperature chamber holds it (the cells follow)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move virtual time on, sub-stepping so no protection event is missed."""
        ...


class Emulator(Protocol):
    """An emulated instrument as a server sees it: bytes in, bytes out.

    ``receive`` buffers partial input itself (a command may arrive split over several reads) and
    returns the bytes to send back, ``b""`` when the instrument stays silent. Emulators that also
    offer ``consume(pending) -> (replies, rest)`` (see ``ConsumingEmulator``) let the server keep
    the partial input per connection instead, so concurrent clients cannot interleave.
    """

    role: str
    model: str

    def receive(self, data: bytes) -> bytes: ...


class ConsumingEmulator(Emulator, Protocol):
    """An emulator whose input framing is stateless: the caller keeps the pending bytes."""

    def consume(self, pending: bytes) -> tuple[bytes, bytes]: ...
