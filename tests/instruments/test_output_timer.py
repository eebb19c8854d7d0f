"""The DP832's delay output as a hardware cutoff: the output ends by itself, host or no host.

Driver against the emulator over TCP; the emulator's delayer runs on the bench's virtual time,
so ``ADVANCE`` past the programmed time must switch the output off with no further command.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.drivers.rigol_dp832 import RigolDP832
from instruments.errors import SettingOutOfRange
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    with start_bench(seed=5, source_model="DP832") as sim:
        yield sim


@pytest.fixture
def control(bench: Any) -> Iterator[ControlClient]:
    with ControlClient(bench.control_address) as client:
        yield client


@pytest.fixture
def source(bench: Any) -> Iterator[RigolDP832]:
    endpoint = bench.instruments["source"]
    driver = RigolDP832(VisaTransport.open(endpoint.resource, timeout=2.0))
    yield driver
    driver.close()


def arm(source: RigolDP832, control: ControlClient) -> None:
    volts = control.state()["pack"]["terminal_voltage"] + 0.05
    source.set_over_voltage_protection(1, Q_(volts + 0.3, "V"))
    source.set_over_current_protection(1, Q_(1.0, "A"))
    source.set_voltage(1, Q_(volts, "V"))
    source.set_current_limit(1, Q_(0.5, "A"))


def on(control: ControlClient) -> bool:
    return bool(control.state()["source"]["1"]["output_on"])


def test_output_ends_by_itself_when_the_timer_runs_out(
    source: RigolDP832, control: ControlClient
) -> None:
    arm(source, control)
    assert source.arm_output_timer(1, Q_(2, "min")) is True
    source.output_on(1)
    assert source.query(":DELAY?") == "ON"
    control.advance(119.0)
    assert on(control) and source.is_output_on(1)
    control.advance(2.0)  # nobody sends anything: the instrument's own timer acts
    assert not on(control)
    assert not source.is_output_on(1)
    assert source.query(":DELAY:CYCLE?") == "N,1" and source.query(":DELAY:ENDS?") == "OFF"


def test_long_timer_is_split_into_groups_and_output_off_stops_it(
    source: RigolDP832, control: ControlClient
) -> None:
    arm(source, control)
    source.arm_output_timer(1, Q_(30, "h"))  # 108000 s: two groups of 54000 s
    assert source.query(":DELAY:GROUP?") == "2"
    assert source.query(":DELAY:PARA? 0,2") == "0,ON,54000;1,ON,54000"
    source.output_on(1)
    control.advance(3600.0)
    assert on(control)
    source.output_off(1)
    assert not on(control)
    assert source.query(":DELAY?") == "OFF"
    control.advance(200000.0)
    assert not on(control)


def test_timer_out_of_range_is_refused_before_anything_is_sent(source: RigolDP832) -> None:
    with pytest.raises(SettingOutOfRange, match="output timer"):
        source.arm_output_timer(1, Q_(0.5, "s"))
    with pytest.raises(SettingOutOfRange, match="channel"):
        source.arm_output_timer(4, Q_(60, "s"))


def test_a_source_without_a_timer_says_so() -> None:
    with start_bench(seed=5, source_model="E36312A") as sim:
        endpoint = sim.instruments["source"]
        driver = KeysightE36312A(VisaTransport.open(endpoint.resource, timeout=2.0))
        try:
            assert driver.arm_output_timer(1, Q_(60, "s")) is False
        finally:
            driver.close()
