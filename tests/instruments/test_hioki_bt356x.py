"""Protocol tests of the Hioki BT356x driver: exact commands, recorded fixed-width replies."""

from __future__ import annotations

from typing import Any

import pytest

from instruments.drivers.hioki_bt356x import HiokiBT356x
from instruments.errors import (
    InstrumentReportedError,
    InstrumentTimeout,
    MeasurementFault,
    OverloadError,
    ProtocolError,
    SettingOutOfRange,
)
from instruments.roles import SampleRate
from instruments.timebase import WALL_CLOCK
from instruments.units import Q_, UnitMismatchError

IDN = [(">", "*IDN?"), ("<", "HIOKI,BT3562,0,V1.00")]


def configure_script(r_range: str, v_range: str, rate: str, esr: str = "0") -> list:
    return [
        (">", "*CLS"),
        (">", ":FUNC RV"),
        (">", ":AUT OFF"),
        (">", f":RES:RANG {r_range}"),
        (">", f":VOLT:RANG {v_range}"),
        (">", f":SAMP:RATE {rate}"),
        (">", ":TRIG:SOUR IMM"),
        (">", ":INIT:CONT OFF"),
        (">", "*ESR?"),
        ("<", esr),
    ]


def meter(transport, model: str | None = "BT3562") -> HiokiBT356x:
    return HiokiBT356x(transport, model=model, settle_time=0.0)


def test_identity_and_model_from_idn(replay):
    hioki = meter(replay(IDN), model=None)
    assert hioki.model == "BT3562"
    assert hioki.identity.serial == "0"


def test_configure_sends_the_batch_and_checks_esr(replay):
    hioki = meter(replay(configure_script("0.03", "6", "MED")))
    hioki.configure(Q_(30, "mohm"), Q_(6, "V"))


@pytest.mark.parametrize(
    ("r", "v", "rate", "r_cmd", "v_cmd", "rate_cmd"),
    [
        (Q_(15, "mohm"), Q_(4.2, "V"), SampleRate.EX_FAST, "0.03", "6", "EXF"),
        (Q_(0.12, "ohm"), Q_(12, "V"), SampleRate.FAST, "0.3", "60", "FAST"),
        (Q_(2, "mohm"), Q_(60, "V"), SampleRate.SLOW, "0.003", "60", "SLOW"),
        (Q_(3, "kohm"), Q_(1, "V"), SampleRate.MEDIUM, "3000", "6", "MED"),
    ],
)
def test_ranges_round_up_to_the_covering_range(replay, r, v, rate, r_cmd, v_cmd, rate_cmd):
    meter(replay(configure_script(r_cmd, v_cmd, rate_cmd))).configure(r, v, rate)


def test_300_v_range_only_on_bt3563(replay):
    meter(replay(configure_script("3", "300", "MED")), model="BT3563").configure(
        Q_(1, "ohm"), Q_(200, "V")
    )
    with pytest.raises(SettingOutOfRange, match=r"BT3562\): voltage range 200 V .*\(6, 60 V\)"):
        meter(replay([])).configure(Q_(1, "ohm"), Q_(200, "V"))


def test_out_of_range_and_wrong_units_send_nothing(replay):
    hioki = meter(replay([]))
    with pytest.raises(SettingOutOfRange, match=r"resistance range 5000 ohm"):
        hioki.configure(Q_(5000, "ohm"), Q_(6, "V"))
    with pytest.raises(SettingOutOfRange, match=r"positive"):
        hioki.configure(Q_(0, "ohm"), Q_(6, "V"))
    with pytest.raises(UnitMismatchError):
        hioki.configure(Q_(6, "V"), Q_(6, "V"))


def test_bt3561a_has_no_3_mohm_range(replay):
    meter(replay(configure_script("0.03", "6", "MED")), model="BT3561A").configure(
        Q_(2, "mohm"), Q_(6, "V")
    )


def test_esr_error_bits_are_named_with_the_batch(replay):
    hioki = meter(replay(configure_script("0.3", "6", "MED", esr="48")))
    with pytest.raises(
        InstrumentReportedError, match=r"\*ESR\? = 48 \(32 command error, 16 execution error\)"
    ) as raised:
        hioki.configure(Q_(300, "mohm"), Q_(6, "V"))
    assert ":RES:RANG 0.3" in str(raised.value)


def test_power_on_bit_alone_is_not_an_error(replay):
    meter(replay(configure_script("0.3", "6", "MED", esr="128"))).configure(
        Q_(0.3, "ohm"), Q_(6, "V")
    )


