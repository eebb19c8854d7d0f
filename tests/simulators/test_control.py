"""The control endpoint's line protocol, spoken over a real TCP connection."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Iterator

import pytest
from wire_doubles import fake_server

from simulators.launcher import ControlClient, ControlError, SimulatedBenchServer, start_bench


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedBenchServer]:
    with fake_server(serial_roles=frozenset({"rmeter"})) as server:
        yield server


@pytest.fixture
def control(sim: SimulatedBenchServer) -> Iterator[ControlClient]:
    with ControlClient(sim.control_address) as client:
        client.reset()
        yield client


def raw(sim: SimulatedBenchServer, *lines: str) -> list[dict[str, object]]:
    """Send lines in one segment, read one JSON reply per line (the protocol, not the client)."""
    with socket.create_connection(sim.control, timeout=5) as sock:
        sock.sendall("".join(line + "\n" for line in lines).encode())
        data = b""
        while data.count(b"\n") < len(lines):
            chunk = sock.recv(65536)
            assert chunk, "control endpoint closed the connection"
            data += chunk
    return [json.loads(line) for line in data.splitlines()]


def plain(state: object) -> dict[str, object]:
    """The fake's state without its ``non_finite`` sample (tested on its own below)."""
    assert isinstance(state, dict)
    return {key: value for key, value in state.items() if key != "non_finite"}


def test_advance_and_time(control: ControlClient) -> None:
    assert control.time() == 0.0
    assert control.advance(7200) == 7200.0
    assert control.advance(0.5) == 7200.5
    assert control.time() == 7200.5


def test_verbs_are_case_insensitive_and_replies_one_per_line(sim: SimulatedBenchServer) -> None:
    replies = raw(sim, "reset", "advance 2", "Time?", "state?")
    assert [r["ok"] for r in replies] == [True] * 4
    assert replies[1]["time"] == 2.0 and replies[2]["time"] == 2.0
    assert plain(replies[3]["state"]) == {"time": 2.0, "fault": "healthy", "fixture": ["pack", 0]}


def test_state_fault_and_fixture(control: ControlClient) -> None:
    control.fault("dead")
    control.fixture("cell", 2)
    assert plain(control.state()) == {"time": 0.0, "fault": "dead", "fixture": ["cell", 2]}


def test_faults_lists_the_catalogue(control: ControlClient) -> None:
    assert [entry["name"] for entry in control.faults()] == ["healthy", "dead"]


def test_transport_query_reports_each_role(control: ControlClient) -> None:
    control.transport("source", "slow_reply", 0.25)
    assert control.command("TRANSPORT?")["transport"] == {
        "dmm": "none",
        "source": "slow_reply 0.25",
        "rmeter": "none",
    }


def test_reset_rebuilds_the_world(control: ControlClient) -> None:
    control.advance(30)
    control.fault("dead")
    control.transport("dmm", "garbage")
    control.reset()
    assert plain(control.state()) == {"time": 0.0, "fault": "healthy", "fixture": ["pack", 0]}
    assert set(control.command("TRANSPORT?")["transport"].values()) == {"none"}


def test_speed_switches_real_time_on_and_off(control: ControlClient) -> None:
    assert control.command("SPEED 60")["speed"] == 60.0
    assert control.command("SPEED?")["speed"] == 60.0
    before = control.time()
    # Time now flows with the wall clock; poll until it has (no wall-time assertion).
    for _ in range(100_000):
        if control.time() != before:
            break
    assert control.time() > before
    control.speed(None)
    assert control.command("SPEED?")["speed"] is None
    frozen = control.time()
    control.command("STATE?")
    assert control.time() == frozen


def test_instruments_query(control: ControlClient, sim: SimulatedBenchServer) -> None:
    listed = control.command("INSTRUMENTS?")["instruments"]
    assert listed["dmm"] == {"model": "34461A", "port": sim.instruments["dmm"].port, "pty": None}
    assert listed["rmeter"]["pty"] == sim.instruments["rmeter"].pty


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("FLY 3", ["unknown command", "ADVANCE", "STATE?"]),
        ("ADVANCE", ["usage: ADVANCE <seconds>"]),
        ("ADVANCE soon", ["not a number"]),
        ("ADVANCE -1", ["0.."]),
        ("ADVANCE nan", ["finite"]),
        ("FAULT meltdown", ["unknown fault", "healthy", "dead"]),
        ("FIXTURE bench", ["unknown fixture", "pack, board, cell"]),
        ("FIXTURE cell x", ["whole number"]),
        ("FIXTURE cell 9", ["out of range"]),  # the bench's own refusal
        ("TRANSPORT psu none", ["unknown role", "dmm", "source", "rmeter"]),
        ("TRANSPORT dmm flaky", ["unknown transport fault", "slow_reply <seconds>"]),
        ("TRANSPORT dmm slow_reply", ["needs a delay"]),
        ("TRANSPORT dmm garbage 3", ["takes no argument"]),
        ("SPEED fast", ["not a number"]),
        ("SPEED -2", ["SPEED factor"]),
        ("STATE? now", ["usage: STATE?"]),
    ],
)
def test_errors_say_what_is_wrong_and_what_is_valid(
    sim: SimulatedBenchServer, line: str, words: list[str]
) -> None:
    (reply,) = raw(sim, line)
    assert reply["ok"] is False
    for word in words:
        assert word in str(reply["error"]), (word, reply)


def test_client_raises_on_refusal(control: ControlClient) -> None:
    with pytest.raises(ControlError, match="unknown fault 'meltdown'"):
        control.fault("meltdown")
    assert control.time() == 0.0  # the connection stays usable


def test_client_rejects_a_malformed_address() -> None:
    with pytest.raises(ControlError, match=r"127\.0\.0\.1:5000"):
        ControlClient("localhost")


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"reply is not strict JSON: bare {name}")


def test_state_is_strict_json_with_non_finite_numbers_as_strings(sim: SimulatedBenchServer) -> None:
    with socket.create_connection(sim.control, timeout=5) as sock:
        sock.sendall(b"STATE?\n")
        data = b""
        while not data.endswith(b"\n"):
            data += sock.recv(65536)
    reply = json.loads(data, parse_constant=_refuse_constant)
    assert reply["state"]["non_finite"] == {"open": "Infinity", "sink": "-Infinity", "ratio": "NaN"}


def test_client_reads_non_finite_numbers_back_as_floats(control: ControlClient) -> None:
    values = control.state()["non_finite"]
    assert values["open"] == math.inf and values["sink"] == -math.inf
    assert math.isnan(values["ratio"])
    assert control.state()["fault"] == "healthy"  # other strings stay strings


def test_cell_verb_sets_a_cell_at_rest_and_refuses_bad_input() -> None:
    with start_bench(serial=False) as bench, bench.client() as client:
        client.cell_voltage(0, 3.0)
        assert client.state()["pack"]["cells"][0]["voltage"] == pytest.approx(3.0, abs=1e-3)
        for line, message in [
            ("CELL 5 3.0", "out of range"),
            ("CELL x 3.0", "whole number"),
            ("CELL 0 9", "0..5"),
            ("CELL 0", "usage"),
        ]:
            with pytest.raises(ControlError, match=message):
                client.command(line)
