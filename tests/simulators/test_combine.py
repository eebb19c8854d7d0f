"""Combined faults (``a+b``) and the fit of a fault to the declared pack.

Covers the merge rules of ``simulators.combine`` on the physics bench, then each way a
combination is asked for: the control endpoint (``FAULT a+b``), the launcher
(``start_bench(fault="a+b")``) and ``python -m simulators --fault a+b``.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulators.combine import FaultCombinationError, fit_problem, resolve, resolve_for
from simulators.faults import CATALOGUE
from simulators.fixtures import BenchError, build_bench
from simulators.launcher import (
    ControlClient,
    ControlError,
    LaunchError,
    resolve_fault,
    start_bench,
)
from simulators.spec_file import load_pack_parameters

SPEC_DIR = Path(__file__).resolve().parents[2] / "procedures" / "specs"
ONE_S = SPEC_DIR / "PB-1S2P-18650-5200.toml"
TWO_S = SPEC_DIR / "PB-2S1P-18650-2600.toml"
IMPOSSIBLE = {
    "deep_discharge_uv+mosfet_latched": "initial_state",
    "charge_fet_short+charge_fet_open": "charge_fet",
    "discharge_fet_open+discharge_fet_short": "discharge_fet",
    "zero_volt_cell+internal_short": "series cell 1 voltage",
    "overcurrent_protection_failed+load_held_overcurrent": "over-current detection has failed",
}


def test_deep_discharge_with_an_aged_cell_keeps_both_and_the_worse_disposition() -> None:
    combined = resolve("deep_discharge_uv+aged_cell")
    assert combined.components == ("deep_discharge_uv", "aged_cell")
    assert combined.expected_findings == ("over_discharge_in_storage", "cell_aged_high_resistance")
    assert combined.expected_root_cause == "over_discharge_in_storage"
    assert combined.expected_disposition == "replace_cells"
    bench = build_bench(fault="deep_discharge_uv+aged_cell", spec=ONE_S)
    state = bench.true_state()
    assert state["fault"] == "deep_discharge_uv+aged_cell"
    assert state["board"]["state"] == "power_down"
    pack = load_pack_parameters(ONE_S)
    cell = state["pack"]["cells"][0]
    assert cell["voltage"] < pack.protection.overdischarge_detect
    healthy = build_bench(spec=ONE_S).pack.individual_cells
    for aged, fresh in zip(bench.pack.individual_cells, healthy, strict=True):  # both of the pair
        assert aged.parameters.r0 == pytest.approx(2.2 * fresh.parameters.r0)
        assert aged.parameters.capacity_ah == pytest.approx(0.7 * fresh.parameters.capacity_ah)


def test_a_combination_merges_board_and_cell_changes() -> None:
    combined = resolve("charge_fet_short+aged_cell")
    assert combined.board.charge_fet == "short"
    assert combined.cells[0].resistance_factor == 2.2
    # a new board and new cells: nothing of the pack is kept (as the diagnosis rules decide)
    assert combined.expected_disposition == "scrap"
    assert resolve("open_fuse+aged_cell").expected_disposition == "replace_cells"
    assert resolve("healthy+open_fuse") == CATALOGUE["open_fuse"]


def test_an_imbalance_keeps_its_gap_whichever_fault_comes_first() -> None:
    """The imbalanced cell's SOC is stated against the rest: their SOC comes with it."""
    imbalance = CATALOGUE["series_imbalance"]
    for name in ("aged_cell+series_imbalance", "series_imbalance+aged_cell"):
        combined = resolve(name)
        assert combined.soc == imbalance.soc
        assert combined.cells[0].soc == imbalance.cells[0].soc
    assert resolve("aged_cell+open_fuse").soc == CATALOGUE["aged_cell"].soc


