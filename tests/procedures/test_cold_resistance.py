"""The cold resistance check over the wire: it tells lithium plating from ageing, and says why
when it cannot be done.

The opened cells are soaked at 0 degC in the emulated ESPEC chamber until the pack's own probe
reads the set point, then read again on the Hioki; each cold reading is judged against the
cell's warm one times a healthy cell's growth (``procedures.diagnosis.cold_resistance``).
"""

from __future__ import annotations

import pytest
from test_diagnosis_matrix import conclusion, diagnose, energy_off, simulated_bench
from test_diagnosis_pairs import assert_every_failure_explained

from instruments.units import Q_
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.engine import RunResult
from procedures.phrases import localise
from procedures.records import Verdict


def _cold(result: RunResult) -> dict[str, Verdict]:
    return {
        m.name: m.verdict
        for m in result.step("cold_resistance").measurements
        if m.name.endswith("_cold_resistance")
    }


@pytest.mark.parametrize("seed", [0, 3])
def test_the_cold_tells_a_plated_cell_from_an_aged_one(seed: int) -> None:
    with simulated_bench("lithium_plating", seed=seed) as run:
        plated = diagnose(run)
        with run.sim.client() as control:
            after_plated = control.state()
    with simulated_bench("aged_cell", seed=seed) as run:
        aged = diagnose(run)
    # the plated cell grew ~3x a healthy cell's growth; its healthy neighbour as expected
    assert _cold(plated) == {
        "cell1_cold_resistance": Verdict.FAIL,
        "cell2_cold_resistance": Verdict.PASS,
    }
    # aged cells read high warm, and grow like healthy ones in the cold: ageing, not plating
    assert _cold(aged) == {
        "cell1_cold_resistance": Verdict.PASS,
        "cell2_cold_resistance": Verdict.PASS,
    }
    assert conclusion(plated, "root_cause") == "cell_lithium_plating"
    assert conclusion(aged, "root_cause") == "cell_aged_high_resistance"
    soak = plated.measurement("cold_soak_temperature")
    assert soak.verdict is Verdict.PASS and abs(soak.value or 99.0) <= 1.0
    trace = plated.step("cold_resistance").traces[0]
    assert trace.name == "cold_soak" and trace.time_s[-1] > 1800.0  # a real soak, not a jump
    (root,) = [c for c in plated.outcome.conclusions if c.kind == "root_cause"]
    assert {
        "cold_resistance/cell1_cold_resistance",
        "disassembly/cell1_resistance",
        "cold_resistance/cold_soak_temperature",
        "cold_resistance/cold_start_temperature",
    } <= set(root.evidence)
    assert "cell1_cold_resistance" in root.explanation
    assert localise(root.explanation, "zh_CN").startswith("析锂")
    assert_every_failure_explained(plated)
    assert_every_failure_explained(aged)
    assert after_plated["ambient_c"] == 25.0  # the chamber was left in standby
    assert energy_off(after_plated)


def test_without_a_chamber_the_cold_check_is_not_measured_and_says_why() -> None:
    with simulated_bench("lithium_plating", chamber=False) as run:
        result = diagnose(run)
    soak = result.measurement("cold_soak_temperature")
    assert soak.verdict is Verdict.SKIPPED
    assert "no temperature chamber" in soak.comparison
    assert "lithium plating cannot be told from ageing" in soak.comparison
    assert _cold(result) == {}
    # what the station could judge passed: no cause is invented, and the gap is named
    (root,) = [c for c in result.outcome.conclusions if c.kind == "root_cause"]
    assert root.value == "customer_misjudgement"
    assert "cold_soak_temperature" in root.explanation
    assert "未测量" in localise(soak.comparison, "zh_CN")


def test_without_a_probe_the_cells_temperature_is_unknown_and_nothing_is_soaked() -> None:
    options = DiagnosisOptions(allow_charge_without_temperature=True)
    with simulated_bench("lithium_plating", thermometer=False) as run:
        result = diagnose(run, options=options)
        with run.sim.client() as control:
            ambient = control.state()["ambient_c"]
    soak = result.measurement("cold_soak_temperature")
    assert soak.verdict is Verdict.SKIPPED and "no temperature channel" in soak.comparison
    assert ambient == 25.0


@pytest.mark.parametrize("fault", ["healthy", "swollen_cell"])
def test_a_cell_that_did_not_earn_the_soak_is_not_cooled(fault: str) -> None:
    """A healthy pack reads below the new-cell maximum: no hour in the chamber. (A swollen cell
    reads far above it, so it is soaked, and grows like a healthy cell: not plated.)"""
    with simulated_bench(fault) as run:
        result = diagnose(run)
    soak = result.measurement("cold_soak_temperature")
    if fault == "healthy":
        assert soak.verdict is Verdict.SKIPPED and "nothing calls for" in soak.comparison
        assert _cold(result) == {}
    else:
        assert soak.verdict is Verdict.PASS
        assert set(_cold(result).values()) == {Verdict.PASS}
        assert conclusion(result, "root_cause") == "cell_swollen"


def test_a_soak_that_does_not_get_there_is_not_measured_and_reads_no_cell() -> None:
    """The chamber's limits are the station's, not the pack's fault: no verdict, the reason."""
    options = DiagnosisOptions(cold_soak_timeout=Q_(10.0, "min"))
    with simulated_bench("lithium_plating") as run:
        result = diagnose(run, options=options)
        with run.sim.client() as control:
            ambient = control.state()["ambient_c"]
    soak = result.measurement("cold_soak_temperature")
    assert soak.verdict is Verdict.SKIPPED
    assert "did not get cold enough" in soak.comparison and "after 10 min in" in soak.comparison
    assert _cold(result) == {}
    assert result.step("cold_resistance").traces[0].time_s[-1] == pytest.approx(600.0)
    assert ambient == 25.0
