"""ITECH IT8511 electronic load (legacy binary protocol, also IT8500 and B&K Precision 85xx).

Frames are 26 bytes both ways: ``0xAA``, address, command, 22 payload bytes (little-endian
integers), checksum = sum of bytes 0..24 mod 256. Sources: battery-domain.md §4.2 and the
libsigrok ``itech-it8500`` driver (field offsets of 0x5F and 0x6A, state flag bits).

Readings of the manual/driver as implemented here:

* A command that returns data gets a frame with the same command byte; every other command gets
  a status frame ``0x12`` whose first payload byte is 0x80 OK, 0x90 checksum error, 0xA0 bad
  parameter, 0xB0 cannot execute, 0xC0 unknown command.
* Queries (``0x01``, ``0x23``... ``0x5F``, ``0x6A``) answer in local mode as well (libsigrok
  identifies the unit and reads its limits and state *before* it sends 0x20); every setting
  except 0x20 itself needs remote mode first and answers 0xB0 (cannot execute) in local mode.
* Address: the unit answers frames sent to its own address or to 0xFF (broadcast, used by
  libsigrok to probe) and stays silent for other addresses, as on a shared RS-485 line.
  Replies carry the unit's own address.
* Input bytes before a ``0xAA`` lead-in are discarded, so the parser resynchronises after noise.
* Function (0x5D): 0 fixed and 1 short are emulated; transient (2), list (3) and battery test (4)
  exist on the unit but are not simulated and answer 0xB0.
* Max V/I/P (0x22/0x24/0x26) are the unit's software limits: stored and reported in the demand
  state (OV/OC/OP bits) when exceeded, they do not change the physics.
"""

from __future__ import annotations

import struct

import numpy as np

from simulators.wiring import Bench, LoadFunction

FRAME_LENGTH = 26
LEAD_IN = 0xAA
BROADCAST = 0xFF
STATUS = 0x12
OK, CHECKSUM_ERROR, BAD_PARAMETER, CANNOT_EXECUTE, UNKNOWN_COMMAND = 0x80, 0x90, 0xA0, 0xB0, 0xC0

RATED_VOLTAGE = 120.0
RATED_CURRENT = 30.0
RATED_POWER = 150.0
MIN_RESISTANCE = 0.05
MAX_RESISTANCE = 7500.0

MODES: tuple[LoadFunction, ...] = ("CC", "CV", "CP", "CR")
"""Index = the unit's mode number (0 CC, 1 CV, 2 CW, 3 CR); CW is ``CP`` in the wiring."""
_MODE_FLAGS = (0x0040, 0x0080, 0x0100, 0x0200)
_OP_REMOTE, _OP_INPUT_ON = 0x04, 0x08
_DS_OV, _DS_OC, _DS_OP = 0x0002, 0x0004, 0x0008

# Setting command -> (level key, scale of one count in SI units, SI maximum); its query is +1.
_LEVELS: dict[int, tuple[str, float, float]] = {
    0x22: ("max_voltage", 1e-3, RATED_VOLTAGE),
    0x24: ("max_current", 1e-4, RATED_CURRENT),
    0x26: ("max_power", 1e-3, RATED_POWER),
    0x2A: ("CC", 1e-4, RATED_CURRENT),
    0x2C: ("CV", 1e-3, RATED_VOLTAGE),
    0x2E: ("CP", 1e-3, RATED_POWER),
    0x30: ("CR", 1e-3, MAX_RESISTANCE),
    0x10: ("von", 1e-3, RATED_VOLTAGE),
    0x4E: ("battery_cutoff", 1e-3, RATED_VOLTAGE),
}


def checksum(frame: bytes) -> int:
    return sum(frame[:25]) % 256


def make_frame(address: int, command: int, payload: bytes = b"") -> bytes:
    """A complete frame with the payload zero-padded to 22 bytes and its checksum."""
    body = bytes([LEAD_IN, address, command]) + payload.ljust(22, b"\0")[:22]
    return body + bytes([checksum(body)])


