"""34461A trigger delay, trigger slope and sample timer, as QCoDeS' 344xxA snapshot reads them.

Formats from the Truevolt Series Operating and Service Guide: seconds in NR3 (typical return
``+2.00000806E+00``), 1 s after ``*RST``, set in steps of about 1 us up to 3600 s; the slope is
``POS`` or ``NEG`` (``NEG`` after ``*RST``); ``SAMPle:TIMer? MIN`` depends on the configuration.
"""

from __future__ import annotations

from live_bench import LiveFn


def test_defaults_and_queries_in_the_guides_formats(live: LiveFn) -> None:
    inst = live().open("dmm")
    inst.write("*RST")
    assert inst.query("TRIG:DEL?") == "+1.00000000E+00"
    assert inst.query("TRIG:SLOP?") == "NEG"
    assert inst.query("SAMP:TIM?") == "+1.00000000E+00"
    assert inst.query("TRIG:DEL? MIN;:TRIG:DEL? MAX") == "+0.00000000E+00;+3.60000000E+03"
    assert inst.query("SAMP:TIM? MAX;:SAMP:TIM? DEF") == "+3.60000000E+03;+1.00000000E+00"
    assert inst.query("SYST:ERR?") == '+0,"No error"'


def test_settings_are_kept_and_a_set_delay_turns_the_automatic_one_off(live: LiveFn) -> None:
    inst = live().open("dmm")
    assert inst.query("TRIG:DEL:AUTO?") == "1"
    inst.write("TRIGger:SEQuence:DELay 2.5;:TRIG:SLOP POSitive;:SAMPle:TIMer 0.1000004")
    assert inst.query("TRIG:DEL?;:TRIG:DEL:AUTO?") == "+2.50000000E+00;0"
    assert inst.query("TRIG:SLOP?") == "POS"
    assert inst.query("SAMP:TIM?") == "+1.00000000E-01"  # kept in 1 us steps
    inst.write("TRIG:DEL 3601")
    assert inst.query("SYST:ERR?").startswith("-222,")
    inst.write("TRIG:SLOP UP")
    assert inst.query("SYST:ERR?") != '+0,"No error"'


def test_the_minimum_sample_interval_follows_integration_and_auto_zero(live: LiveFn) -> None:
    inst = live().open("dmm")
    inst.write("VOLT:NPLC 10;:VOLT:ZERO:AUTO ON")
    slow = float(inst.query("SAMP:TIM? MIN"))
    inst.write("VOLT:ZERO:AUTO OFF")
    half = float(inst.query("SAMP:TIM? MIN"))
    inst.write("VOLT:NPLC 1")
    fast = float(inst.query("SAMP:TIM? MIN"))
    assert slow > half > fast > 0.0
    assert abs(half - 10 / 50) < 1e-3 and abs(slow - 2 * 10 / 50) < 1e-3
    inst.write("SAMP:TIM MIN")
    assert float(inst.query("SAMP:TIM?")) == fast
