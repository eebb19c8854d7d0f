"""Capacity judged, over the wire: the recharge from the under-voltage release and the discharge
capacity check, on the simulated bench with the real drivers, for every shipped spec.

The DP832's 32 V channel serves every shipped spec's charge voltage and 0.5C current; the
DL3021 load discharges them. A healthy pack must pass (its cells hold their rated capacity), the
catalogue's aged cell (70 % capacity) must fail, and a pack that did not start from the
under-voltage release must not be judged on its charge at all.
"""

from __future__ import annotations

import pytest
from test_diagnosis_matrix import ANSWERS, SimRun, simulated_bench

from procedures.diagnosis.capacity import CHARGE_CAPACITY, DISCHARGE_CAPACITY, make_capacity_check
from procedures.diagnosis.fixtures import ControlFixtures, DiagnosisOptions
from procedures.diagnosis.voltage_check import make_voltage_check
from procedures.diagnosis.wake_recharge import make_wake_recharge
from procedures.engine import Procedure, RunResult, Step, run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Verdict
from procedures.specs import SPEC_DIR

SPECS = sorted(p.stem for p in SPEC_DIR.glob("*.toml"))
MODELS = ("DP832", "DL3021")
OPTIONS = DiagnosisOptions(discharge_capacity_check=True)
NEVER_FULL = {
    ("aged_cell", "PB-4S1P-26650-LFP"),
    ("aged_cell", "PB-3S1P-18650-3000"),
}
"""Series packs whose worn cell (70 % capacity, 2.2x resistance) reaches its over-charge
detection before the pack reaches CV, so the board cuts the charge: the pack is never full, and
the discharge check is rightly not performed (a discharge from there would not show the
capacity). In the 4S LFP pack at 3.75 V, on LFP's steep top. In the 3S NMC pack with the
DFN-fitted cells: their 10 s DC resistance is about twice the 1 kHz figure (28.5 mOhm x 5 Ah,
scaled to the cell, times 2.2 for the worn one), so under the 0.5C charge the worn cell, which
also fills 1/0.7 times faster, reads 4.24-4.26 V (detection 4.25 +- 0.025 V) while its healthy
neighbours read 3.96-3.97 V, about 35 min into the CC phase, and the charge ends cut off (seeds
0-2; the fixed model's 1 kHz-sized DC resistance let the pack reach CV first). The 2S pack's
worn cell crosses its detection too, but the board releases and the charge still tapers."""
SEEDS = (0, 1, 2)


def run_capacity(run: SimRun, *, discharge: bool) -> RunResult:
    fixtures = ControlFixtures(run.clock)
    steps = [
        Step("voltage_check", make_voltage_check(fixtures, OPTIONS)),
        Step("wake_recharge", make_wake_recharge(OPTIONS)),
    ]
    if discharge:
        steps.append(Step("capacity_check", make_capacity_check(fixtures, OPTIONS)))
    procedure = Procedure("capacity", "1", steps)
    return run_procedure(
        procedure,
        instruments=run.instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts(ANSWERS),
        clock=run.clock,
        spec=run.spec,
        run_info=procedure.run_info(
            station="sim", operator="ci", spec=run.spec.model, unit_serial="C"
        ),
        handle_signals=False,
    )


@pytest.mark.parametrize("spec", SPECS)
def test_a_recharge_from_the_under_voltage_release_is_judged_as_capacity(spec: str) -> None:
    with simulated_bench("deep_discharge_uv", spec_name=spec, models=MODELS) as run:
        result = run_capacity(run, discharge=False)
        rated = run.spec.capacity.m_as("mAh")
        shares = run.spec.health
    assert result.verdict is Verdict.PASS, result.outcome.message
    record = result.measurement(CHARGE_CAPACITY)
    assert result.measurement("wake_response").text_value == "under_voltage"
    assert record.unit == "mAh" and record.verdict is Verdict.PASS, record.comparison
    assert record.limits.low == pytest.approx(rated * shares.capacity_min_share)
    assert record.limits.marginal_low == pytest.approx(rated * shares.capacity_warn_share)
    assert 0.9 * rated < record.value <= 1.1 * rated  # rated is the minimum; LFP gives more


def test_a_charge_that_did_not_start_from_the_release_is_not_judged() -> None:
    with simulated_bench("healthy", models=MODELS) as run:
        result = run_capacity(run, discharge=False)
    record = result.measurement(CHARGE_CAPACITY)
    assert record.verdict is Verdict.SKIPPED and record.value is None
    assert "did not start from the under-voltage release" in record.comparison
    assert not record.comparison.startswith("required")  # optional: the run still passes
    assert result.verdict is Verdict.PASS


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize(
    ("fault", "verdict"), [("healthy", Verdict.PASS), ("aged_cell", Verdict.FAIL)]
)
def test_the_discharge_capacity_check(spec: str, fault: str, verdict: Verdict, seed: int) -> None:
    with simulated_bench(fault, spec_name=spec, models=MODELS, seed=seed) as run:
        result = run_capacity(run, discharge=True)
        with run.sim.client() as control:
            state = control.state()
        rated = run.spec.capacity.m_as("mAh")
    record = result.measurement(DISCHARGE_CAPACITY)
    if (fault, spec) in NEVER_FULL:
        assert record.verdict is Verdict.SKIPPED and "not fully charged" in record.comparison
        return
    assert record.verdict is verdict, record.comparison
    share = record.value / rated
    # A worn series cell bounds what the string delivers: at most its 70 % capacity, and less at
    # 0.5C, since its 2.2x DC resistance brings its terminal to the cut-off (or its under-voltage
    # detection) with charge still in it (the DFN-fitted cells: about half the rated capacity
    # on the 2S pack; the fixed model's 1 kHz-sized DC resistance gave 0.6-0.7). The lower bound
    # is a sanity bound only.
    assert (0.9 < share <= 1.1) if fault == "healthy" else (0.4 < share < 0.72), share
    # the pack is recharged afterwards, and the load and source are off again
    assert result.measurement("recharge_after_discharge").value > 0.8 * record.value
    assert not state["load"]["input_on"]
    assert not any(s["output_on"] for s in state["source"].values())
    assert result.step("capacity_check").traces[0].name == "discharge"


def test_the_capacity_check_needs_a_full_charge_first() -> None:
    with simulated_bench("charge_fet_open", models=MODELS) as run:
        result = run_capacity(run, discharge=True)
    record = result.measurement(DISCHARGE_CAPACITY)
    assert record.verdict is Verdict.SKIPPED
    assert "not fully charged" in record.comparison
