"""Acceptance of issue 2 (the simulated bench), each bullet driven over the wire only.

Instruments are reached through pyvisa (pyvisa-py, TCP sockets) and pyserial (pseudo-terminals);
time, faults, fixtures and the true state through the control endpoint. No test here calls an
emulator or the physics in-process. (The file is not called ``test_acceptance.py`` because
``tests/instruments`` has one of that role too, and pytest's default import mode refuses two test
modules with the same basename.)

Bullet -> test
--------------
* identity strings of every model: ``test_identity_of_every_model_over_tcp`` and
  ``test_identity_of_serial_models_over_their_pseudo_terminal``.
* healthy 1S2P at 0.5C CC-CV from 3.0 V reaches CV and tapers to 0.05C in 2-3.1 h:
  ``test_half_c_recharge_over_the_wire``.
* UV-protected pack reads ~0 V at P+/P- until charge current flows:
  ``test_uv_protected_pack_reads_zero_until_charge_current_flows``.
* latched pack wakes on charger connection: ``test_latched_pack_wakes_on_charger_connection``.
* protection thresholds from a source sweep on the board fixture within the IC's tolerance:
  ``test_board_sweep_finds_the_thresholds_within_tolerance`` (E36312A and DP832).
* error queue contents after bad commands: ``test_error_queue_after_bad_commands`` (every SCPI
  model); per-model detail stays in ``test_protocol_*.py::test_errors*`` and
  ``test_protocol_bt356x.py::test_failed_query_is_silent_and_sets_esr`` (the Hioki's ``*ESR?``);
  the IT8511's status frames in ``test_it8511_emulator.py`` (pyserial on the pty).
* 0 V-inhibit and failed-board faults behave as described: ``test_zero_volt_cell_*``,
  ``test_charge_fet_short_*``, ``test_overcurrent_protection_failed_*``,
  ``test_discharge_fet_open_*``, ``test_open_fuse_*``.
* ``import simulators`` pulls in nothing from instruments/procedures/results/bench:
  ``test_simulators_import_nothing_from_the_layers_above`` (a subprocess per module).
* Protocol tests as third-party drivers send them: ``test_third_party_drivers.py`` and
  ``test_protocol_*.py``; hypothesis properties: ``test_parser_properties.py`` and
  ``test_cell.py::test_coulomb_count_matches_state_of_charge_over_a_full_charge``; the benchmark:
  ``benchmarks/bench_simulator_physics.py`` and ``bench_simulator_wire.py``.
"""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from typing import Any

import pytest
import serial
from live_bench import LiveBench, LiveFn, sync
from test_fixtures import PACK_CHARGE_HOURS

import simulators

CHARGE_V, CHARGE_A, TAPER_A = 4.2, 2.6, 0.26  # PB-1S2P-18650-5200: 0.5C and 0.05C
IDENTITIES = {
    "34461A": r"Keysight Technologies,34461A,MY\d{8},A\.\d\d\.\d\d-[\d.-]+",
    "E36312A": r"Keysight Technologies,E36312A,MY\d{8},\d+\.\d+\.\d+-\d+\.\d+\.\d+-\d+\.\d+",
    "DP832": r"RIGOL TECHNOLOGIES,DP832,DP8[A-Z]\d{10},\d\d\.\d\d\.\d\d",
    "DL3021": r"RIGOL TECHNOLOGIES,DL3021,DL3A\d{9},\d\d\.\d\d\.\d\d\.\d\d\.\d\d",
    "BT3562": r"HIOKI,BT3562,0,V\d\.\d\d",
    "BT3563": r"HIOKI,BT3563,0,V\d\.\d\d",
}


def it8511_frame(command: int, payload: bytes = b"", address: int = 0) -> bytes:
    body = bytes([0xAA, address, command]) + payload.ljust(22, b"\0")
    return body + bytes([sum(body) % 256])


