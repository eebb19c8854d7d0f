"""The Hioki driver against the simulated BT3562/BT3563 over TCP and over the pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from instruments.drivers.hioki_bt356x import HiokiBT356x
from instruments.errors import InstrumentReportedError, SettingOutOfRange
from instruments.roles import SampleRate
from instruments.transport import Transport
from instruments.transports.serial_port import SerialTransport
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench


@pytest.fixture(scope="module", params=["BT3562", "BT3563"])
def bench(request: pytest.FixtureRequest) -> Iterator[Any]:
    with start_bench(seed=5, rmeter_model=request.param) as sim:
        yield sim


def open_link(bench: Any, link: str) -> Transport:
    endpoint = bench.instruments["rmeter"]
    if link == "pty":
        return SerialTransport.open(endpoint.pty, baudrate=9600, timeout=2.0)
    return VisaTransport.open(
        endpoint.resource, timeout=2.0, read_termination="\r\n", write_termination="\r\n"
    )


@pytest.fixture(params=["tcp", "pty"])
def hioki(bench: Any, request: pytest.FixtureRequest) -> Iterator[HiokiBT356x]:
    with HiokiBT356x(open_link(bench, request.param), settle_time=0.0) as meter:
        yield meter


def test_identity(hioki: HiokiBT356x, bench: Any) -> None:
    assert hioki.identity.maker == "HIOKI"
    assert hioki.model == bench.instruments["rmeter"].model
    assert hioki.identity.serial == "0"


def test_reading_matches_the_pack(hioki: HiokiBT356x, bench: Any) -> None:
    hioki.configure(Q_(3, "ohm"), Q_(6, "V"), SampleRate.FAST)
    reading = hioki.read()
    truth = ControlClient(bench.control_address).state()["pack"]
    # V: 0.01 % rdg + 3 dgt (10 uV on the 6 V range) plus seeded noise.
    assert reading.voltage.m_as("V") == pytest.approx(truth["terminal_voltage"], abs=0.002)
    assert 0 < reading.resistance.m_as("ohm") < 3.1


def test_voltage_range_per_model(hioki: HiokiBT356x) -> None:
    if hioki.model.startswith("BT3563"):
        hioki.configure(Q_(3, "ohm"), Q_(300, "V"))
        assert hioki.read().voltage.m_as("V") > 0
    else:
        with pytest.raises(SettingOutOfRange, match=r"voltage range 300 V"):
            hioki.configure(Q_(3, "ohm"), Q_(300, "V"))


def test_esr_reports_a_refused_command(hioki: HiokiBT356x) -> None:
    hioki.transport.write(":NOT:A:COMMAND")
    with pytest.raises(InstrumentReportedError, match=r"32 command error"):
        hioki.raise_on_errors([":NOT:A:COMMAND"])
