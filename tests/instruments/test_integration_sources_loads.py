"""Source and load drivers against the simulated bench, checked against the model's true state.

E36312A and DL3021 over TCP (pyvisa-py raw socket); DP832 over TCP with the IT8511 over its
pseudo-terminal (pyserial, binary frames). Tolerances are the instruments' readback accuracy with
a margin for the emulators' seeded noise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from instruments.drivers.itech_it8511 import ItechIT8511
from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.drivers.rigol_dl3021 import RigolDL3021
from instruments.drivers.rigol_dp832 import RigolDP832
from instruments.roles import DCSource, ElectronicLoad, LoadMode, RegulationMode
from instruments.safety import ProtectionNotArmed
from instruments.transports.serial_port import SerialTransport
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench

SOURCES = {"E36312A": KeysightE36312A, "DP832": RigolDP832}
#: Source readback: 0.05 % + 10 mV / 0.05 % + 5 mA is wider than both data sheets' figures.
V_TOL, I_TOL = 0.010, 0.005


def channel_state(state: dict[str, Any], channel: int) -> dict[str, Any]:
    source = state["source"]
    if isinstance(source, dict) and "channels" in source:
        source = source["channels"]
    if isinstance(source, list):
        return dict(source[channel - 1])
    return dict(source.get(str(channel), source.get(channel)))


@pytest.fixture(scope="module", params=[("E36312A", "DL3021"), ("DP832", "IT8511")])
def bench(request: pytest.FixtureRequest) -> Iterator[Any]:
    source_model, load_model = request.param
    with start_bench(seed=3, source_model=source_model, load_model=load_model) as sim:
        yield sim


@pytest.fixture
def control(bench: Any) -> ControlClient:
    return ControlClient(bench.control_address)


@pytest.fixture
def source(bench: Any) -> Iterator[DCSource]:
    endpoint = bench.instruments["source"]
    driver = SOURCES[endpoint.model](VisaTransport.open(endpoint.resource, timeout=2.0))
    yield driver
    driver.close()


@pytest.fixture
def load(bench: Any) -> Iterator[ElectronicLoad]:
    endpoint = bench.instruments["load"]
    driver: ElectronicLoad
    if endpoint.model == "IT8511":
        driver = ItechIT8511(SerialTransport.open(endpoint.pty, baudrate=9600, timeout=2.0))
    else:
        driver = RigolDL3021(VisaTransport.open(endpoint.resource, timeout=2.0))
    yield driver
    driver.close()


def test_source_identity(source: DCSource, bench: Any) -> None:
    assert source.identity.model == bench.instruments["source"].model


def test_source_charges_pack_and_reads_back_true_state(
    source: DCSource, control: ControlClient
) -> None:
    pack_voltage = control.state()["pack"]["terminal_voltage"]
    setpoint = round(pack_voltage + 0.05, 3)
    source.set_over_voltage_protection(1, Q_(setpoint + 0.3, "V"))
    source.set_over_current_protection(1, Q_(1.0, "A"))
    source.set_voltage(1, Q_(setpoint, "V"))
    source.set_current_limit(1, Q_(0.8, "A"))
    with pytest.raises(ProtectionNotArmed):
        source.output_on(2)
    source.output_on(1)
    control.advance(1.0)
    assert source.is_output_on(1)
    truth = channel_state(control.state(), 1)
    assert truth["output_on"] is True
    assert source.measure_voltage(1).m_as("V") == pytest.approx(truth["voltage"], abs=V_TOL)
    assert source.measure_current(1).m_as("A") == pytest.approx(truth["current"], abs=I_TOL)
    assert 0.02 < truth["current"] <= 0.8 + I_TOL  # charging, within the programmed limit
    expected = {
        "CV": RegulationMode.CV,
        "CC": RegulationMode.CC,
        "UR": RegulationMode.UNREGULATED,
        "OFF": RegulationMode.OFF,
    }[str(truth["mode"]).upper()]
    assert source.regulation_mode(1) is (
        RegulationMode.PROTECTION_TRIPPED if truth.get("tripped") else expected
    )
    source.output_off(1)
    assert channel_state(control.state(), 1)["output_on"] is False
    assert source.regulation_mode(1) is RegulationMode.OFF


def test_load_discharges_pack_and_reads_back_true_state(
    load: ElectronicLoad, control: ControlClient
) -> None:
    load.set_mode(LoadMode.CC)
    load.set_level(Q_(0.5, "A"))
    load.input_on()
    control.advance(1.0)
    assert load.is_input_on()
    truth = control.state()["load"]
    assert truth["input_on"] is True
    reading = load.measure()
    assert reading.voltage.m_as("V") == pytest.approx(truth["voltage"], abs=0.02)
    assert reading.current.m_as("A") == pytest.approx(truth["current"], abs=0.01)
    assert reading.current.m_as("A") == pytest.approx(0.5, abs=0.01)
    assert reading.power.m_as("W") == pytest.approx(
        reading.voltage.m_as("V") * reading.current.m_as("A"), rel=0.02
    )
    load.input_off()
    assert control.state()["load"]["input_on"] is False
    assert not load.is_input_on()


def test_load_short_is_switched_off_by_make_safe(
    load: ElectronicLoad, control: ControlClient
) -> None:
    assert load.supports_short
    load.set_mode(LoadMode.CC)
    load.set_level(Q_(0.1, "A"))
    load.input_on()
    load.set_short(True)
    control.advance(0.01)
    assert control.state()["load"]["short"] is True
    load.make_safe()
    truth = control.state()["load"]
    assert truth["short"] is False
    assert truth["input_on"] is False