def volts(inst: Any, query: str = "MEAS:VOLT:DC?") -> float:
    return float(inst.query(query))


# -- identities ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "role", "model"),
    [
        ({}, "dmm", "34461A"),
        ({}, "source", "E36312A"),
        ({"source_model": "DP832"}, "source", "DP832"),
        ({}, "load", "DL3021"),
        ({"rmeter_model": "BT3562"}, "rmeter", "BT3562"),
        ({"rmeter_model": "BT3563"}, "rmeter", "BT3563"),
    ],
)
def test_identity_of_every_model_over_tcp(
    live: LiveFn, options: dict[str, str], role: str, model: str
) -> None:
    bench = live(serial=False, **options)
    inst = bench.open(role)
    assert bench.server.instruments[role].model == model
    identity = inst.query("*IDN?")
    if role == "rmeter":  # the Hioki ends lines with CR+LF; ``open`` reads up to the LF
        assert identity.endswith("\r")
        identity = identity[:-1]
    assert re.fullmatch(IDENTITIES[model], identity), identity
    assert inst.query("*IDN?").rstrip("\r") == identity  # stable across queries


@pytest.mark.parametrize("model", ["BT3562", "BT3563"])
def test_identity_of_serial_models_over_their_pseudo_terminal(live: LiveFn, model: str) -> None:
    bench = live(rmeter_model=model, load_model="IT8511")
    hioki = bench.serial("rmeter")
    hioki.write(b"*IDN?\r\n")
    assert hioki.readline() == f"HIOKI,{model},0,V1.00\r\n".encode()

    load = bench.serial("load")
    load.write(it8511_frame(0x6A))
    reply = load.read(26)
    assert len(reply) == 26 and reply[0] == 0xAA and reply[2] == 0x6A
    assert reply[25] == sum(reply[:25]) % 256
    assert reply[3:8] == b"8511\0"  # model, then firmware minor/major, then the serial number
    assert reply[10:20].rstrip(b"\0").isdigit()


# -- recharge, wake-up ---------------------------------------------------------------------------
def charge_on(source: Any, volts_: float = CHARGE_V, amps: float = CHARGE_A) -> None:
    source.write(f"VOLT {volts_},(@1);CURR {amps},(@1);OUTP ON,(@1)")
    sync(source)


def test_half_c_recharge_over_the_wire(live: LiveFn) -> None:
    bench = live()
    bench.control.cell_voltage(0, 3.0)
    dmm, source = bench.open("dmm"), bench.open("source")
    assert volts(dmm) == pytest.approx(3.0, abs=0.01)
    charge_on(source)
    bench.control.advance(1.0)
    assert float(source.query("MEAS:CURR? (@1)")) == pytest.approx(CHARGE_A, rel=0.01)  # CC
    cv_at = tapered_at = None
    while bench.control.time() < 4 * 3600:
        now = bench.control.advance(30.0)
        current = float(source.query("MEAS:CURR? (@1)"))
        if cv_at is None and current < 0.98 * CHARGE_A:
            cv_at = now
            assert volts(source, "MEAS:VOLT? (@1)") == pytest.approx(CHARGE_V, abs=0.01)
        if current < TAPER_A:
            tapered_at = now
            break
    assert cv_at is not None and 1.0 * 3600 < cv_at < 2.0 * 3600, cv_at
    low, high = PACK_CHARGE_HOURS  # derived in test_fixtures
    assert tapered_at is not None and low * 3600 <= tapered_at <= high * 3600, tapered_at
    assert bench.control.state()["pack"]["cells"][0]["soc"] > 0.95


