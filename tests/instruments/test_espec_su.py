"""The ESPEC SU/SH chamber driver against the emulated SU-241 over its pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest

from instruments.drivers.espec_su import EspecSU
from instruments.errors import (
    InstrumentReportedError,
    ProtocolError,
    SettingOutOfRange,
    UnknownInstrument,
)
from instruments.factory import open_instrument, open_transport
from instruments.roles import TemperatureChamber
from instruments.transport import Transport
from instruments.units import Q_
from simulators.launcher import SimulatedBenchServer, start_bench


@pytest.fixture
def sim() -> Iterator[SimulatedBenchServer]:
    with start_bench(fault="healthy", chamber_model="SU-241") as running:
        yield running


def _open(sim: SimulatedBenchServer, model: str = "SU-241") -> EspecSU:
    pty = sim.instruments["chamber"].pty
    assert pty is not None
    chamber = open_instrument(pty, role="chamber", model=model, timeout=2.0)
    assert isinstance(chamber, EspecSU) and isinstance(chamber, TemperatureChamber)
    return chamber


def test_opened_by_model_it_names_itself_from_type(sim: SimulatedBenchServer) -> None:
    chamber = _open(sim)
    try:
        assert (chamber.identity.maker, chamber.identity.model) == ("ESPEC", "SU-241")
        assert chamber.air_temperature().m_as("degC") == pytest.approx(25.0, abs=0.2)
    finally:
        chamber.close()


def test_set_point_run_and_standby_move_the_air(sim: SimulatedBenchServer) -> None:
    chamber = _open(sim)
    try:
        chamber.set_temperature(Q_(0.0, "degC"))
        chamber.run()
        assert chamber.air_temperature().m_as("degC") == pytest.approx(0.0, abs=0.2)
    finally:
        chamber.close()  # the safe state: standby
    with sim.client() as control:
        assert control.state()["ambient_c"] == 25.0


def test_a_set_point_outside_the_model_is_refused_before_sending(
    sim: SimulatedBenchServer,
) -> None:
    chamber = _open(sim)
    try:
        with pytest.raises(SettingOutOfRange, match="nothing was sent"):
            chamber.set_temperature(Q_(-50.0, "degC"))
        with pytest.raises(Exception, match="expected a quantity"):
            chamber.set_temperature(0.0)  # type: ignore[arg-type]
    finally:
        chamber.close()


def test_a_refusal_by_the_chamber_raises_with_the_command_and_its_reason(
    sim: SimulatedBenchServer,
) -> None:
    """An SU-261 reaches -60 degC; the SU-241 behind the port answers NA. (The factory would
    refuse the mismatch: ``TYPE?`` names an SU-241, checked in the next test.)"""
    pty = sim.instruments["chamber"].pty
    assert pty is not None
    chamber = EspecSU(open_transport(pty, timeout=2.0), model="SU-261")
    try:
        with pytest.raises(InstrumentReportedError, match=r"'TEMP, S-50.0' refused: DATA OUT"):
            chamber.set_temperature(Q_(-50.0, "degC"))
    finally:
        chamber.close()


class _Garbled:
    """A transport whose chamber answers garbage to every query."""

    resource = "loop://"
    timeout = 1.0

    def write(self, message: str) -> None: ...

    def read(self) -> str:
        return "???"

    def query(self, message: str) -> str:
        return "???"

    def write_raw(self, data: bytes) -> None: ...

    def read_raw(self, size: int) -> bytes:
        return b""

    def close(self) -> None: ...


def test_the_factory_refuses_a_chamber_that_names_another_model(
    sim: SimulatedBenchServer,
) -> None:
    with pytest.raises(UnknownInstrument, match="expected model SU-261"):
        _open(sim, model="SU-261")


def test_a_reply_that_is_neither_ok_nor_na_is_a_protocol_error() -> None:
    chamber = EspecSU(cast(Transport, _Garbled()))
    with pytest.raises(ProtocolError, match="not OK/NA"):
        chamber.run()
    with pytest.raises(ProtocolError, match="TEMP\\?"):
        chamber.air_temperature()


def test_the_mode_is_read_back_running_and_at_standby(sim: SimulatedBenchServer) -> None:
    chamber = _open(sim)
    try:
        assert not chamber.is_controlling()
        chamber.set_temperature(Q_(0.0, "degC"))
        chamber.run()
        assert chamber.is_controlling() and chamber.mode() == "CONSTANT"
        chamber.make_safe()
        assert not chamber.is_controlling()
    finally:
        chamber.close()


class _DeafToStandby(_Garbled):
    """A chamber that acknowledges ``MODE, STANDBY`` and goes on running (a stuck controller)."""

    def query(self, message: str) -> str:
        return "CONSTANT" if message == "MODE?" else f"OK: {message}"


def test_a_standby_that_is_acknowledged_but_not_read_back_is_not_safe() -> None:
    """The watchdog and the safe start trust ``make_safe``: it must raise, not return."""
    chamber = EspecSU(cast(Transport, _DeafToStandby()))
    with pytest.raises(InstrumentReportedError, match="still answers 'CONSTANT'"):
        chamber.make_safe()
