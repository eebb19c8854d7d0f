"""Unmodified third-party drivers against the emulators (issue 2 acceptance).

PyMeasure's own instrument classes run as shipped over pyvisa-py; for models PyMeasure lacks
(Rigol DP832 and DL3021, Hioki BT356x) a bare ``SCPIMixin`` instrument replays the exact command
strings QCoDeS' drivers send (``RigolDP8xxBase``/``RigolDP8xxChannel``, ``Keysight344xxA``).
Every value read is checked against the simulated bench's true state.
"""

from __future__ import annotations

from typing import Any

from live_bench import LiveBench, LiveFn, sync
from pymeasure.instruments import Instrument, SCPIMixin
from pymeasure.instruments.agilent import Agilent34410A
from pymeasure.instruments.keysight import KeysightE36312A


class GenericScpi(SCPIMixin, Instrument):
    """PyMeasure's generic SCPI instrument: ``*IDN?``, ``SYST:ERR?``, ``ask``/``write``."""


def pymeasure_kwargs() -> dict[str, Any]:
    return {
        "visa_library": "@py",
        "read_termination": "\n",
        "write_termination": "\n",
        "timeout": 2000,
    }


def resource(bench: LiveBench, role: str) -> str:
    return bench.server.instruments[role].resource


def test_pymeasure_keysight_e36312a_charges_the_pack(live: LiveFn) -> None:
    bench = live(fault="aged_cell")
    supply = KeysightE36312A(resource(bench, "source"), **pymeasure_kwargs())
    try:
        assert supply.id.startswith("Keysight Technologies,E36312A,")
        supply.ch_1.voltage_setpoint = 4.2
        supply.ch_1.current_limit = 2.6
        supply.ch_1.output_enabled = True
        assert supply.ch_1.voltage_setpoint == 4.2
        assert supply.ch_1.current_limit == 2.6
        assert supply.ch_1.output_enabled is True
        true = bench.source()
        assert true["mode"] == "CC"
        assert abs(supply.ch_1.current - true["current"]) < 0.01
        assert abs(supply.ch_1.voltage - true["voltage"]) < 0.01
        supply.ch_2.voltage_setpoint = 12  # an open channel: CV at the setpoint, no current
        supply.ch_2.output_enabled = True
        assert abs(supply.ch_2.voltage - 12.0) < 0.02 and abs(supply.ch_2.current) < 0.005
        assert supply.check_errors() == []
        supply.ch_1.output_enabled = False
        supply.ch_2.output_enabled = False
        assert not bench.source()["output_on"]
    finally:
        supply.adapter.close()


def test_pymeasure_agilent_34410a_family_reads_the_pack(live: LiveFn) -> None:
    bench = live()
    dmm = Agilent34410A(resource(bench, "dmm"), **pymeasure_kwargs())
    try:
        assert "34461A" in dmm.id
        true = bench.control.state()["pack"]["terminal_voltage"]
        assert abs(dmm.voltage_dc - true) < 0.001  # sends MEAS:VOLT:DC? DEF,DEF
        assert dmm.check_errors() == []
    finally:
        dmm.adapter.close()


