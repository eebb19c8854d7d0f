"""Two faults at once, diagnosed over the wire: the primary cause and the contributing finding.

Each case builds a pair of catalogue faults the catalogue does not combine (``a+b``,
``simulators.combine``) on a shipped spec that fits both, starts the simulated bench with the
source and load the built-in station picks for that spec, opens the real drivers and runs the
full diagnosis on virtual time (helpers from ``test_diagnosis_matrix``). Per seed it checks:

* the primary root cause the rules rank first, and the other fault named as a ``contributing``
  conclusion (or, where the rules treat one as a consequence of the other per ``EXPLAINS``, that
  it is left out, with the reason stated in the case);
* the disposition equals the answer key of the combination (the most severe one needed; a new
  board and new cells together is scrap), and the rules' explanation names every finding;
* the run-level verdict agrees with the findings: a FAIL never ends in "no fault found", and a
  pack with a finding that needs more than a recharge is not a plain PASS;
* every output is off at the end, every conclusion cites a measurement the run took, and every
  failed measurement is cited by a finding that explains it.

Then a combination that cannot exist is refused by the launcher with its reason, before any
instrument is served. About 19 cases x 2 seeds at ~0.5 s each.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from test_diagnosis_matrix import (
    assert_conclusions_cite_measurements,
    diagnose,
    energy_off,
    simulated_bench,
)

from bench.config import load_station
from bench.source_choice import choose_source
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.diagnosis.rules import EXPLAINS
from procedures.engine import RunResult
from procedures.records import Verdict
from procedures.specs import load_builtin_specs
from simulators.faults import CATALOGUE
from simulators.launcher import LaunchError, resolve_fault, start_bench

SEEDS = (0, 1)
ONE_S = "PB-1S2P-18650-5200"
ONE_S_SMALL = "PB-1S1P-18650-2600"
TWO_S = "PB-2S1P-18650-2600"
THREE_S = "PB-3S1P-18650-3000"
LFP_4S = "PB-4S1P-26650-LFP"


@dataclass(frozen=True)
class Pair:
    fault: str
    spec: str
    primary: str
    contributing: str | None
    """``None``: the second fault is a consequence of the primary (``EXPLAINS``)."""
    why: str = ""
    capacity_check: bool = False

    @property
    def id(self) -> str:
        return f"{self.fault}@{self.spec}" + ("+capacity_check" if self.capacity_check else "")


PAIRS = (
    # a plated cell behind a flat pack: the cold readings of the opened cells name it, and the
    # capacity the recharge from the release put in is its lithium lost, not a second finding
    Pair(
        "deep_discharge_uv+lithium_plating",
        ONE_S,
        "cell_lithium_plating",
        "over_discharge_in_storage",
    ),
    Pair("open_fuse+lithium_plating", ONE_S, "fuse_open", "cell_lithium_plating"),
    # one worn cell of the 1S2P pair: only the opened pack's per-cell reading shows it
    Pair(
        "deep_discharge_uv+parallel_cell_aged",
        ONE_S,
        "cell_aged_high_resistance",
        "over_discharge_in_storage",
    ),
    Pair(
        "charge_fet_short+parallel_cell_aged",
        ONE_S,
        "charge_mosfet_shorted",
        "cell_aged_high_resistance",
    ),
    Pair("open_fuse+parallel_cell_aged", ONE_S, "fuse_open", "cell_aged_high_resistance"),
    # the capacity a complete CC-CV from the UV release put in shows the worn cell
    Pair(
        "deep_discharge_uv+aged_cell",
        ONE_S,
        "cell_aged_high_resistance",
        "over_discharge_in_storage",
    ),
    Pair("aged_cell+series_imbalance", TWO_S, "cell_aged_high_resistance", "cell_imbalance"),
    Pair("aged_cell+series_imbalance", THREE_S, "cell_aged_high_resistance", "cell_imbalance"),
    Pair("charge_fet_short+aged_cell", ONE_S, "charge_mosfet_shorted", "cell_aged_high_resistance"),
    Pair("open_fuse+aged_cell", ONE_S_SMALL, "fuse_open", "cell_aged_high_resistance"),
    Pair(
        "high_self_discharge+aged_cell",
        ONE_S,
        "cell_aged_high_resistance",
        "cell_high_self_discharge",
    ),
    # the worn cell tops the charge past its over-charge detection: the first rested reading is
    # taken through the charge FET's body diode and the terminal rises once the leaking cell
    # releases the board; the rest is repeated from there (``rest_and_self_discharge``)
    Pair(
        "high_self_discharge+aged_cell",
        THREE_S,
        "cell_aged_high_resistance",
        "cell_high_self_discharge",
    ),
    Pair(
        "overcurrent_protection_failed+aged_cell",
        ONE_S,
        "overcurrent_protection_failed",
        "cell_aged_high_resistance",
    ),
    Pair(
        "load_held_overcurrent+aged_cell", ONE_S, "cell_aged_high_resistance", "device_overcurrent"
    ),
    Pair(
        "discharge_fet_short+aged_cell",
        THREE_S,
        "discharge_mosfet_shorted",
        "cell_aged_high_resistance",
    ),
    Pair("charge_fet_open+aged_cell", ONE_S, "charge_mosfet_open", "cell_aged_high_resistance"),
    Pair(
        "deep_discharge_uv+charge_fet_short",
        ONE_S,
        "charge_mosfet_shorted",
        "over_discharge_in_storage",
    ),
    Pair(
        "deep_discharge_uv+series_imbalance", LFP_4S, "cell_imbalance", "over_discharge_in_storage"
    ),
    Pair("charge_fet_short+series_imbalance", TWO_S, "charge_mosfet_shorted", "cell_imbalance"),
    Pair(
        "mosfet_latched+high_self_discharge",
        TWO_S,
        "cell_high_self_discharge",
        "protection_latched",
    ),
    Pair("open_fuse+series_imbalance", TWO_S, "fuse_open", "cell_imbalance"),
    Pair(
        "deep_discharge_uv+high_self_discharge",
        ONE_S,
        "cell_high_self_discharge",
        None,
        why="a cell that loses its charge at rest is why the pack went flat into its under-voltage "
        "protection: one cause, not two",
    ),
    Pair(
        # Without the capacity check a latched pack that wakes and passes the closed-pack tests
        # goes back whole (no disassembly), and a recharge from half charge is no capacity:
        # the worn cell shows only through the discharge capacity check (see the test below).
        "mosfet_latched+aged_cell",
        ONE_S,
        "cell_aged_high_resistance",
        "protection_latched",
        capacity_check=True,
    ),
)


KNOWN_LIMITS = (
    (
        Pair("aged_cell+series_imbalance", LFP_4S, "cell_aged_high_resistance", "cell_imbalance"),
        "the good LFP cells, pushed past their 3.65 V charge voltage by the lagging cell, relax "
        "for days at the steep top of the LFP curve: the 24 h rest after a 1 h relax reads that "
        "as self-discharge (55 mV/d against 33), which then hides the imbalance it stems from",
    ),
    (
        Pair(
            "charge_fet_short+aged_cell",
            LFP_4S,
            "charge_mosfet_shorted",
            "cell_aged_high_resistance",
        ),
        "the worn LFP cell, over-charged to 3.75 V through the shorted charge FET, relaxes at "
        "rest and is read as a third finding, high self-discharge (112 mV/d)",
    ),
    (
        Pair(
            "deep_discharge_uv+aged_cell",
            LFP_4S,
            "cell_aged_high_resistance",
            "over_discharge_in_storage",
        ),
        "diagnoses on seed 0 since the LFP cells have solid diffusion (3.3 mV/d), not on seed "
        "1: the worn LFP cell (2.2x DC resistance, 70 % capacity) reaches its 3.75 V over-charge "
        "detection under the 0.5C charge before the pack reaches CV (the charge ends cut off), "
        "then relaxes for a day at the steep top of the LFP curve: the 24 h rest after a 1 h "
        "relax reads that as self-discharge (54 mV/d against 33), which then hides the storage "
        "over-discharge it explains",
    ),
    (
        Pair(
            "high_self_discharge+aged_cell",
            LFP_4S,
            "cell_aged_high_resistance",
            "cell_high_self_discharge",
        ),
        "seed 1 diagnoses, partly for the wrong reason above (the worn cell's relaxation at the "
        "top adds to the leak: 79 mV/d against 33); on seed 0, since the LFP cells have solid "
        "diffusion, the worn cell no longer relaxes there and the leak alone, on the flat LFP "
        "curve, shows 14.7 mV/d: the self-discharge is missed",
    ),
    (
        Pair("open_fuse+series_imbalance", LFP_4S, "fuse_open", "cell_imbalance"),
        "with the fuse open the pack cannot be charged, and 35 % SOC apart on the flat LFP "
        "curve is 81 mV, within the 0.1 V spread (judged for a charged pack)",
    ),
)
"""Pairs that do not diagnose fully on the LFP pack, each with the reason: the self-discharge
and spread judgments read voltages, and LFP's flat (and at the top steep) curve defeats them.
Strict xfail over every seed of ``SEEDS``: a fix that holds on all of them turns them into
failures here, to be moved into ``PAIRS`` (which asks the same seeds)."""


def assert_every_failure_explained(result: RunResult) -> None:
    """Each failed measurement is cited by the root cause or a contributing finding: no failure
    of the run stands beside the conclusions unexplained."""
    cited = {
        ref
        for c in result.outcome.conclusions
        if c.kind in ("root_cause", "contributing")
        for ref in c.evidence
    }
    failed = {
        f"{step.name}/{m.name}"
        for step in result.steps
        for m in step.measurements
        if m.verdict is Verdict.FAIL
    }
    assert failed <= cited, f"failed but explained by no finding: {sorted(failed - cited)}"


def _values(result: RunResult, kind: str) -> list[str]:
    return [c.value for c in result.outcome.conclusions if c.kind == kind]


def _run(pair: Pair, seed: int) -> tuple[RunResult, bool]:
    spec = load_builtin_specs()[pair.spec]
    station = load_station(None)
    models = (choose_source(station, spec).model, station.instruments["load"].model)
    options = DiagnosisOptions(discharge_capacity_check=pair.capacity_check)
    with simulated_bench(pair.fault, spec_name=pair.spec, models=models, seed=seed) as run:
        result = diagnose(run, options=options)
        with run.sim.client() as control:
            state = control.state()
        assert run.sim.emulator_errors == []
    return result, energy_off(state)


def test_the_pairs_are_at_least_ten_combinations_the_catalogue_does_not_name() -> None:
    combinations = {p.fault for p in PAIRS}
    assert len(combinations) >= 10
    assert not combinations & set(CATALOGUE)
    for pair in PAIRS:
        assert pair.spec in load_builtin_specs()


@pytest.mark.slow
@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_a_pair_names_its_primary_cause_and_the_contributing_finding(pair: Pair) -> None:
    combined = resolve_fault(pair.fault, load_builtin_specs()[pair.spec].source)
    assert len(combined.components) == 2
    expected = {pair.primary} | ({pair.contributing} if pair.contributing else set())
    if pair.contributing is None:
        # the consequence the primary explains is the pair's other component
        (other,) = set(combined.expected_findings) - {pair.primary}
        assert other in EXPLAINS[pair.primary], pair.why
        assert pair.why
    else:
        assert expected == set(combined.expected_findings)
    for seed in SEEDS:
        result, off = _run(pair, seed)
        where = (pair.id, seed, result.outcome.message)
        assert result.verdict < Verdict.ERROR, where
        assert _values(result, "root_cause") == [pair.primary], where
        assert _values(result, "contributing") == (
            [pair.contributing] if pair.contributing else []
        ), where
        (disposition,) = [c for c in result.outcome.conclusions if c.kind == "disposition"]
        assert disposition.value == combined.expected_disposition, where
        for cause in expected:
            assert cause in disposition.explanation, where
        # the run-level verdict and the findings agree
        assert disposition.value != "no_fault_found", where
        if disposition.value not in ("recharge_and_return", "no_fault_found"):
            assert Verdict.MARGINAL <= result.verdict <= Verdict.FAIL, where
        assert off, where
        assert_conclusions_cite_measurements(result)
        assert_every_failure_explained(result)


@pytest.mark.parametrize(
    "pair",
    [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=why)) for p, why in KNOWN_LIMITS],
    ids=[p.id for p, _ in KNOWN_LIMITS],
)
def test_known_limits_on_the_lfp_pack(pair: Pair) -> None:
    for seed in SEEDS:
        result, off = _run(pair, seed)
        assert off
        assert _values(result, "root_cause") == [pair.primary], seed
        assert _values(result, "contributing") == [pair.contributing], seed


def test_a_latched_pack_with_a_worn_cell_without_the_capacity_check() -> None:
    """Documented limit: the worn cell is not judged, and the run says which evidence is missing.

    The wake explains the complaint and the closed pack passes, so the pack goes back whole
    (the sequence opens it only while the fault is unexplained); a recharge from half charge is
    no capacity measurement. The run records the capacity as not measured, naming the check that
    would judge it, and the disposition says the cells were not judged.
    """
    pair = Pair("mosfet_latched+aged_cell", ONE_S, "protection_latched", None)
    result, off = _run(pair, seed=0)
    assert _values(result, "root_cause") == ["protection_latched"]
    capacity = result.measurement("charge_capacity")
    assert capacity.verdict is Verdict.SKIPPED
    assert "discharge capacity check" in capacity.comparison
    (disposition,) = [c for c in result.outcome.conclusions if c.kind == "disposition"]
    assert disposition.value == "recharge_and_return"
    assert "cells' health was not judged" in disposition.explanation
    assert "wake_recharge/charge_capacity" in disposition.evidence
    assert off


def test_a_combination_that_cannot_exist_is_refused_before_anything_is_served() -> None:
    spec = load_builtin_specs()[ONE_S]
    with (
        pytest.raises(LaunchError, match="cannot exist") as refused,
        start_bench(fault="deep_discharge_uv+mosfet_latched", spec=spec.source),
    ):
        pytest.fail("a bench was served for a pack that cannot exist")
    reason = str(refused.value)
    assert "initial_state" in reason
    assert "deep_discharge_uv" in reason and "mosfet_latched" in reason
