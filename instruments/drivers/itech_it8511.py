"""ITECH IT8511 electronic load (IT8500 legacy binary protocol, shared with B&K Precision 85xx).

No SCPI: every exchange is a 26-byte frame ``AA <address> <command> <22 payload bytes, little
endian> <checksum = sum(bytes 0..24) mod 256>``, and every reply is one frame too. A set command
answers a status frame (command 0x12) whose byte 3 is 0x80 for success; a query answers a frame
with its own command byte. Command and field layout: IT8500 programming guide as implemented by
libsigrok's ``itech-it8500`` driver (operation state byte bit 3 = input on).

Rating: 120 V / 30 A / 150 W; CR 0.05 ohm .. 7.5 kohm [E]. The load must be in remote mode
(command 0x20) before it accepts settings, so the driver requests it when it opens and hands the
front panel back (remote off) when it closes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, ClassVar, overload

from instruments.connection import Connection
from instruments.drivers.load_levels import RatedLoad
from instruments.errors import InstrumentReportedError, ProtocolError
from instruments.roles import ElectronicLoad, Identity, LoadMode, LoadReading
from instruments.safe_state import reach_safe_state, reopener
from instruments.safety import NO_LIMITS, SafetyLimits
from instruments.transport import Transport
from instruments.units import Q_, Quantity

FRAME_LENGTH = 26
START = 0xAA
STATUS_REPLY = 0x12
STATUS_OK = 0x80
STATUS_MEANING = {
    0x90: "checksum error (frame corrupted on the line)",
    0xA0: "bad parameter (value outside the load's range)",
    0xB0: "cannot execute (unknown command, or the load is not in remote mode)",
    0xC0: "invalid command",
}

REMOTE = 0x20
INPUT = 0x21
SET_MODE, GET_MODE = 0x28, 0x29
SET_CC, GET_CC = 0x2A, 0x2B
SET_CV, GET_CV = 0x2C, 0x2D
SET_CW, GET_CW = 0x2E, 0x2F
SET_CR, GET_CR = 0x30, 0x31
SET_FUNCTION, GET_FUNCTION = 0x5D, 0x5E
READ_STATE = 0x5F
IDENTIFY = 0x6A

FUNCTION_FIXED, FUNCTION_SHORT = 0, 1
STATE_INPUT_ON = 1 << 3
_MODE_CODE = {LoadMode.CC: 0, LoadMode.CV: 1, LoadMode.CP: 2, LoadMode.CR: 3}
_CODE_MODE = {code: mode for mode, code in _MODE_CODE.items()}


def checksum(frame: bytes) -> int:
    return sum(frame[:25]) % 256


def build_frame(address: int, command: int, payload: bytes = b"") -> bytes:
    """Pad ``payload`` into bytes 3..24 and append the checksum."""
    if len(payload) > 22:
        raise ValueError(f"IT8500 payload is at most 22 bytes, got {len(payload)}")
    body = bytes([START, address, command]) + payload.ljust(22, b"\x00")
    return body + bytes([checksum(body)])


def parse_frame(data: bytes, *, resource: str, sent: str) -> bytes:
    """Validate one reply frame; return it whole. Bytes are quoted in hex for the run record."""
    if len(data) != FRAME_LENGTH or data[0] != START or data[25] != checksum(data):
        problem = (
            f"wrong length {len(data)} (expected {FRAME_LENGTH})"
            if len(data) != FRAME_LENGTH
            else "bad start byte"
            if data[0] != START
            else f"bad checksum {data[25]:#04x} (expected {checksum(data):#04x})"
        )
        raise ProtocolError(
            f"{resource}: reply to {sent} has {problem}: {data.hex(' ')}. "
            "Check the baud rate and that only one host talks to the load."
        )
    return data


class FrameLevel:
    """A level of the load declared once: its set and query commands, its unit and count, its check.

    The binary counterpart of ``instruments.controls.Control``: assigning a quantity runs
    ``check`` (rating, then station limits) before a byte is written, then sends the set command
    with the magnitude in counts of ``1 / per_unit`` of ``unit`` (0.1 mA, mV, mW, mohm); reading
    the attribute sends the query command and returns what the load holds.
    """

    def __init__(
        self,
        unit: str,
        *,
        set: int,
        get: int,
        per_unit: int,
        label: str,
        check: Callable[[ItechIT8511, Quantity], float],
    ) -> None:
        self.unit = unit
        self.set_command = set
        self.get_command = get
        self.per_unit = per_unit
        self.label = label
        self.check = check

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> FrameLevel: ...

    @overload
    def __get__(self, instance: ItechIT8511, owner: type[Any]) -> Quantity: ...

    def __get__(self, instance: ItechIT8511 | None, owner: type[Any]) -> FrameLevel | Quantity:
        if instance is None:
            return self
        reply = instance._get(self.get_command, f"get {self.label}")
        return Q_(struct.unpack_from("<I", reply, 3)[0] / self.per_unit, self.unit)

    def __set__(self, instance: ItechIT8511, value: Quantity) -> None:
        magnitude = self.check(instance, value)  # raises before anything is sent
        counts = round(magnitude * self.per_unit)
        instance._set_u32(self.set_command, counts, f"{self.label} {magnitude:g} {self.unit}")


class ItechIT8511(Connection, RatedLoad, ElectronicLoad):
    MODEL: ClassVar[str] = "IT8511"
    MAX_VOLTAGE: ClassVar[float] = 120.0
    MAX_CURRENT: ClassVar[float] = 30.0
    MAX_POWER: ClassVar[float] = 150.0
    MIN_RESISTANCE: ClassVar[float] = 0.05
    MAX_RESISTANCE: ClassVar[float] = 7500.0
    POWER_LEVEL: ClassVar[str] = "CW level"

    def __init__(
        self,
        transport: Transport,
        *,
        address: int = 0,
        limits: SafetyLimits = NO_LIMITS,
        remote: bool = True,
    ) -> None:
        if not 0 <= address <= 254:
            raise ValueError(f"IT8500 address must be 0..254 (255 is broadcast), got {address}")
        super().__init__(transport)
        self.address = address
        self.limits = limits
        self._identity: Identity | None = None
        self._mode: LoadMode | None = None
        if remote:
            self.set_remote(True)

    # -- framing ------------------------------------------------------------------------------
    def _exchange(self, command: int, payload: bytes, name: str) -> bytes:
        self.transport.write_raw(build_frame(self.address, command, payload))
        return parse_frame(
            self.transport.read_raw(FRAME_LENGTH),
            resource=self.resource,
            sent=f"command {command:#04x} ({name})",
        )

    def _raise_on_status(self, reply: bytes, command: int, name: str) -> None:
        status = reply[3]
        if status != STATUS_OK:
            meaning = STATUS_MEANING.get(status, "unknown status code")
            raise InstrumentReportedError(
                f"{self.resource}: command {command:#04x} ({name}) was refused with status "
                f"{status:#04x}: {meaning}"
            )

    def _set(self, command: int, payload: bytes, name: str) -> None:
        reply = self._exchange(command, payload, name)
        if reply[2] != STATUS_REPLY:
            raise ProtocolError(
                f"{self.resource}: expected a status frame (0x12) after command {command:#04x} "
                f"({name}), got command byte {reply[2]:#04x}: {reply.hex(' ')}"
            )
        self._raise_on_status(reply, command, name)

    def _get(self, command: int, name: str) -> bytes:
        reply = self._exchange(command, b"", name)
        if reply[2] == STATUS_REPLY:
            self._raise_on_status(reply, command, name)
        if reply[2] != command:
            raise ProtocolError(
                f"{self.resource}: reply to query {command:#04x} ({name}) carries command byte "
                f"{reply[2]:#04x}: {reply.hex(' ')}"
            )
        return reply

    def _set_u32(self, command: int, value: int, name: str) -> None:
        self._set(command, struct.pack("<I", value), name)

    # -- housekeeping -------------------------------------------------------------------------
    @property
    def identity(self) -> Identity:
        if self._identity is None:
            reply = self._get(IDENTIFY, "identify")
            model = reply[3:8].split(b"\x00")[0].decode("ascii", "replace").strip()
            serial = reply[10:20].split(b"\x00")[0].decode("ascii", "replace").strip()
            firmware = f"{reply[9]}.{reply[8]:02d}"
            name = model if model.upper().startswith("IT") else f"IT{model}"
            self._identity = Identity("ITECH", name, serial, firmware)
        return self._identity

    def set_remote(self, on: bool) -> None:
        self._set(REMOTE, bytes([1 if on else 0]), "remote on" if on else "remote off")

    # -- function and levels ------------------------------------------------------------------
    def set_mode(self, mode: LoadMode) -> None:
        self._set(SET_MODE, bytes([_MODE_CODE[mode]]), f"mode {mode.name}")
        self._mode = mode

    def mode(self) -> LoadMode:
        if self._mode is None:
            reply = self._get(GET_MODE, "get mode")
            mode = _CODE_MODE.get(reply[3])
            if mode is None:
                raise ProtocolError(
                    f"{self.resource}: mode code {reply[3]} is not CC0/CV1/CW2/CR3: "
                    f"{reply.hex(' ')}"
                )
            self._mode = mode
        return self._mode

    # Each level is one declaration: its check (``RatedLoad``: rating, then station limits),
    # its frames and its readback, so ``load.current_level`` reads back the level the load holds.
    current_level = FrameLevel(
        "A",
        set=SET_CC,
        get=GET_CC,
        per_unit=10_000,
        label="CC level",
        check=RatedLoad._checked_current,
    )
    voltage_level = FrameLevel(
        "V",
        set=SET_CV,
        get=GET_CV,
        per_unit=1000,
        label="CV level",
        check=RatedLoad._checked_voltage,
    )
    power_level = FrameLevel(
        "W",
        set=SET_CW,
        get=GET_CW,
        per_unit=1000,
        label=POWER_LEVEL,
        check=RatedLoad._checked_power,
    )
    resistance_level = FrameLevel(
        "ohm",
        set=SET_CR,
        get=GET_CR,
        per_unit=1000,
        label="CR level",
        check=RatedLoad._checked_resistance,
    )

    def set_current(self, current: Quantity) -> None:
        self.current_level = current

    def set_voltage(self, voltage: Quantity) -> None:
        self.voltage_level = voltage

    def set_power(self, power: Quantity) -> None:
        self.power_level = power

    def set_resistance(self, resistance: Quantity) -> None:
        self.resistance_level = resistance

    # -- input --------------------------------------------------------------------------------
    def input_on(self) -> None:
        self._set(INPUT, b"\x01", "input on")

    def input_off(self) -> None:
        self._set(INPUT, b"\x00", "input off")

    def is_input_on(self) -> bool:
        return bool(self._get(READ_STATE, "read state")[15] & STATE_INPUT_ON)

    @property
    def supports_short(self) -> bool:
        """False on a station whose limits forbid shorts: the test is then recorded as not
        tested instead of ending the run in an error."""
        return self.limits.allow_short

    def set_short(self, on: bool) -> None:
        if on:
            self.limits.short(resource=self.resource)
            self._set(SET_FUNCTION, bytes([FUNCTION_SHORT]), "function short")
        else:
            self._set(SET_FUNCTION, bytes([FUNCTION_FIXED]), "function fixed (short off)")

    # -- readings -----------------------------------------------------------------------------
    def measure(self) -> LoadReading:
        reply = self._get(READ_STATE, "read state")
        millivolts, tenth_milliamps, milliwatts = struct.unpack_from("<III", reply, 3)
        return LoadReading(
            voltage=Q_(millivolts / 1000, "V"),
            current=Q_(tenth_milliamps / 10_000, "A"),
            power=Q_(milliwatts / 1000, "W"),
        )

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """Short function off, then input off; both are attempted whatever the first one did.

        No separate confirmation: each frame is answered by a status frame, which is the proof.
        """
        short_off, input_off = "function fixed (short off)", "input off"
        reach_safe_state(
            self.resource,
            [
                (short_off, lambda: self._set(SET_FUNCTION, bytes([FUNCTION_FIXED]), short_off)),
                (input_off, lambda: self._set(INPUT, b"\x00", input_off)),
            ],
            reopen=reopener(self.transport),
        )

    def _hand_back(self) -> None:
        """Remote off after the safe state: the front panel is the operator's again."""
        self.set_remote(False)
