"""Protocol tests of the IT8511 binary-frame driver: exact frames sent, recorded frames parsed."""

from __future__ import annotations

import struct

import pytest

from instruments.drivers.itech_it8511 import ItechIT8511
from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    ProtocolError,
    SettingOutOfRange,
)
from instruments.roles import LoadMode
from instruments.safety import SafetyLimits
from instruments.units import Q_, UnitMismatchError


def frame(command: int, payload: bytes = b"", address: int = 0) -> bytes:
    """Written independently of the driver so a framing bug cannot hide in both."""
    body = bytearray(26)
    body[0], body[1], body[2] = 0xAA, address, command
    body[3 : 3 + len(payload)] = payload
    body[25] = sum(body[:25]) & 0xFF
    return bytes(body)


def status(code: int = 0x80) -> bytes:
    return frame(0x12, bytes([code]))


def set_ok(command: int, payload: bytes) -> list[tuple[str, bytes]]:
    return [(">>", frame(command, payload)), ("<<", status())]


REMOTE_ON = set_ok(0x20, b"\x01")


def test_remote_frame_bytes_are_exact(replay):
    expected = bytes.fromhex("aa 00 20 01" + " 00" * 21 + " cb")
    ItechIT8511(replay([(">>", expected), ("<<", status())]))


def test_address_goes_into_byte_1(replay):
    ItechIT8511(replay([(">>", frame(0x20, b"\x01", address=5)), ("<<", status())]), address=5)


def test_identity_from_frame_0x6a(replay):
    reply = frame(0x6A, b"8511\x00" + bytes([0x10, 0x02]) + b"0123456789")
    load = ItechIT8511(replay([*REMOTE_ON, (">>", frame(0x6A)), ("<<", reply)]))
    identity = load.identity
    assert (identity.maker, identity.model, identity.serial) == ("ITECH", "IT8511", "0123456789")
    assert identity.firmware == "2.16"


@pytest.mark.parametrize(
    ("mode", "code", "level", "command", "raw"),
    [
        (LoadMode.CC, 0, Q_(1.5, "A"), 0x2A, 15_000),
        (LoadMode.CV, 1, Q_(3.7, "V"), 0x2C, 3_700),
        (LoadMode.CP, 2, Q_(12.5, "W"), 0x2E, 12_500),
        (LoadMode.CR, 3, Q_(4.7, "ohm"), 0x30, 4_700),
    ],
)
def test_mode_and_level_frames(replay, mode, code, level, command, raw):
    load = ItechIT8511(
        replay(
            [
                *REMOTE_ON,
                *set_ok(0x28, bytes([code])),
                *set_ok(command, struct.pack("<I", raw)),
            ]
        )
    )
    load.set_mode(mode)
    load.set_level(level)


def test_level_without_mode_reads_mode_first(replay):
    load = ItechIT8511(
        replay(
            [
                *REMOTE_ON,
                (">>", frame(0x29)),
                ("<<", frame(0x29, b"\x00")),
                *set_ok(0x2A, struct.pack("<I", 5)),
            ]
        )
    )
    load.set_level(Q_(0.5, "mA"))


def test_cc_level_readback(replay):
    load = ItechIT8511(
        replay([*REMOTE_ON, (">>", frame(0x2B)), ("<<", frame(0x2B, struct.pack("<I", 12345)))])
    )
    assert load.current_level == Q_(1.2345, "A")


@pytest.mark.parametrize(
    ("attribute", "query", "raw", "expected"),
    [
        ("voltage_level", 0x2D, 3_700, Q_(3.7, "V")),
        ("power_level", 0x2F, 12_500, Q_(12.5, "W")),
        ("resistance_level", 0x31, 4_700, Q_(4.7, "ohm")),
    ],
)
def test_every_level_reads_back_what_the_load_holds(replay, attribute, query, raw, expected):
    reply = frame(query, struct.pack("<I", raw))
    load = ItechIT8511(replay([*REMOTE_ON, (">>", frame(query)), ("<<", reply)]))
    assert getattr(load, attribute) == expected