def test_qcodes_344xxa_sequence_through_pymeasure(live: LiveFn) -> None:
    bench = live()
    dmm = GenericScpi(resource(bench, "dmm"), "34461A via QCoDeS commands", **pymeasure_kwargs())
    try:
        # Keysight344xxA.__init__: IDN, options; then NPLC, range, autozero as users set them.
        assert dmm.id.split(",")[1] == "34461A"
        assert [o for o in dmm.ask("*OPT?").strip().split(",") if o != "0"] == []
        dmm.write("SENSe:VOLTage:DC:NPLC 10.000000")
        assert float(dmm.ask("SENSe:VOLTage:DC:RESolution?")) > 0
        dmm.write("SENSe:VOLTage:DC:RANGe 10.000000")
        assert float(dmm.ask("SENSe:VOLTage:DC:RANGe?")) == 10.0
        dmm.write("SENSe:VOLTage:DC:ZERO:AUTO ONCE")
        assert int(dmm.ask("SYSTem:LFRequency?")) in (50, 60)
        # Keysight344xxA._get_parameter("DC Voltage"): set_to() reads, sets, reads, restores.
        function = dmm.ask("SENSe:FUNCtion?").strip()
        assert function == '"VOLT"'
        dmm.write('SENSe:FUNCtion "VOLT"')
        count = int(dmm.ask("SAMPle:COUNt?"))
        dmm.write("SAMPle:COUNt 1")
        volts = float(dmm.ask("READ?"))
        dmm.write(f"SAMPle:COUNt {count}")
        dmm.write(f"SENSe:FUNCtion {function}")
        true = bench.control.state()["pack"]["terminal_voltage"]
        assert abs(volts - true) < 0.001
        # snapshot(): the trigger and sample-timer parameters (issue 17, item 5's first example)
        assert float(dmm.ask("TRIGger:DELay?")) >= 0.0
        assert dmm.ask("TRIGger:SLOPe?").strip() in ("POS", "NEG")
        assert float(dmm.ask("SAMPle:TIMer?")) > 0.0
        assert 0.0 < float(dmm.ask("SAMPle:TIMer? MIN")) < 1.0
        assert dmm.check_errors() == []
    finally:
        dmm.adapter.close()


def test_qcodes_dp8xx_sequence_through_pymeasure(live: LiveFn) -> None:
    bench = live(source_model="DP832", fault="aged_cell")
    psu = GenericScpi(resource(bench, "source"), "DP832 via QCoDeS commands", **pymeasure_kwargs())
    select = ":INSTrument:NSELect 1;"
    try:
        # RigolDP8xxBase.__init__: *OPT? (installed options), then connect_message's *IDN?.
        assert "DP8-ACCURACY" not in psu.ask("*OPT?").strip().split(",")
        assert psu.id.startswith("RIGOL TECHNOLOGIES,DP832,")
        psu.write(f"{select} :SOURce:VOLTage:LEVel:IMMediate:AMPLitude 4.2")
        psu.write(f"{select} :SOURce:CURRent:LEVel:IMMediate:AMPLitude 2.6")
        psu.write(f"{select} :VOLTage:PROTection:LEVel 4.4")
        psu.write(f"{select} :VOLTage:PROTection:STATe ON")
        psu.write(f"{select} :OUTPut:STATe ON")
        ask = lambda command: psu.ask(f"{select} {command}").strip()  # noqa: E731
        assert float(ask(":SOURce:VOLTage:LEVel:IMMediate:AMPLitude?")) == 4.2
        assert float(ask(":SOURce:CURRent:LEVel:IMMediate:AMPLitude?")) == 2.6
        assert float(ask(":VOLTage:PROTection:LEVel?")) == 4.4
        assert ask(":VOLTage:PROTection:STATe?") == "ON"
        assert ask(":OUTPut:STATe?") == "ON"
        assert ask(":OUTPut:MODE?") == "CC" == bench.source()["mode"]
        amps = float(ask(":MEASure:CURRent:DC?"))
        volts = float(ask(":MEASure:VOLTage:DC?"))
        assert abs(amps - bench.source()["current"]) < 0.01
        assert abs(volts - bench.source()["voltage"]) < 0.01
        assert abs(float(ask(":MEASure:POWer?")) - volts * amps) < 0.05
        assert psu.check_errors() == []
        psu.write(f"{select} :OUTPut:STATe OFF")
        sync(psu.adapter.connection)
        assert not bench.source()["output_on"]
    finally:
        psu.adapter.close()


def test_generic_scpi_drives_the_dl3021_load(live: LiveFn) -> None:
    bench = live()
    load = GenericScpi(resource(bench, "load"), "DL3021", **pymeasure_kwargs())
    try:
        assert load.id.startswith("RIGOL TECHNOLOGIES,DL3021,")
        load.write(":SOUR:FUNC CURR")
        load.write(":SOUR:CURR:LEV 2")
        load.write(":SOUR:INP:STAT ON")
        assert abs(float(load.ask(":MEAS:CURR?")) - 2.0) < 0.01
        assert abs(bench.control.state()["pack"]["current"] + 2.0) < 1e-3
        assert load.check_errors() == []
    finally:
        load.write(":SOUR:INP:STAT OFF")
        load.adapter.close()
