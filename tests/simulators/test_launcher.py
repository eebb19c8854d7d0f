"""The public launcher with the real physics and emulators, reached only over the wire."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import serial

from simulators.launcher import LaunchError, start_bench


def test_default_bench_serves_every_role(rm: Any) -> None:
    # The session ``rm`` of conftest: pyvisa-py shares one library per process, and closing a
    # second manager invalidates the sessions of every other one (later tests then fail).
    threads_before = set(threading.enumerate())
    with start_bench(seed=1) as sim:
        models = {role: endpoint.model for role, endpoint in sim.instruments.items()}
        assert models == {
            "dmm": "34461A",
            "source": "E36312A",
            "load": "DL3021",
            "rmeter": "BT3562",
            "temperature": "34461A",
        }
        assert sim.instruments["rmeter"].pty is not None
        assert sim.instruments["load"].pty is None
        dmm = rm.open_resource(sim.instruments["dmm"].resource, read_termination="\n")
        try:
            dmm.write_termination = "\n"
            assert dmm.query("*IDN?").split(",")[:2] == ["Keysight Technologies", "34461A"]
            volts = float(dmm.query("MEAS:VOLT:DC?"))
        finally:
            dmm.close()
        with sim.client() as control:
            assert control.state()["dmm_voltage"] == pytest.approx(volts, abs=0.01)
    assert set(threading.enumerate()) == threads_before


def test_alternative_models_and_serial_off() -> None:
    with start_bench(
        source_model="DP832", load_model="IT8511", rmeter_model="BT3563", serial=False
    ) as sim:
        assert {e.model for e in sim.instruments.values()} == {
            "34461A",
            "DP832",
            "IT8511",
            "BT3563",
        }
        assert all(e.pty is None for e in sim.instruments.values())


def it8511_frame(command: int, payload: bytes = b"") -> bytes:
    body = bytes([0xAA, 0, command]) + payload.ljust(22, b"\0")
    return body + bytes([sum(body) % 256])


def test_it8511_reads_the_pack_the_multimeter_sees() -> None:
    with start_bench(load_model="IT8511", seed=2) as sim:
        pty = sim.instruments["load"].pty
        assert pty is not None
        with serial.Serial(pty, timeout=5) as port:
            port.write(it8511_frame(0x5F))
            reply = port.read(26)
        volts = int.from_bytes(reply[3:7], "little") / 1e3
        with sim.client() as control:
            assert volts == pytest.approx(control.state()["dmm_voltage"], abs=0.01)
        assert volts > 1.0


def test_fault_changes_what_the_instruments_see() -> None:
    with start_bench(fault="deep_discharge_uv", load_model="IT8511") as sim:
        pty = sim.instruments["rmeter"].pty
        assert pty is not None
        with serial.Serial(pty, timeout=5) as port:
            port.write(b"*IDN?\r\n")
            assert port.readline().startswith(b"HIOKI,BT3562,")
        with sim.client() as control:
            assert control.state()["fault"] == "deep_discharge_uv"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fault": "meltdown"}, "unknown fault 'meltdown'; valid: "),
        ({"source_model": "N6705"}, "source model 'N6705' not simulated"),
        ({"load_model": "DP832"}, "load model 'DP832' not simulated"),
        ({"fixture": "drawer"}, "unknown fixture 'drawer'"),
    ],
)
def test_bad_options_name_the_valid_choices(options: dict[str, str], message: str) -> None:
    with pytest.raises(LaunchError, match=message):
        start_bench(**options)  # type: ignore[arg-type]
