"""The 34461A driver against the simulated bench over TCP: readings, transport faults, replay.

Readings are compared with the bench's true terminal voltage (control endpoint) within the
34461A's 24-hour DC accuracy on the 10 V range (0.0015 % of reading + 0.0004 % of range, data
sheet) widened by a noise allowance, since the emulator adds seeded noise on top of the truth.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from instruments.drivers.keysight_34461a import Keysight34461A
from instruments.errors import (
    InstrumentTimeout,
    ProtocolError,
    ReplayDivergence,
    TransportError,
)
from instruments.factory import open_instrument
from instruments.transports.recording import RecordingTransport
from instruments.transports.replay import ReplayTransport
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench

NOISE_ALLOWANCE_V = 2e-3


def accuracy_volts(reading: float, range_volts: float = 10.0) -> float:
    return 0.000015 * abs(reading) + 0.000004 * range_volts + NOISE_ALLOWANCE_V


def true_terminal_voltage(state: dict[str, Any]) -> float:
    """The voltage the DMM's leads see, from the bench's true state."""
    return float(state["dmm_voltage"])


@pytest.fixture
def control(sim_bench: Any) -> Iterator[ControlClient]:
    client = ControlClient(sim_bench.control_address)
    yield client
    client.transport("dmm", "none")
    client.close()


@pytest.fixture
def dmm(sim_bench: Any) -> Iterator[Keysight34461A]:
    meter = open_instrument(sim_bench.instruments["dmm"].resource, role="dmm", timeout=0.5)
    assert isinstance(meter, Keysight34461A)
    yield meter
    meter.close()


def test_factory_identifies_the_simulated_dmm(dmm: Keysight34461A) -> None:
    assert dmm.identity.model == "34461A"
    assert dmm.identity.maker.startswith("Keysight")


def test_reading_matches_the_true_pack_voltage(dmm: Keysight34461A, control: ControlClient) -> None:
    dmm.configure_dc_voltage(Q_(10, "V"), nplc=10)
    assert dmm.nplc == 10
    assert dmm.dc_voltage_range == Q_(10, "V")
    reading = dmm.dc_voltage().to("V").magnitude
    truth = true_terminal_voltage(control.state())
    assert reading == pytest.approx(truth, abs=accuracy_volts(truth))
    measured = dmm.measure_dc_voltage().to("V").magnitude
    assert measured == pytest.approx(truth, abs=accuracy_volts(truth))


def test_emulator_error_queue_reaches_the_driver(dmm: Keysight34461A) -> None:
    dmm.transport.write("VOLT:DC:BOGUS 1")
    errors = dmm.read_errors()
    assert errors and errors[0][0] < 0


def test_no_reply_is_a_timeout_naming_resource_and_command(
    dmm: Keysight34461A, control: ControlClient
) -> None:
    control.transport("dmm", "no_reply")
    with pytest.raises(InstrumentTimeout) as caught:
        dmm.measure_dc_voltage()
    assert dmm.resource in str(caught.value)
    assert "'MEAS:VOLT:DC?'" in str(caught.value)


def test_garbage_is_a_protocol_error_quoting_the_reply(
    dmm: Keysight34461A, control: ControlClient
) -> None:
    control.transport("dmm", "garbage")
    with pytest.raises(ProtocolError, match=r"MEAS:VOLT:DC.*not a number: '"):
        dmm.measure_dc_voltage()


def test_disconnect_is_a_transport_error(dmm: Keysight34461A, control: ControlClient) -> None:
    control.transport("dmm", "disconnect")
    with pytest.raises(TransportError) as caught:
        dmm.measure_dc_voltage()
        dmm.measure_dc_voltage()  # the first may still be in flight when the link drops
    assert not isinstance(caught.value, InstrumentTimeout)
    assert dmm.resource in str(caught.value)
    dmm.close()
    dmm.close()


def test_recorded_session_replays_identically_without_the_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dmm.jsonl"
    with start_bench(seed=3) as own_bench:  # its own bench: stopped before the replay
        resource = own_bench.instruments["dmm"].resource
        port = own_bench.instruments["dmm"].port
        live = VisaTransport.open(resource, timeout=0.5)
        with Keysight34461A(RecordingTransport(live, path)) as meter:
            identity = meter.identity
            meter.configure_dc_voltage(Q_(10, "V"), nplc=1)
            readings = [meter.dc_voltage() for _ in range(5)] + [meter.measure_dc_voltage()]
    with pytest.raises(ConnectionRefusedError):  # the simulator is really gone
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"replay tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    replay = ReplayTransport.from_file(path)
    assert replay.resource == resource
    with Keysight34461A(replay) as meter:
        assert meter.identity == identity
        meter.configure_dc_voltage(Q_(10, "V"), nplc=1)
        assert [meter.dc_voltage() for _ in range(5)] + [meter.measure_dc_voltage()] == readings
    replay.assert_finished()

    diverging = ReplayTransport.from_file(path)
    with Keysight34461A(diverging) as meter:
        assert meter.identity == identity
        with pytest.raises(
            ReplayDivergence,
            match=r"exchange 3: expected send 'CONF:VOLT:DC 10'.*did send 'CONF:VOLT:DC 1'",
        ):
            meter.configure_dc_voltage(Q_(1, "V"), nplc=1)
