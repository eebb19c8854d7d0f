"""Late replies against the simulated bench (``slow_reply`` transport fault), and reconnecting.

A reply that arrives after its query timed out must not be read as the answer to the next query:
the transports discard input that is waiting before they send. Sleeps here only let a held-back
reply arrive; nothing is asserted about time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.errors import InstrumentTimeout
from instruments.transports.serial_port import SerialTransport
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench

TIMEOUT, DELAY = 0.2, 0.35
"""The held-back reply arrives DELAY s after its query, after the TIMEOUT s read gave up."""


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    with start_bench(seed=2) as sim:  # E36312A source over TCP, Hioki on a pty
        yield sim


@pytest.fixture
def control(bench: Any) -> Iterator[ControlClient]:
    with ControlClient(bench.control_address) as client:
        client.reset()
        yield client
        for role in ("source", "rmeter"):
            client.transport(role, "none")


@pytest.fixture
def link(bench: Any) -> Iterator[VisaTransport]:
    transport = VisaTransport.open(bench.instruments["source"].resource, timeout=TIMEOUT)
    yield transport
    transport.close()


def time_out_then_let_the_late_reply_arrive(
    control: ControlClient, role: str, ask: Any, command: str
) -> None:
    control.transport(role, "slow_reply", DELAY)
    with pytest.raises(InstrumentTimeout):
        ask(command)
    control.transport(role, "none")
    time.sleep(DELAY)  # the held-back reply is now waiting in the client's receive buffer


def test_visa_late_reply_is_not_the_answer_to_the_next_query(
    control: ControlClient, link: VisaTransport
) -> None:
    time_out_then_let_the_late_reply_arrive(control, "source", link.query, "SYST:ERR?")
    assert link.query("OUTP? (@1,2,3)") == "0,0,0"
    assert link.query("SYST:ERR?") == '+0,"No error"'


def test_serial_late_reply_is_not_the_answer_to_the_next_query(
    bench: Any, control: ControlClient
) -> None:
    transport = SerialTransport.open(bench.instruments["rmeter"].pty, timeout=TIMEOUT)
    try:
        time_out_then_let_the_late_reply_arrive(control, "rmeter", transport.query, "*IDN?")
        assert transport.query(":FUNC?") == "RV"
    finally:
        transport.close()


def test_make_safe_is_not_spoilt_by_a_late_reply(control: ControlClient, link: VisaTransport):
    """The audit's case: a late ``+0,"No error"`` was read as the answer to ``OUTP?``."""
    source = KeysightE36312A(link)
    source.set_over_voltage_protection(1, Q_(4.4, "V"))
    source.set_over_current_protection(1, Q_(0.5, "A"))
    source.set_voltage(1, Q_(4.2, "V"))
    source.output_on(1)
    assert control.state()["source"]["1"]["output_on"] is True
    time_out_then_let_the_late_reply_arrive(control, "source", source.write, "VOLT 4.1,(@1)")
    source.make_safe()
    assert control.state()["source"]["1"]["output_on"] is False


def test_make_safe_retries_a_confirmation_answered_by_a_late_reply(
    control: ControlClient, link: VisaTransport
) -> None:
    """The late reply lands while ``OUTP?`` waits: its shape gives it away, the query is repeated.

    The fault stays on, so every reply is late; the repeated query reads the first ``OUTP?``'s
    answer, or times out and the driver reconnects: either way only a real ``OUTP?`` answer
    confirms, and the outputs are off.
    """
    source = KeysightE36312A(link)
    control.transport("source", "slow_reply", TIMEOUT * 1.5)
    with pytest.raises(InstrumentTimeout):
        source.read_errors()
    control.transport("source", "slow_reply", TIMEOUT * 0.5)  # later replies within the timeout
    source.make_safe()
    control.transport("source", "none")
    assert not any(c["output_on"] for c in control.state()["source"].values())


def test_driver_on_a_reopened_link_keeps_working(control: ControlClient, link: VisaTransport):
    source = KeysightE36312A(link)
    link.reopen()
    assert link.nodelay is True
    assert link.timeout == pytest.approx(TIMEOUT)
    assert source.is_output_on(1) is False
