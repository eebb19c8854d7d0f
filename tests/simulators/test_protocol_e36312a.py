"""Keysight E36312A emulator through pyvisa-py over TCP, charging the real simulated pack."""

from __future__ import annotations

import re

from live_bench import LiveFn, close_to, sync

CHARGE_V, CHARGE_A = 4.2, 2.6  # 0.5C CC-CV of the default 1S2P 5.2 Ah pack


def test_identity_and_housekeeping(live: LiveFn) -> None:
    inst = live().open("source")
    assert re.fullmatch(r"Keysight Technologies,E36312A,MY\d{8},[\d.\-]+", inst.query("*IDN?"))
    assert inst.query("*OPT?;*TST?;SYST:VERS?") == "0;+0;1999.0"


def test_levels_with_channel_lists(live: LiveFn) -> None:
    inst = live().open("source")
    inst.write("VOLT 4.2,(@1);CURR 1,(@1);:OUTP OFF,(@1)")
    inst.write("VOLT 12, (@2,3)")
    inst.write("SOURce:CURRent:LEVel:IMMediate:AMPLitude 0.5,(@2:3)")
    assert inst.query("VOLT? (@1)") == "+4.20000000E+00"
    assert inst.query("VOLT? (@1:3)") == "+4.20000000E+00,+1.20000000E+01,+1.20000000E+01"
    assert inst.query("curr? (@1, 2)") == "+1.00000000E+00,+5.00000000E-01"
    inst.write("INST:NSEL 2;:VOLT 10.000000")
    assert inst.query("INST?;:VOLT?") == "CH2;+1.00000000E+01"
    inst.write("APPL CH1,5,1")
    assert inst.query("APPL? CH1") == "+5.00000000E+00,+1.00000000E+00"
    inst.write("VOLT:PROT 5.5,(@1);:CURR:PROT:STAT on,(@1)")
    assert inst.query("VOLT:PROT? (@1);:CURR:PROT:STAT? (@1)") == "+5.50000000E+00;1"
    assert inst.query("SYST:ERR?") == '+0,"No error"'


def test_charging_goes_cc_then_cv_as_the_pack_fills(live: LiveFn) -> None:
    bench = live(fault="aged_cell")  # 30 % SOC: a low pack
    inst = bench.open("source")
    inst.write(f"VOLT {CHARGE_V},(@1);CURR {CHARGE_A},(@1);:OUTP ON,(@1)")
    assert inst.query("OUTP? (@1)") == "1"
    true = bench.source()
    assert true["mode"] == "CC" and true["output_on"]
    assert close_to(inst.query("MEAS:CURR? (@1)"), true["current"], 0.01)
    assert close_to(inst.query("MEAS:CURR? (@1)"), CHARGE_A, 0.01)
    assert close_to(inst.query("MEAS:VOLT? (@1)"), true["voltage"], 0.01)
    assert float(inst.query("MEAS:VOLT? (@1)")) < CHARGE_V - 0.05
    assert inst.query("STAT:QUES:INST:ISUM1:COND?") == "+1"  # CC
    assert inst.query("STAT:OPER:INST:ISUM1:COND?") == "+2"

    bench.control.advance(3 * 3600.0)
    true = bench.source()
    assert true["mode"] == "CV"
    assert inst.query("STAT:QUES:INST:ISUM1:COND?") == "+2"  # CV
    assert close_to(inst.query("MEAS:VOLT? (@1)"), CHARGE_V, 0.01)
    tapered = float(inst.query("MEAS:CURR? (@1)"))
    assert abs(tapered - true["current"]) < 0.01 and tapered < 0.1 * CHARGE_A


def test_ovp_trip_latches_the_output_off_and_clear_releases(live: LiveFn) -> None:
    bench = live()
    inst = bench.open("source")
    inst.write(f"VOLT {CHARGE_V},(@1);CURR {CHARGE_A},(@1);:OUTP ON,(@1)")
    sync(inst)
    bench.control.advance(3600.0)  # now in CV at 4.2 V
    inst.write("VOLT:PROT 4.1,(@1)")
    assert inst.query("VOLT:PROT:TRIP? (@1)") == "1"
    assert inst.query("OUTP? (@1)") == "0"
    assert inst.query("STAT:QUES:INST:ISUM1:COND?") == "+512"
    true = bench.source()
    assert true["tripped"] == "OVP" and not true["output_on"] and true["current"] == 0.0
    bench.control.advance(60.0)
    assert inst.query("VOLT:PROT:TRIP? (@1)") == "1"  # latched: time does not release it
    inst.write("VOLT:PROT 5,(@1);:OUTP:PROT:CLE (@1)")
    assert inst.query("VOLT:PROT:TRIP? (@1)") == "0"
    sync(inst)
    assert bench.source()["tripped"] is None


def test_errors(live: LiveFn) -> None:
    inst = live().open("source")
    inst.write("VOLT 7,(@1)")  # ch1 is 6 V
    inst.write("VOLT:BOGUS 1")
    inst.write("CURR")
    assert inst.query("SYST:ERR?") == '-222,"Data out of range"'
    assert inst.query("SYST:ERR?") == '-113,"Undefined header"'
    assert inst.query("SYST:ERR?") == '-109,"Missing parameter"'
    assert inst.query("SYST:ERR?") == '+0,"No error"'