@pytest.mark.parametrize(("name", "reason"), sorted(IMPOSSIBLE.items()))
def test_physically_impossible_combinations_are_refused_with_the_reason(
    name: str, reason: str
) -> None:
    with pytest.raises(FaultCombinationError, match="cannot exist") as error:
        resolve(name)
    assert reason in str(error.value)
    for part in name.split("+"):
        assert part in str(error.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("aged_cell+aged_cell", "given twice"),
        ("aged_cell+", "empty name"),
        ("aged_cell+melted", "unknown fault 'melted'"),
    ],
)
def test_malformed_combinations_name_the_fix(name: str, message: str) -> None:
    with pytest.raises(FaultCombinationError, match=message):
        resolve(name)


def test_every_pair_either_builds_on_a_2s_pack_or_is_refused_with_a_reason() -> None:
    """Over every pair of catalogue faults: a bench with both, or a refusal naming both."""
    built = 0
    for a, b in itertools.combinations(sorted(CATALOGUE), 2):
        name = f"{a}+{b}"
        try:
            resolve(name)
        except FaultCombinationError as error:
            assert "cannot exist" in str(error)
            continue
        if resolve(name).min_parallel > 1:  # a fault of one cell among parallel ones
            problem = fit_problem(resolve(name), load_pack_parameters(TWO_S))
            assert problem is not None and "cells in parallel" in problem
            continue
        bench = build_bench(fault=name, spec=TWO_S, seed=3)
        bench.advance(60.0)
        assert bench.true_state()["fault"] == resolve(name).name
        built += 1
    assert built >= 80


def test_a_fault_that_does_not_fit_the_spec_is_refused_not_rebuilt() -> None:
    pack = load_pack_parameters(ONE_S)
    problem = fit_problem(CATALOGUE["series_imbalance"], pack)
    assert problem is not None and "2 cells in series" in problem and "PB-1S2P" in problem
    with pytest.raises(BenchError, match="2 cells in series"):
        build_bench(fault="series_imbalance", spec=ONE_S)
    with pytest.raises(FaultCombinationError, match="2 cells in series"):
        resolve_for("aged_cell+series_imbalance", pack)
    bench = build_bench(fault="series_imbalance", spec=TWO_S)
    assert bench.true_state()["pack"]["series"] == 2
    with pytest.raises(LaunchError, match="2 cells in series"):
        resolve_fault("series_imbalance", ONE_S)


def test_control_endpoint_applies_a_combination_and_refuses_an_impossible_one() -> None:
    with start_bench(spec=ONE_S, serial=False) as sim, sim.client() as control:
        control.fault("deep_discharge_uv+aged_cell")
        state = control.state()
        assert state["fault"] == "deep_discharge_uv+aged_cell"
        assert state["board"]["state"] == "power_down"
        with pytest.raises(ControlError, match=r"cannot exist.*initial_state"):
            control.fault("deep_discharge_uv+mosfet_latched")
        with pytest.raises(ControlError, match="2 cells in series"):
            control.fault("series_imbalance")
        with pytest.raises(ControlError, match="unknown fault 'melted'"):
            control.fault("aged_cell+melted")
        assert control.state()["fault"] == "deep_discharge_uv+aged_cell"  # refusals change nothing


def test_launcher_refuses_before_serving() -> None:
    with pytest.raises(LaunchError, match="cannot exist"):
        start_bench(fault="charge_fet_short+charge_fet_open")
    with pytest.raises(LaunchError, match="2 cells in series"):
        start_bench(fault="series_imbalance", spec=ONE_S)


def test_python_m_simulators_takes_a_combination_and_refuses_an_impossible_one() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "simulators", "--fault", "deep_discharge_uv+mosfet_latched"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "cannot exist" in refused.stderr and "initial_state" in refused.stderr
    served = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--fault", "deep_discharge_uv+aged_cell", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert served.stdout is not None
        first = served.stdout.readline()
        assert '"control"' in first, served.stderr.read() if served.stderr else ""
        with ControlClient(json.loads(first)["control"]) as control:
            assert control.state()["fault"] == "deep_discharge_uv+aged_cell"
    finally:
        served.terminate()
        served.wait(timeout=30)