def test_uv_protected_pack_reads_zero_until_charge_current_flows(live: LiveFn) -> None:
    bench = live(fault="deep_discharge_uv")
    dmm, source = bench.open("dmm"), bench.open("source")
    bench.control.advance(60.0)
    assert abs(volts(dmm)) < 0.05  # ~0 V at P+/P- while nothing charges
    detect = bench.control.state()["board"]["thresholds"]["overdischarge_detect"][0]
    charge_on(source)
    bench.control.advance(1.0)
    assert float(source.query("MEAS:CURR? (@1)")) == pytest.approx(CHARGE_A, rel=0.01)
    woke = False
    for _ in range(360):
        bench.control.advance(10.0)
        source.write("OUTP OFF,(@1)")
        sync(source)
        bench.control.advance(0.5)
        if volts(dmm) > 2.0:
            woke = True
            break
        source.write("OUTP ON,(@1)")
        sync(source)
    assert woke, "the UV-protected pack never woke under a 0.5C charge"
    # 0.5C through the body diode is a charger the IC detects (VM below VCHA): it released at
    # the over-discharge detect level (test_protection_ic.py checks the level per IC).
    assert volts(dmm) >= detect - 0.15
    assert bench.control.state()["board"]["last_release"]["rule"] == "charger_detect"


def test_latched_pack_wakes_on_charger_connection(live: LiveFn) -> None:
    bench = live(fault="mosfet_latched")
    dmm, source = bench.open("dmm"), bench.open("source")
    bench.control.advance(60.0)
    assert abs(volts(dmm)) < 0.05
    charge_on(source)
    bench.control.advance(0.05)
    source.write("OUTP OFF,(@1)")
    sync(source)
    bench.control.advance(1.0)
    assert volts(dmm) == pytest.approx(bench.control.state()["pack"]["emf"], abs=0.05)
    assert volts(dmm) > 3.5  # the healthy cells at storage charge


# -- board fixture sweep ---------------------------------------------------------------------------
class BoardSweep:
    """The source emulates the cells on B+/B-; the multimeter watches P+/P- (over the wire)."""

    def __init__(self, bench: LiveBench, model: str) -> None:
        self.bench, self.model = bench, model
        self.source, self.dmm = bench.open("source"), bench.open("dmm")
        bench.control.fixture("board")
        if model == "DP832":
            self.source.write(":APPL CH1,3.6,1;:OUTP CH1,ON")
        else:
            self.source.write("VOLT 3.6,(@1);CURR 1,(@1);OUTP ON,(@1)")
        self.set(3.6, 2.0)

    def set(self, cell_volts: float, settle: float) -> float:
        """Put the cells at ``cell_volts``, wait ``settle`` s; P+/P- as the multimeter reads it."""
        if self.model == "DP832":
            self.source.write(f":SOUR1:VOLT {cell_volts:.4f}")
        else:
            self.source.write(f"VOLT {cell_volts:.4f},(@1)")
        sync(self.source)
        self.bench.control.advance(settle)
        return volts(self.dmm)

    def output_follows(self, cell_volts: float, settle: float) -> bool:
        return abs(self.set(cell_volts, settle) - cell_volts) < 0.1

    def edge(self, start: float, stop: float, step: float, settle: float, follows: bool) -> float:
        """First source voltage from ``start`` towards ``stop`` where the output's state flips."""
        n = round(abs(stop - start) / step)
        direction = 1.0 if stop > start else -1.0
        for i in range(n + 1):
            v = start + direction * i * step
            if self.output_follows(v, settle) != follows:
                return v
        raise AssertionError(f"no protection edge between {start} V and {stop} V")