def test_declared_level_and_role_setter_send_the_same_frames(replay):
    load = ItechIT8511(
        replay(
            [
                *REMOTE_ON,
                *set_ok(0x2A, struct.pack("<I", 15_000)),
                *set_ok(0x2A, struct.pack("<I", 15_000)),
            ]
        )
    )
    load.set_current(Q_(1.5, "A"))
    load.current_level = Q_(1500, "mA")


def test_a_declared_level_is_refused_before_any_frame(replay):
    load = ItechIT8511(replay(REMOTE_ON), limits=SafetyLimits(max_current=Q_(5, "A")))
    with pytest.raises(SettingOutOfRange, match="station SafetyLimits"):
        load.current_level = Q_(6, "A")


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        (0x90, "checksum error"),
        (0xA0, "bad parameter"),
        (0xB0, "cannot execute"),
        (0xC0, "invalid command"),
    ],
)
def test_status_frames_raise_naming_command_and_meaning(replay, code, meaning):
    load = ItechIT8511(replay([*REMOTE_ON, (">>", frame(0x21, b"\x01")), ("<<", status(code))]))
    with pytest.raises(
        InstrumentReportedError, match=rf"0x21 \(input on\).*{code:#04x}: {meaning}"
    ):
        load.input_on()


def test_reply_with_bad_checksum_is_a_protocol_error_quoting_hex(replay):
    corrupted = bytearray(status())
    corrupted[25] ^= 0xFF
    load = ItechIT8511(replay([*REMOTE_ON, (">>", frame(0x21, b"\x00")), ("<<", bytes(corrupted))]))
    with pytest.raises(ProtocolError, match=r"bad checksum.*aa 00 12 80"):
        load.input_off()


def test_short_reply_is_a_protocol_error(replay):
    load = ItechIT8511(replay([*REMOTE_ON, (">>", frame(0x5F)), ("<<", b"\xaa\x00\x5f")]))
    with pytest.raises(ProtocolError, match=r"wrong length 3.*aa 00 5f"):
        load.measure()


def test_measure_and_input_state(replay):
    payload = struct.pack("<IIIB", 3_851, 10_000, 3_851, 0x08 | 0x04)
    load = ItechIT8511(
        replay(
            [
                *REMOTE_ON,
                (">>", frame(0x5F)),
                ("<<", frame(0x5F, payload)),
                (">>", frame(0x5F)),
                ("<<", frame(0x5F, struct.pack("<IIIB", 0, 0, 0, 0x04))),
            ]
        )
    )
    reading = load.measure()
    assert reading.voltage == Q_(3.851, "V")
    assert reading.current == Q_(1.0, "A")
    assert reading.power == Q_(3.851, "W")
    assert load.is_input_on() is False


def test_short_uses_the_function_command(replay):
    load = ItechIT8511(replay([*REMOTE_ON, *set_ok(0x5D, b"\x01"), *set_ok(0x5D, b"\x00")]))
    assert load.supports_short
    load.set_short(True)
    load.set_short(False)


def test_ratings_and_limits_send_nothing(replay):
    load = ItechIT8511(replay(REMOTE_ON), limits=SafetyLimits(max_power=Q_(50, "W")))
    with pytest.raises(SettingOutOfRange, match=r"CC level 31 A .*IT8511 rating \(0 \.\. 30 A\)"):
        load.set_current(Q_(31, "A"))
    with pytest.raises(SettingOutOfRange, match=r"CW level 60 W.*SafetyLimits"):
        load.set_power(Q_(60, "W"))
    with pytest.raises(UnitMismatchError):
        load.set_current(Q_(1, "ohm"))


def test_close_makes_safe_releases_remote_and_is_idempotent(replay):
    transport = replay(
        [*REMOTE_ON, *set_ok(0x5D, b"\x00"), *set_ok(0x21, b"\x00"), *set_ok(0x20, b"\x00")]
    )
    with ItechIT8511(transport) as load:
        pass
    load.close()


def test_make_safe_turns_input_off_even_if_short_off_is_refused(replay):
    load = ItechIT8511(
        replay(
            [
                *REMOTE_ON,
                (">>", frame(0x5D, b"\x00")),
                ("<<", status(0xB0)),
                *set_ok(0x21, b"\x00"),
            ]
        )
    )
    with pytest.raises(InstrumentError, match=r"function fixed"):
        load.make_safe()
