"""Hioki BT3562/BT3563 emulator over its pseudo-terminal with pyserial (CR+LF), on the real pack."""

from __future__ import annotations

import math

import pytest
import serial
from live_bench import LiveFn

SETUP = (":FUNC RV", ":RES:RANG 300E-3", ":VOLT:RANG 6", ":SAMP:RATE med", ":TRIG:SOUR IMM")


def ask(link: serial.Serial, text: str) -> bytes:
    link.write(text.encode() + b"\r\n")
    return bytes(link.read_until(b"\r\n"))


def fields(reply: bytes) -> tuple[str, str]:
    r_text, v_text = reply.decode().rstrip("\r\n").split(",")
    return r_text, v_text


@pytest.mark.parametrize("model", ["BT3562", "BT3563"])
def test_identity_and_reading_of_the_pack(live: LiveFn, model: str) -> None:
    bench = live(rmeter_model=model)
    link = bench.serial()
    assert ask(link, "*IDN?") == f"HIOKI,{model},0,V1.00\r\n".encode()
    assert ask(link, "*ESR?") == b"128\r\n"  # power-on
    for command in (*SETUP, ":INIT:CONT OFF"):
        link.write(command.encode() + b"\r\n")
    assert ask(link, "*ESR?") == b"0\r\n"
    assert ask(link, ":FUNC?;:RES:RANG?;:VOLT:RANG?;:SAMP:RATE?;:AUT?") == (
        b"RV;300.00E-3;6.00000E+0;MEDIUM;OFF\r\n"
    )
    r_text, v_text = fields(ask(link, ":READ?"))
    # 300 mOhm range: sign, four integer digits (leading zeros blanked), two decimals, E-3.
    assert len(r_text) == len(" ****.**E-3") and r_text[0] == " " and r_text.endswith("E-3")
    assert len(v_text) == len(" 3.85000E+0") and v_text[0] == " "
    state = bench.control.state()
    # What 4-terminal probes on P+/P- see: cells in parallel plus the board's FETs, fuse, traces.
    true_r = state["pack"]["cells"][0]["ac_resistance"] / state["pack"]["parallel"]
    assert true_r < float(r_text) < 0.3
    assert math.isclose(float(v_text), state["pack"]["terminal_voltage"], abs_tol=0.001)


def test_cell_fixture_reads_one_cell(live: LiveFn) -> None:
    bench = live()
    link = bench.serial()
    link.write(b":INIT:CONT OFF\r\n")
    pack_r, _ = fields(ask(link, ":READ?"))
    bench.control.fixture("cell", 0)
    cell = bench.control.state()["pack"]["cells"][0]  # series position 1 of the 1S2P pack
    r_text, v_text = fields(ask(link, ":READ?"))
    # the opened pack's first cell alone, not the parallel pair
    assert math.isclose(float(r_text), cell["members"][0]["ac_resistance"], rel_tol=0.01)
    assert math.isclose(float(r_text), 2 * cell["ac_resistance"], rel_tol=0.01)
    assert math.isclose(float(v_text), cell["voltage"], abs_tol=0.001)
    assert float(r_text) < float(pack_r)


def test_open_fuse_is_a_measurement_fault(live: LiveFn) -> None:
    bench = live(fault="open_fuse")
    link = bench.serial()
    link.write(b":INIT:CONT OFF\r\n")
    assert bench.control.state()["board"]["fuse_open"]
    # The manual's measurement-fault code in each field's own layout (3 Ohm and 6 V ranges).
    assert ask(link, ":READ?") == b" 10.0000E+9, 1.00000E+10\r\n"
    bench.control.fixture("cell", 0)  # the cells behind the open fuse are fine
    r_text, v_text = fields(ask(link, ":READ?"))
    assert float(r_text) < 0.1 and 3.0 < float(v_text) < 4.3


def test_over_range_on_a_range_below_the_pack(live: LiveFn) -> None:
    link = live().serial()
    link.write(b":INIT:CONT OFF;:RES:RANG 3E-3\r\n")
    over, volts = fields(ask(link, ":READ?"))
    assert over == " 10.0000E+8" and 3.0 < float(volts) < 4.3  # 1E+9: over-range
    link.write(b":SYST:HEAD ON\r\n")
    assert ask(link, ":FUNC?") == b":FUNCTION RV\r\n"


def test_failed_query_is_silent_and_sets_esr(live: LiveFn) -> None:
    link = live().serial()
    ask(link, "*CLS;*ESR?")
    assert ask(link, ":READ?") == b""  # continuous ON after reset: execution error, no reply
    assert ask(link, "*ESR?") == b"16\r\n"
    link.write(b":BOGUS 1\n")  # LF alone is accepted too
    assert ask(link, ":SYST:ERR?") == b""  # no error queue: an unknown query gets nothing
    assert ask(link, "*ESR?") == b"32\r\n"


def test_reachable_over_tcp_too(live: LiveFn) -> None:
    inst = live().open("rmeter")
    inst.read_termination = "\r\n"
    assert inst.query("*IDN?") == "HIOKI,BT3562,0,V1.00"