@pytest.mark.parametrize("model", ["E36312A", "DP832"])
def test_board_sweep_finds_the_thresholds_within_tolerance(live: LiveFn, model: str) -> None:
    bench = live(fixture="board", source_model=model, seed=11)
    sweep = BoardSweep(bench, model)
    step = 0.005
    # Over-charge: output leaves the cell voltage (charge FET off) once past detect + delay.
    oc_detect = sweep.edge(4.15, 4.45, step, settle=1.6, follows=True)
    oc_release = sweep.edge(oc_detect, 3.9, step, settle=0.5, follows=False)
    # Over-discharge: the output collapses to 0 V (power-down); it returns above release.
    sweep.set(3.6, 2.0)
    od_detect = sweep.edge(2.65, 2.1, step, settle=0.3, follows=True)
    od_release = sweep.edge(od_detect, 3.4, step, settle=0.3, follows=False)

    # The spec (PB-1S2P-18650-5200) with the IC's tolerance, plus one sweep step.
    assert oc_detect == pytest.approx(4.30, abs=0.05 + step)
    assert oc_release == pytest.approx(4.10, abs=0.05 + step)
    assert od_detect == pytest.approx(2.40, abs=0.05 + step)
    assert od_release == pytest.approx(3.00, abs=0.10 + step)
    # And they are this board's own (seeded) thresholds, not the nominal values by accident.
    truth = bench.control.state()["board"]["thresholds"]
    assert oc_detect == pytest.approx(truth["overcharge_detect"][0], abs=step + 0.002)
    assert oc_release == pytest.approx(truth["overcharge_release"][0], abs=step + 0.002)
    assert od_detect == pytest.approx(truth["overdischarge_detect"][0], abs=step + 0.002)
    assert od_release == pytest.approx(truth["overdischarge_release"][0], abs=step + 0.002)


# -- error queue -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "role", "bad", "codes", "no_error"),
    [
        ({}, "dmm", ["FOO:BAR", "VOLT:DC:NPLC", "VOLT:DC:NPLC 1e6"], ["-113", "-109", "-222"],
         '+0,"No error"'),
        ({}, "source", ["FOO:BAR", "VOLT", "VOLT 99,(@1)"], ["-113", "-109", "-222"],
         '+0,"No error"'),
        ({"source_model": "DP832"}, "source", ["FOO:BAR", ":SOUR1:VOLT", ":SOUR1:VOLT 99"],
         ["-113", "-109", "-222"], '0,"No error"'),
        ({}, "load", ["FOO:BAR", ":SOUR:CURR:LEV", ":SOUR:CURR:LEV 999"],
         ["-113", "-109", "-222"], '0,"No error"'),
    ],
)  # fmt: skip
def test_error_queue_after_bad_commands(
    live: LiveFn,
    options: dict[str, str],
    role: str,
    bad: list[str],
    codes: list[str],
    no_error: str,
) -> None:
    inst = live(serial=False, **options).open(role)
    for command in bad:
        inst.write(command)
    replies = [inst.query("SYST:ERR?") for _ in codes]
    assert [reply.split(",", 1)[0].lstrip("+") for reply in replies] == [
        code.lstrip("+") for code in codes
    ], replies
    assert all('"' in reply for reply in replies)  # code, then the quoted message
    assert inst.query("SYST:ERR?") == no_error  # FIFO drained
    assert int(inst.query("*ESR?")) & 32  # command errors also set ESR bit 5


# -- faults of the catalogue ------------------------------------------------------------------
def test_zero_volt_cell_takes_no_charge_and_never_wakes(live: LiveFn) -> None:
    bench = live(fault="zero_volt_cell")
    dmm, source = bench.open("dmm"), bench.open("source")
    charge_on(source)
    bench.control.advance(600.0)
    assert float(source.query("MEAS:CURR? (@1)")) < 0.01  # 0 V charge inhibited: no current
    assert bench.control.state()["pack"]["cells"][0]["voltage"] < 1.5
    source.write("OUTP OFF,(@1)")
    sync(source)
    bench.control.advance(1.0)
    assert abs(volts(dmm)) < 0.05  # never woke