class ItechIT8511:
    """The IT8511 as its RS-232 port sees it, wired to the bench's load settings."""

    role = "load"

    def __init__(
        self,
        bench: Bench,
        *,
        seed: int = 0,
        address: int = 0,
        model: str = "IT8511",
        serial_number: str = "0251100001",
        firmware: tuple[int, int] = (0x01, 0x23),
    ) -> None:
        self.model = model
        self._bench = bench
        self._address = address
        self._serial_number = serial_number
        self._firmware = firmware
        self._rng = np.random.default_rng(seed)
        self._buffer = bytearray()
        self._remote = False
        self._mode = 0
        self._function = 0
        self._levels: dict[str, float] = {
            "max_voltage": RATED_VOLTAGE,
            "max_current": RATED_CURRENT,
            "max_power": RATED_POWER,
            "CC": 0.0,
            "CV": RATED_VOLTAGE,
            "CP": 0.0,
            "CR": MAX_RESISTANCE,
            "von": 0.0,
            "battery_cutoff": 0.0,
        }
        bench.declare_load(RATED_VOLTAGE, RATED_CURRENT)
        self._push_settings()

    def receive(self, data: bytes) -> bytes:
        """Input from the one default client; see ``consume``."""
        reply, rest = self.consume(bytes(self._buffer) + data)
        self._buffer = bytearray(rest)
        return reply

    def consume(self, pending: bytes) -> tuple[bytes, bytes]:
        """Answer every complete frame in ``pending``; return replies and the unused rest.

        Kept per connection by the server, so two clients' partial frames never mix.
        """
        buffer = bytearray(pending)
        replies = bytearray()
        while True:
            start = buffer.find(LEAD_IN)
            if start < 0:
                buffer.clear()
                break
            del buffer[:start]
            if len(buffer) < FRAME_LENGTH:
                break
            frame = bytes(buffer[:FRAME_LENGTH])
            del buffer[:FRAME_LENGTH]
            replies += self._handle(frame)
        return bytes(replies), bytes(buffer)

    # ---- frame handling --------------------------------------------------------------------

    def _handle(self, frame: bytes) -> bytes:
        address, command, payload = frame[1], frame[2], frame[3:25]
        if address not in (self._address, BROADCAST):
            return b""
        if frame[25] != checksum(frame):
            return self._status(CHECKSUM_ERROR)
        reply = self._query(command, payload)
        if reply is not None:
            return make_frame(self._address, command, reply)
        return self._status(self._set(command, payload))

    def _status(self, code: int) -> bytes:
        return make_frame(self._address, STATUS, bytes([code]))

    def _query(self, command: int, payload: bytes) -> bytes | None:
        """Payload of the reply to a query command, ``None`` when it is not a query."""
        for setter, (key, scale, _) in _LEVELS.items():
            if command == setter + 1:
                return struct.pack("<I", round(self._levels[key] / scale))
        if command == 0x29:
            return bytes([self._mode])
        if command == 0x5E:
            return bytes([self._function])
        if command == 0x5F:
            return self._state()
        if command == 0x6A:
            model = self.model.removeprefix("IT").encode("ascii")[:5].ljust(5, b"\0")
            minor, major = self._firmware[1], self._firmware[0]
            serial = self._serial_number.encode("ascii")[:10].ljust(10, b"\0")
            return model + bytes([minor, major]) + serial
        if command == 0x01:
            return struct.pack(
                "<IIIIIH",
                round(RATED_CURRENT * 1e4),
                round(RATED_VOLTAGE * 1e3),
                0,
                round(RATED_POWER * 1e3),
                round(MAX_RESISTANCE * 1e3),
                round(MIN_RESISTANCE * 1e3),
            )
        return None

    def _set(self, command: int, payload: bytes) -> int:
        if command == 0x20:
            if payload[0] not in (0, 1):
                return BAD_PARAMETER
            self._remote = payload[0] == 1
            return OK
        if command not in _LEVELS and command not in (0x21, 0x28, 0x5D):
            return UNKNOWN_COMMAND
        if not self._remote:
            return CANNOT_EXECUTE
        if command == 0x21:
            if payload[0] not in (0, 1):
                return BAD_PARAMETER
            self._bench.load.input_on = payload[0] == 1
        elif command == 0x28:
            if payload[0] >= len(MODES):
                return BAD_PARAMETER
            self._mode = payload[0]
        elif command == 0x5D:
            if payload[0] > 4:
                return BAD_PARAMETER
            if payload[0] > 1:
                return CANNOT_EXECUTE
            self._function = payload[0]
        else:
            key, scale, maximum = _LEVELS[command]
            value = struct.unpack_from("<I", payload)[0] * scale
            if value > maximum * (1 + 1e-9) or (key == "CR" and value < MIN_RESISTANCE):
                return BAD_PARAMETER
            self._levels[key] = value
        self._push_settings()
        return OK

    def _push_settings(self) -> None:
        load = self._bench.load
        function = MODES[self._mode]
        load.function = function
        load.level = self._levels[function]
        load.von = self._levels["von"]
        load.short = self._function == 1

    def _state(self) -> bytes:
        reading = self._bench.load_input()
        voltage = max(0.0, reading.voltage + float(self._rng.normal(0.0, 0.3e-3)))
        current = reading.current
        if current > 0:
            current = max(0.0, current + float(self._rng.normal(0.0, 0.1e-3)))
        power = voltage * current
        operation = (_OP_REMOTE if self._remote else 0) | (
            _OP_INPUT_ON if self._bench.load.input_on else 0
        )
        demand = _MODE_FLAGS[self._mode]
        if voltage > self._levels["max_voltage"]:
            demand |= _DS_OV
        if current > self._levels["max_current"]:
            demand |= _DS_OC
        if power > self._levels["max_power"]:
            demand |= _DS_OP
        return struct.pack(
            "<IIIBH",
            min(round(voltage * 1e3), 0xFFFFFFFF),
            min(round(current * 1e4), 0xFFFFFFFF),
            min(round(power * 1e3), 0xFFFFFFFF),
            operation,
            demand,
        )
