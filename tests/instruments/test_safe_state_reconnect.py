"""``make_safe`` of sources and loads: reconnect once on a link failure, refuse replies of the
wrong shape. Replayed scripts state every exchange, including the reconnect (``("reopen", "")``,
or ``("reopen", "why")`` for one that fails)."""

from __future__ import annotations

import pytest
from test_itech_it8511 import REMOTE_ON, frame, set_ok

from instruments.drivers.itech_it8511 import ItechIT8511
from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.drivers.rigol_dl3021 import RigolDL3021
from instruments.drivers.rigol_dp832 import RigolDP832
from instruments.errors import InstrumentError

E363_OFF = [(">", "OUTP OFF,(@1)"), (">", "OUTP OFF,(@2)"), (">", "OUTP OFF,(@3)")]
E363_ASK = (">", "OUTP? (@1,2,3)")
DP_OFF = [(">", ":OUTP CH1,OFF"), (">", ":OUTP CH2,OFF"), (">", ":OUTP CH3,OFF")]
DP_CONFIRMED = [
    (">", f":OUTP? CH{ch}") if i == 0 else ("<", "OFF") for ch in (1, 2, 3) for i in (0, 1)
]
DL_OFF = [(">", ":SOUR:INP:SHOR OFF"), (">", ":SOUR:INP:STAT OFF"), (">", ":SOUR:INP:STAT?")]


def test_e36312a_reconnects_after_a_dropped_link_and_confirms_off(replay):
    script = [*E363_OFF, E363_ASK, ("error", "connection reset")]
    script += [("reopen", ""), *E363_OFF, E363_ASK, ("<", "0,0,0")]
    KeysightE36312A(replay(script)).make_safe()


def test_e36312a_reconnects_after_a_timed_out_confirmation(replay):
    script = [*E363_OFF, E363_ASK, ("timeout", ""), ("reopen", ""), *E363_OFF, E363_ASK]
    KeysightE36312A(replay([*script, ("<", "0,0,0")])).make_safe()


def test_failed_reconnect_names_both_failures_and_the_front_panel(replay):
    script = [*E363_OFF, E363_ASK, ("error", "connection reset"), ("reopen", "refused")]
    with pytest.raises(InstrumentError) as caught:
        KeysightE36312A(replay(script)).make_safe()
    message = str(caught.value)
    assert "NOT confirmed (the link failed and reconnecting failed too)" in message
    assert "connection reset" in message and "reconnect:" in message and "refused" in message
    assert "front panel" in message


def test_link_failing_again_after_the_reconnect_is_reported_once(replay):
    script = [*E363_OFF, E363_ASK, ("error", "reset"), ("reopen", ""), *E363_OFF, E363_ASK]
    with pytest.raises(InstrumentError, match=r"even after reconnecting once.*front panel"):
        KeysightE36312A(replay([*script, ("error", "reset again")])).make_safe()


def test_no_reconnect_when_the_instrument_answered_that_a_channel_is_on(replay):
    """A channel reported on is not a link problem: reconnecting would not change the answer."""
    with pytest.raises(InstrumentError, match=r"channels \[2\] still on") as caught:
        KeysightE36312A(replay([*E363_OFF, E363_ASK, ("<", "0,1,0")])).make_safe()
    assert "reconnecting" not in str(caught.value)  # (the resource holds the test name)


def test_late_reply_of_the_wrong_shape_is_discarded_and_the_query_asked_again(replay):
    """The audit's case: a late ``+0,"No error"`` must not be read as the answer to OUTP?."""
    script = [*E363_OFF, E363_ASK, ("<", '+0,"No error"'), E363_ASK, ("<", "0,0,0")]
    KeysightE36312A(replay(script)).make_safe()


def test_a_single_state_is_not_taken_for_three_channels(replay):
    script = [*E363_OFF, E363_ASK, ("<", "0"), E363_ASK, ("<", "0,0,0")]
    KeysightE36312A(replay(script)).make_safe()


def test_two_replies_of_the_wrong_shape_leave_the_safe_state_unconfirmed(replay):
    script = [*E363_OFF, E363_ASK, ("<", '+0,"No error"'), E363_ASK, ("<", "+4.2E+00")]
    with pytest.raises(InstrumentError, match=r"NOT confirmed.*No error.*4\.2E\+00.*3 on/off"):
        KeysightE36312A(replay(script)).make_safe()


def test_dp832_reconnects_and_confirms_each_channel(replay):
    script = [*DP_OFF, (">", ":OUTP? CH1"), ("error", "broken pipe"), ("reopen", "")]
    RigolDP832(replay([*script, *DP_OFF, *DP_CONFIRMED])).make_safe()


def test_dl3021_reconnects_and_confirms_the_input_off(replay):
    script = [*DL_OFF, ("timeout", ""), ("reopen", ""), *DL_OFF, ("<", "0")]
    RigolDL3021(replay(script)).make_safe()


def test_it8511_reconnects_and_resends_both_frames(replay):
    short_off, input_off = set_ok(0x5D, b"\x00"), set_ok(0x21, b"\x00")
    script = [*REMOTE_ON, (">>", frame(0x5D, b"\x00")), ("timeout", "")]
    script += [(">>", frame(0x21, b"\x00")), ("timeout", ""), ("reopen", "")]
    ItechIT8511(replay([*script, *short_off, *input_off])).make_safe()


def test_it8511_failed_reconnect_is_reported(replay):
    script = [*REMOTE_ON, (">>", frame(0x5D, b"\x00")), ("error", "device gone")]
    script += [(">>", frame(0x21, b"\x00")), ("error", "device gone"), ("reopen", "no such port")]
    with pytest.raises(InstrumentError, match=r"reconnecting failed too.*no such port"):
        ItechIT8511(replay(script)).make_safe()
