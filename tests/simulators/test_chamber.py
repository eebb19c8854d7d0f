"""The emulated ESPEC SU-241 around the cell fixture: its dialect, and the cells it cools.

The chamber holds the pack's air; the cells follow through their own thermal mass, so the
pack's probe reaches the set point only after a soak, and the 1 kHz resistance of every cell
grows as it cools (doubling from 25 to 0 degC), a plated cell's far more.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from simulators.emulators.espec_su import EspecSU241
from simulators.fixtures import SimulatedBench, build_bench
from simulators.launcher import start_bench
from simulators.wiring import ROOM_C


@pytest.fixture
def chamber() -> Iterator[tuple[EspecSU241, SimulatedBench]]:
    bench = build_bench(fault="lithium_plating")
    yield EspecSU241(bench), bench


def ask(chamber: EspecSU241, line: str) -> str:
    return chamber.receive(f"{line}\r\n".encode()).decode().removesuffix("\r\n")


def test_every_line_is_answered_ok_or_na(chamber: tuple[EspecSU241, SimulatedBench]) -> None:
    emulator, bench = chamber
    assert ask(emulator, "TYPE?").startswith("SU-241,")
    assert ask(emulator, "TEMP, S-10.0") == "OK: TEMP, S-10.0"
    assert ask(emulator, "MODE?") == "STANDBY"
    assert bench.ambient == ROOM_C  # standby: the set point is not held
    assert ask(emulator, "MODE, CONSTANT") == "OK: MODE, CONSTANT"
    assert bench.ambient == -10.0
    assert ask(emulator, "TEMP?").split(",")[1:] == ["-10.0", "155.0", "-45.0"]
    assert ask(emulator, "TEMP, S-60") == "NA: DATA OUT OF RANGE"
    assert ask(emulator, "TEMP, Sabc") == "NA: DATA NOT READY"
    assert ask(emulator, "HUMI, S50") == "NA: COMMAND ERR"
    assert ask(emulator, "MODE, STANDBY") == "OK: MODE, STANDBY"
    assert bench.ambient == ROOM_C


def test_two_commands_in_one_write_get_two_replies(
    chamber: tuple[EspecSU241, SimulatedBench],
) -> None:
    emulator, _ = chamber
    replies = emulator.receive(b"TEMP, S5.0\r\nMODE, CONSTANT\r\nMODE?")
    assert replies == b"OK: TEMP, S5.0\r\nOK: MODE, CONSTANT\r\n"
    assert emulator.receive(b"\r\n") == b"CONSTANT\r\n"


def test_the_cells_follow_the_air_through_their_own_soak(
    chamber: tuple[EspecSU241, SimulatedBench],
) -> None:
    emulator, bench = chamber
    bench.set_fixture("cell", 1)  # the healthy neighbour of the plated cell
    warm_healthy = bench.probe().resistance
    bench.set_fixture("cell", 0)
    warm_plated = bench.probe().resistance
    ask(emulator, "TEMP, S0.0")
    ask(emulator, "MODE, CONSTANT")
    bench.advance(600.0)
    assert 5.0 < bench.probe_temperature() < 24.0  # on its way, not there: a soak, not a jump
    bench.advance(3 * 3600.0)
    assert bench.probe_temperature() == pytest.approx(0.0, abs=0.1)
    cold_plated = bench.probe().resistance
    bench.set_fixture("cell", 1)
    cold_healthy = bench.probe().resistance
    assert cold_healthy / warm_healthy == pytest.approx(2.0, rel=0.01)  # battery-domain §6.2
    assert cold_plated / warm_plated == pytest.approx(6.0, rel=0.02)  # and 3x more when plated


def test_a_fault_applied_again_keeps_the_chambers_air(
    chamber: tuple[EspecSU241, SimulatedBench],
) -> None:
    emulator, bench = chamber
    ask(emulator, "TEMP, S0.0")
    ask(emulator, "MODE, CONSTANT")
    bench.apply_fault("healthy")
    bench.advance(6 * 3600.0)
    assert bench.probe_temperature() == pytest.approx(0.0, abs=0.1)


def test_the_bench_serves_the_chamber_on_a_pty_only_when_asked() -> None:
    with start_bench(fault="healthy") as plain:
        assert "chamber" not in plain.instruments
    with start_bench(fault="swollen_cell", chamber_model="SU-241") as sim:
        endpoint = sim.instruments["chamber"]
        assert endpoint.model == "SU-241" and endpoint.pty is not None
        with sim.client() as control:
            state = control.state()
    assert state["ambient_c"] == ROOM_C
    bulges = [m["swelling_mm"] for g in state["pack"]["cells"] for m in g["members"]]
    assert bulges[0] == 1.5 and all(b == 0.0 for b in bulges[1:])
    assert all(math.isfinite(b) for b in bulges)


def test_an_ambient_outside_any_chamber_is_refused() -> None:
    bench = build_bench()
    with pytest.raises(ValueError, match=r"outside -70 \.\. 180 degC"):
        bench.set_ambient(-100.0)