def test_charge_fet_short_keeps_charging_past_overcharge(live: LiveFn) -> None:
    def overcharge(fault: str) -> tuple[float, float]:
        bench = live(fault=fault)
        source = bench.open("source")
        bench.control.cell_voltage(0, 4.25)
        charge_on(source, volts_=4.6, amps=2.6)  # a faulty charger, over the 4.2 V CV level
        bench.control.advance(1800.0)
        cell = bench.control.state()["pack"]["cells"][0]["voltage"]
        return cell, float(source.query("MEAS:CURR? (@1)"))

    healthy_cell, healthy_current = overcharge("healthy")
    shorted_cell, shorted_current = overcharge("charge_fet_short")
    assert healthy_cell < 4.36 and healthy_current < 0.01  # the IC cut the charge
    assert shorted_cell > 4.36 and shorted_current > 0.1  # nothing cuts it


def load_short(bench: LiveBench, seconds: float) -> None:
    load = bench.open("load")
    load.write(":SOUR:INP:STAT ON;:SOUR:INP:SHOR ON")
    sync(load)
    bench.control.advance(seconds)


def test_overcurrent_protection_failed_lets_a_short_run_until_the_fuse_opens(
    live: LiveFn,
) -> None:
    healthy = live()
    load_short(healthy, 0.01)
    assert healthy.control.state()["board"]["short_circuit"]  # cut within its delay
    assert not healthy.control.state()["board"]["fuse_open"]

    failed = live(fault="overcurrent_protection_failed")
    load_short(failed, 0.01)
    board = failed.control.state()["board"]
    assert not board["short_circuit"] and not board["overcurrent"]
    load = failed.open("load")
    assert float(load.query(":MEAS:CURR?")) > 10.0  # still flowing after the IC's delays
    failed.control.advance(60.0)
    assert failed.control.state()["board"]["fuse_open"]  # only the fuse stopped it
    assert abs(float(load.query(":MEAS:CURR?"))) < 0.01


def test_discharge_fet_open_gives_no_output_but_charges_through_its_diode(live: LiveFn) -> None:
    bench = live(fault="discharge_fet_open")
    dmm, source = bench.open("dmm"), bench.open("source")
    bench.control.advance(1.0)
    assert abs(volts(dmm)) < 0.05  # no output
    charge_on(source, amps=1.0)
    bench.control.advance(1.0)
    assert float(source.query("MEAS:CURR? (@1)")) < 0.01  # cell + diode drop is above 4.2 V
    charge_on(source, volts_=5.0, amps=1.0)
    bench.control.advance(10.0)
    assert float(source.query("MEAS:CURR? (@1)")) == pytest.approx(1.0, rel=0.02)
    cell = bench.control.state()["pack"]["cells"][0]["voltage"]
    assert volts(dmm) - cell > 0.4  # the body diode's drop shows at P+


def test_open_fuse_reads_zero_and_takes_no_charge(live: LiveFn) -> None:
    bench = live(fault="open_fuse")
    dmm, source = bench.open("dmm"), bench.open("source")
    bench.control.advance(1.0)
    assert abs(volts(dmm)) < 0.05
    charge_on(source)
    bench.control.advance(60.0)
    assert float(source.query("MEAS:CURR? (@1)")) < 0.01
    assert 3.5 < bench.control.state()["pack"]["cells"][0]["voltage"] < 4.0  # cells are fine


# -- layering ------------------------------------------------------------------------------------
FORBIDDEN = ("instruments", "procedures", "results", "bench", "pyvisa", "serial", "pint")


@pytest.mark.parametrize(
    "module",
    [
        "simulators",
        "simulators.launcher",
        "simulators.__main__",
        *sorted(m.name for m in pkgutil.walk_packages(simulators.__path__, "simulators.")),
    ],
)
def test_simulators_import_nothing_from_the_layers_above(module: str) -> None:
    probe = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(done.stdout.splitlines()[-1])
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert leaked == [], f"import {module} pulled in {leaked}"
    assert module in loaded  # the probe really imported it


def test_serial_module_name_is_what_the_layer_check_looks_for() -> None:
    """The check above would miss pyserial if its module were not called ``serial``."""
    assert serial.__name__ == "serial"
