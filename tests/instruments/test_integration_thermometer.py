"""The 344xx temperature driver against the simulated bench's probe DMM over TCP.

The bench's second 34461A has its leads on the pack's 5 kOhm NTC; readings are compared with the
probe's true temperature from the control endpoint (``STATE?``), within the emulator's noise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from instruments.drivers.keysight_34461a import Keysight34461A
from instruments.errors import InstrumentTimeout, OverloadError
from instruments.factory import open_instrument
from instruments.roles import Thermometer
from instruments.transports.recording import RecordingTransport
from instruments.transports.replay import ReplayTransport
from instruments.transports.visa import VisaTransport
from instruments.units import Q_
from simulators.launcher import ControlClient, start_bench

NOISE_C = 0.1


@pytest.fixture
def thermometer(sim_bench: Any) -> Iterator[Keysight34461A]:
    meter = open_instrument(
        sim_bench.instruments["temperature"].resource, role="temperature", timeout=0.5
    )
    assert isinstance(meter, Keysight34461A)
    yield meter
    meter.close()


def test_factory_opens_the_probe_dmm_in_the_temperature_role(thermometer: Thermometer) -> None:
    assert thermometer.identity.model == "34461A"
    assert thermometer.identity.serial != "MY53012345"  # not the P+/P- multimeter


def test_reading_matches_the_probe_temperature(thermometer: Keysight34461A, sim_bench: Any) -> None:
    thermometer.configure_temperature()
    with ControlClient(sim_bench.control_address) as control:
        truth = control.state()["probe_temperature_c"]
    reading = thermometer.temperature()
    assert reading.to("degC").magnitude == pytest.approx(truth, abs=NOISE_C)
    measured = thermometer.measure_temperature()
    assert measured.to("degC").magnitude == pytest.approx(truth, abs=NOISE_C)


def test_reading_follows_a_heating_pack() -> None:
    """An internally shorted cell under charge heats: the probe DMM sees it rise."""
    with start_bench(fault="internal_short", seed=4) as sim, sim.client() as control:
        meter = open_instrument(sim.instruments["temperature"].resource, role="temperature")
        source = open_instrument(sim.instruments["source"].resource, role="source")
        try:
            assert isinstance(meter, Keysight34461A)
            meter.configure_temperature()
            before = meter.temperature()
            source.set_over_voltage_protection(1, Q_(4.4, "V"))  # type: ignore[attr-defined]
            source.set_over_current_protection(1, Q_(3.0, "A"))  # type: ignore[attr-defined]
            source.set_voltage(1, Q_(4.2, "V"))  # type: ignore[attr-defined]
            source.set_current_limit(1, Q_(2.6, "A"))  # type: ignore[attr-defined]
            source.output_on(1)  # type: ignore[attr-defined]
            control.advance(1200.0)
            after = meter.temperature()
            truth = control.state()["probe_temperature_c"]
        finally:
            source.close()
            meter.close()
    assert after.to("degC").magnitude == pytest.approx(truth, abs=NOISE_C)
    assert after - before > Q_(10, "delta_degC")


def test_rtd_conversion_of_a_thermistor_is_an_overload(thermometer: Keysight34461A) -> None:
    """A station that declares an RTD where a thermistor sits gets an error, never a value."""
    thermometer.configure_temperature("rtd")
    with pytest.raises(OverloadError):
        thermometer.temperature()
    thermometer.configure_temperature()


def test_the_voltage_dmm_has_no_probe(sim_bench: Any) -> None:
    """P+/P- is not a thermistor: the terminal DMM refuses the temperature function."""
    meter = open_instrument(sim_bench.instruments["dmm"].resource, role="dmm", timeout=0.5)
    try:
        assert isinstance(meter, Keysight34461A)
        meter.write("CONF:TEMP THER,5000")
        with pytest.raises(InstrumentTimeout):
            meter.temperature()
        assert meter.read_errors()[0][0] == -221
    finally:
        meter.close()


def test_a_bench_without_a_temperature_channel_serves_none() -> None:
    with start_bench(temperature_model=None) as sim:
        assert "temperature" not in sim.instruments


def test_recorded_temperature_session_replays_without_the_simulator(tmp_path: Path) -> None:
    """The exchanges recorded against the emulator drive the driver again, offline, identically."""
    path = tmp_path / "probe.jsonl"
    with start_bench(seed=5) as own_bench:
        live = VisaTransport.open(own_bench.instruments["temperature"].resource, timeout=0.5)
        with Keysight34461A(RecordingTransport(live, path)) as meter:
            meter.configure_temperature()
            readings = [meter.temperature() for _ in range(3)] + [meter.measure_temperature()]
    replay = ReplayTransport.from_file(path)
    with Keysight34461A(replay) as meter:
        meter.configure_temperature()
        assert [meter.temperature() for _ in range(3)] + [meter.measure_temperature()] == readings
    replay.assert_finished()
    sent = [line for line in path.read_text().splitlines() if "CONF:TEMP THER,5000" in line]
    assert sent, "the recording holds the configuring command"