def test_read_parses_the_fixed_width_reply(replay):
    hioki = meter(replay([(">", ":READ?"), ("<", "  15.123E-3, 3.85000E+0")]))
    reading = hioki.read()
    assert reading.resistance.to("mohm").magnitude == pytest.approx(15.123)
    assert reading.voltage == Q_(3.85, "V")


def test_read_negative_values_with_inner_spaces(replay):
    reading = meter(replay([(">", ":READ?"), ("<", "-   1.36E-3,-0.00012E+0")])).read()
    assert reading.resistance.magnitude == pytest.approx(-1.36e-3)
    assert reading.voltage.magnitude == pytest.approx(-1.2e-4)


@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (" 1000.00E+6, 3.85000E+0", OverloadError, "resistance over range"),
        ("  15.123E-3, 1.00000E+9", OverloadError, "voltage over range"),
        ("-1000.00E+6, 3.85000E+0", OverloadError, "resistance over range"),
        (" 1000.00E+7, 3.85000E+0", MeasurementFault, "check the probe contact"),
        (" 10.0000E+8, 1.00000E+10", MeasurementFault, "check the probe contact"),
        ("  15.123E-3", ProtocolError, "not '<R>,<V>'"),
        ("  15.1?3E-3, 3.85E+0", ProtocolError, "not numeric"),
    ],
)
def test_read_special_replies(replay, reply, error, text):
    with pytest.raises(error, match=text):
        meter(replay([(">", ":READ?"), ("<", reply)])).read()


def test_silent_read_asks_esr_why(replay):
    hioki = meter(replay([(">", ":READ?"), ("timeout", ""), (">", "*ESR?"), ("<", "16")]))
    with pytest.raises(InstrumentTimeout, match=r"16 execution error.*continuous"):
        hioki.read()


def test_silent_read_and_silent_esr_point_at_the_link(replay):
    hioki = meter(replay([(">", ":READ?"), ("timeout", ""), (">", "*ESR?"), ("timeout", "")]))
    with pytest.raises(InstrumentTimeout, match=r"cable/port"):
        hioki.read()


class FakeTimebase:
    """A clock that only moves when slept on: what a simulated bench's virtual time does."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _configure_then_read_twice(replay: Any, settle_time: float = 0.1) -> HiokiBT356x:
    script = [
        *configure_script("0.03", "6", "MED"),
        (">", ":READ?"),
        ("<", "  15.000E-3, 3.80000E+0"),
        (">", ":READ?"),
        ("<", "  15.000E-3, 3.80000E+0"),
    ]
    return HiokiBT356x(replay(script), model="BT3562", settle_time=settle_time)


def test_settle_time_is_spent_once_after_configure_on_wall_time(replay, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("instruments.timebase.time.sleep", slept.append)
    hioki = _configure_then_read_twice(replay)
    assert hioki.timebase is WALL_CLOCK
    hioki.configure(Q_(30, "mohm"), Q_(6, "V"))
    hioki.read()
    hioki.read()
    assert len(slept) == 1
    assert 0 < slept[0] <= 0.1


def test_settle_time_runs_on_a_lent_clock_and_moves_it(replay, monkeypatch):
    """On a procedure's virtual clock the wait is the clock's, and no wall time is slept."""
    monkeypatch.setattr("instruments.timebase.time.sleep", _no_wall_sleep)
    clock = FakeTimebase()
    hioki = _configure_then_read_twice(replay)
    hioki.use_timebase(clock)
    hioki.configure(Q_(30, "mohm"), Q_(6, "V"))
    hioki.read()
    hioki.read()
    assert clock.slept == [0.1]
    assert clock.now == pytest.approx(0.1)


def test_a_clock_changed_between_configure_and_read_waits_the_whole_settling(replay, monkeypatch):
    """Two clocks' readings do not compare: the full settling time is waited on the new one."""
    monkeypatch.setattr("instruments.timebase.time.sleep", _no_wall_sleep)
    before, after = FakeTimebase(), FakeTimebase()
    before.now, after.now = 1000.0, 5.0
    hioki = _configure_then_read_twice(replay)
    hioki.use_timebase(before)
    hioki.configure(Q_(30, "mohm"), Q_(6, "V"))
    hioki.use_timebase(after)
    hioki.read()
    hioki.read()
    assert after.slept == [0.1]
    assert before.slept == []


def _no_wall_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s of wall time on a lent clock")


def test_make_safe_does_no_io_and_close_is_idempotent(replay):
    transport = replay([])
    with meter(transport) as hioki:
        hioki.make_safe()
    hioki.close()
