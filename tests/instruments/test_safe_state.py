"""Safe state over the wire: the simulator's true state, not the driver's word, is the judge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from instruments.drivers.hioki_bt356x import HiokiBT356x
from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.drivers.rigol_dl3021 import RigolDL3021
from instruments.roles import Instrument, LoadMode
from instruments.safe_state import safe_state_all
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench


def outputs_on(state: dict[str, Any]) -> list[bool]:
    source = state["source"]
    if isinstance(source, dict) and "channels" in source:
        source = source["channels"]
    channels = source if isinstance(source, list) else list(source.values())
    return [bool(channel["output_on"]) for channel in channels]


@pytest.fixture
def bench() -> Iterator[Any]:
    with start_bench(seed=7) as sim:
        yield sim


def energise(source: KeysightE36312A, load: RigolDL3021, control: ControlClient) -> None:
    volts = control.state()["pack"]["terminal_voltage"]
    source.set_over_voltage_protection(1, Q_(volts + 0.5, "V"))
    source.set_over_current_protection(1, Q_(1, "A"))
    source.set_voltage(1, Q_(volts, "V"))
    source.output_on(1)
    load.set_mode(LoadMode.CC)
    load.set_level(Q_(0.2, "A"))
    load.input_on()
    control.advance(0.5)
    state = control.state()
    assert any(outputs_on(state)) and state["load"]["input_on"]


def test_exception_inside_with_leaves_everything_off(bench: Any) -> None:
    control = ControlClient(bench.control_address)
    with pytest.raises(RuntimeError, match=r"step failed"):  # noqa: SIM117 (order matters here)
        with (
            KeysightE36312A(VisaTransport.open(bench.instruments["source"].resource)) as source,
            RigolDL3021(VisaTransport.open(bench.instruments["load"].resource)) as load,
        ):
            energise(source, load, control)
            raise RuntimeError("step failed")
    state = control.state()
    assert outputs_on(state) == [False] * len(outputs_on(state))
    assert state["load"]["input_on"] is False
    assert state["load"]["short"] is False


def test_disconnected_load_does_not_stop_the_others(bench: Any) -> None:
    control = ControlClient(bench.control_address)
    source = KeysightE36312A(VisaTransport.open(bench.instruments["source"].resource))
    load = RigolDL3021(VisaTransport.open(bench.instruments["load"].resource, timeout=0.5))
    rmeter = HiokiBT356x(
        VisaTransport.open(
            bench.instruments["rmeter"].resource,
            read_termination="\r\n",
            write_termination="\r\n",
        )
    )
    instruments: list[Instrument] = [load, source, rmeter]
    try:
        energise(source, load, control)
        control.transport("load", "disconnect")
        failures = safe_state_all(instruments)
        assert [instrument for instrument, _ in failures] == [load]
        assert not any(outputs_on(control.state()))
    finally:
        control.transport("load", "none")
        for instrument in instruments:
            try:
                instrument.close()
            except Exception:  # the disconnected load cannot confirm; the others must close
                if instrument is not load:
                    raise
