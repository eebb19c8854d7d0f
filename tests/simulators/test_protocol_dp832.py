"""Rigol DP832 emulator through pyvisa-py over TCP, charging the real simulated pack."""

from __future__ import annotations

from live_bench import LiveFn, close_to, sync


def test_identity_and_apply(live: LiveFn) -> None:
    inst = live(source_model="DP832").open("source")
    assert inst.query("*IDN?") == "RIGOL TECHNOLOGIES,DP832,DP8C1234567890,00.01.14"
    inst.write(":APPL CH1,4.2,1")
    assert inst.query(":APPL? CH1") == "CH1:30V/3A,4.200,1.0000"
    assert inst.query(":APPL? CH1,VOLT") == "4.200"
    inst.write(":INST:NSEL 3;:SOUR3:VOLT 5.000000")
    assert inst.query(":INST?;:SOURce3:VOLTage?") == "CH3;5.000"
    assert inst.query(":SYST:ERR?") == '0,"No error"'


def test_charging_cc_then_cv_and_protection_settings(live: LiveFn) -> None:
    bench = live(source_model="DP832", fault="aged_cell")  # 30 % SOC
    inst = bench.open("source")
    inst.write(":APPL CH1,4.2,2.6;:OUTP:OVP:VAL CH1,8.8;:OUTP:OVP CH1,on;:OUTP:OCP:VAL CH1,3")
    assert inst.query(":OUTP:OVP:VAL? CH1;:OUTP:OVP? CH1;:OUTP:OCP:VAL? CH1") == "8.800;ON;3.0000"
    inst.write(":OUTP CH1,ON")
    assert inst.query(":OUTP? CH1") == "ON"
    assert inst.query(":OUTP:MODE? CH1") == "CC"
    true = bench.source()
    assert true["mode"] == "CC"
    volts, amps, watts = (float(f) for f in inst.query(":MEAS:ALL? CH1").split(","))
    assert abs(amps - true["current"]) < 0.01 and abs(amps - 2.6) < 0.01
    assert abs(volts - true["voltage"]) < 0.01 and volts < 4.15
    assert abs(watts - volts * amps) < 0.01
    bench.control.advance(3 * 3600.0)
    assert inst.query(":OUTP:MODE? CH1") == "CV" == bench.source()["mode"]
    assert close_to(inst.query(":MEAS:VOLT? CH1"), 4.2, 0.01)
    assert close_to(inst.query(":MEAS:CURR? CH1"), bench.source()["current"], 0.01)


def test_ovp_trip_latches_and_ovp_clear_releases(live: LiveFn) -> None:
    bench = live(source_model="DP832")
    inst = bench.open("source")
    inst.write(":APPL CH1,4.2,2.6;:OUTP CH1,ON")
    sync(inst)
    bench.control.advance(3600.0)  # CV at 4.2 V
    inst.write(":OUTP:OVP:VAL CH1,4.1;:OUTP:OVP CH1,ON")
    assert inst.query(":OUTP:OVP:QUES? CH1") == "YES"
    assert inst.query(":OUTP? CH1") == "OFF"
    assert bench.source()["tripped"] == "OVP" and bench.source()["current"] == 0.0
    bench.control.advance(60.0)
    assert inst.query(":OUTP:OVP:QUES? CH1") == "YES"  # latched
    inst.write(":OUTP:OVP:VAL CH1,5;:OUTP:OVP:CLEAR CH1")
    assert inst.query(":OUTP:OVP:QUES? CH1") == "NO"
    sync(inst)
    assert bench.source()["tripped"] is None


def test_errors_rigol_style(live: LiveFn) -> None:
    inst = live(source_model="DP832").open("source")
    inst.write(":APPL CH3,6,1")  # ch3 is 5.3 V
    inst.write(":NOPE")
    inst.write(":OUTP:OVP:VAL")
    assert inst.query(":SYST:ERR?") == '-222,"Data out of range"'
    assert inst.query(":SYST:ERR?") == '-113,"Undefined header"'
    assert inst.query(":SYST:ERR?") == '-109,"Missing parameter"'
    assert inst.query(":SYST:ERR?") == '0,"No error"'
