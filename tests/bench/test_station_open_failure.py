"""Opening a station is all-or-nothing: an instrument that cannot be opened closes the others.

The opener is replaced by fakes that record their ``close`` (which is where a driver makes its
instrument safe), so the test sees exactly which instruments were released and in what order.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.config import parse_station
from bench.endpoints import Endpoint
from bench.errors import StationError
from bench.station import open_station
from procedures.prompts import ScriptedPrompts

STATION: dict[str, Any] = {
    "station": {"id": "lab-01", "operator": "op"},
    "instruments": {
        "dmm": {"model": "34461A", "resource": "TCPIP::10.0.0.2::5025::SOCKET"},
        "source": {"model": "E36312A", "resource": "TCPIP::10.0.0.3::5025::SOCKET"},
        "load": {"model": "DL3021", "resource": "TCPIP::10.0.0.4::5555::SOCKET"},
        "rmeter": {"model": "BT3562", "resource": "COM3"},
    },
}


class Opened:
    def __init__(self, role: str, closed: list[str], fail_close: bool = False) -> None:
        self.role, self.closed, self.fail_close = role, closed, fail_close

    def close(self) -> None:
        self.closed.append(self.role)
        if self.fail_close:
            raise RuntimeError(f"{self.role} close failed")


def fake_opener(
    monkeypatch: pytest.MonkeyPatch,
    closed: list[str],
    broken: str,
    error: BaseException,
    fail_close: frozenset[str] = frozenset(),
) -> list[str]:
    opened: list[str] = []

    def open_endpoint(endpoint: Endpoint, config: object) -> Opened:
        if endpoint.role == broken:
            raise error
        opened.append(endpoint.role)
        return Opened(endpoint.role, closed, endpoint.role in fail_close)

    monkeypatch.setattr("bench.station.open_endpoint", open_endpoint)
    return opened


def test_unreachable_instrument_closes_the_ones_already_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []
    unreachable = StationError("instruments.load (TCPIP::10.0.0.4::5555::SOCKET): cannot open it")
    opened = fake_opener(monkeypatch, closed, "load", unreachable)
    config = parse_station(STATION, "lab.toml")
    with pytest.raises(StationError, match=r"instruments\.load"):
        open_station(config, prompts=ScriptedPrompts({}))
    assert opened == ["dmm", "source"]
    assert closed == ["source", "dmm"]  # the last opened is released first


def test_a_failing_close_does_not_stop_the_others_and_the_open_error_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []
    unreachable = StationError("instruments.rmeter (COM3): cannot open it")
    fake_opener(monkeypatch, closed, "rmeter", unreachable, fail_close=frozenset({"load"}))
    config = parse_station(STATION, "lab.toml")
    with pytest.raises(StationError, match=r"instruments\.rmeter"):
        open_station(config, prompts=ScriptedPrompts({}))
    assert closed == ["load", "source", "dmm"]


def test_ctrl_c_while_opening_still_closes_what_was_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []
    fake_opener(monkeypatch, closed, "rmeter", KeyboardInterrupt())
    config = parse_station(STATION, "lab.toml")
    with pytest.raises(KeyboardInterrupt):
        open_station(config, prompts=ScriptedPrompts({}))
    assert closed == ["load", "source", "dmm"]


def test_station_close_asks_every_instrument_once(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    fake_opener(monkeypatch, closed, "none", AssertionError(), fail_close=frozenset({"source"}))
    config = parse_station(STATION, "lab.toml")
    station = open_station(config, prompts=ScriptedPrompts({}))
    station.close()
    station.close()
    assert closed == ["rmeter", "load", "source", "dmm"]
