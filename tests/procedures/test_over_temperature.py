"""The over-temperature abort, over the wire: it trips for a pack that heats, and only then.

The simulated bench's second 34461A reads the pack's NTC probe (the pack's thermal model); the
judge of "every output off" is the simulator's true state through the control endpoint
(``STATE?``), read after the run. Healthy packs of every shipped spec, over several seeds, must
charge to the end without tripping it.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_diagnosis_matrix import ANSWERS, diagnose, energy_off, simulated_bench
from test_diagnosis_steps import FAST, run_steps

from instruments.units import Q_
from procedures.clock import RealClock
from procedures.context import StepContext
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.engine import Procedure, run_procedure
from procedures.errors import PackLimitExceeded
from procedures.measurements import Measurement
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Conclusion, Verdict
from procedures.specs import SPEC_DIR, load_spec

SPECS = sorted(path.stem for path in SPEC_DIR.glob("*.toml"))
HIGH_VOLTAGE = 6.0
"""Above this charge voltage the E36312A's 6 V channel cannot charge: use the DP832's 30 V."""


def models_for(spec_name: str) -> tuple[str, str]:
    spec = load_spec(SPEC_DIR / f"{spec_name}.toml")
    return (
        ("DP832", "DL3021")
        if spec.charge.voltage.m_as("V") > HIGH_VOLTAGE
        else ("E36312A", "DL3021")
    )


def truth(run: Any) -> dict[str, Any]:
    with run.sim.client() as control:
        state: dict[str, Any] = control.state()
    return state


@pytest.mark.parametrize("spec_name", SPECS)
def test_a_pack_that_heats_trips_the_abort_with_every_output_off(spec_name: str) -> None:
    with simulated_bench(
        "soft_short_heating", spec_name=spec_name, models=models_for(spec_name)
    ) as run:
        result = diagnose(run)
        state = truth(run)
        assert run.sim.emulator_errors == []
    assert energy_off(state)
    assert state["probe_temperature_c"] > 45.0
    assert result.verdict is Verdict.FAIL, result.outcome.message
    wake = result.step("wake_recharge")
    assert wake.verdict is Verdict.FAIL
    assert "over-temperature" in wake.message
    hot = result.measurement("charge_temperature")
    assert hot.verdict is Verdict.FAIL
    assert hot.unit == "°C" and hot.value is not None and hot.value > 45.0
    assert hot.instrument is not None and "34461A" in hot.instrument
    trace = wake.traces[0]
    assert trace.channels["temperature"][0][-1] == pytest.approx(hot.value)
    later = [s for s in result.steps if s.index > wake.index]
    assert later and all(s.verdict is Verdict.SKIPPED for s in later)
    assert all("over-temperature" in s.message for s in later)
    root = next(c for c in result.outcome.conclusions if c.kind == "root_cause")
    assert root.value == "cell_heats_under_charge"
    assert "wake_recharge/charge_temperature" in root.evidence


@pytest.mark.parametrize("seed", [0, 3, 7])
@pytest.mark.parametrize("spec_name", SPECS)
def test_healthy_packs_charge_and_discharge_without_tripping(spec_name: str, seed: int) -> None:
    with simulated_bench(
        "healthy", spec_name=spec_name, models=models_for(spec_name), seed=seed
    ) as run:
        result = run_steps(run, ("voltage_check", "wake_recharge", "pack_tests"), FAST)
        state = truth(run)
    assert energy_off(state)
    for step in ("wake_recharge", "pack_tests"):
        assert "over-temperature" not in result.step(step).message
    charge = result.measurement("charge_temperature")
    assert charge.verdict is Verdict.PASS, charge.comparison
    assert charge.value is not None and 20.0 < charge.value < 35.0
    assert result.measurement("pack_test_temperature").verdict is Verdict.PASS
    assert result.measurement("charge_end").text_value == "taper"


def test_the_station_limit_lowers_the_abort_below_the_cells_window() -> None:
    """A station ``max_temperature`` below 45 degC is the one armed (here: below a healthy
    pack's own warming, so it must trip)."""
    options = DiagnosisOptions(
        relax_rest=Q_(1.0, "s"), self_discharge_rest=Q_(1.0, "h"), max_temperature=Q_(25.5, "degC")
    )
    with simulated_bench("healthy") as run:
        result = run_steps(run, ("voltage_check", "wake_recharge", "pack_tests"), options)
        state = truth(run)
    assert energy_off(state)
    hot = result.measurement("charge_temperature")
    assert hot.verdict is Verdict.FAIL and hot.limits.high == pytest.approx(25.5)
    assert result.step("pack_tests").verdict is Verdict.SKIPPED


def test_without_a_temperature_channel_the_pack_is_not_charged() -> None:
    with simulated_bench("healthy", thermometer=False) as run:
        result = run_steps(run, ("voltage_check", "wake_recharge"))
        state = truth(run)
    wake = result.step("wake_recharge")
    assert wake.verdict is Verdict.ERROR
    assert "allow_charge_without_temperature = true" in wake.message
    assert "[instruments.temperature]" in wake.message
    assert not any(m.name == "wake_voltage" for m in wake.measurements)
    assert energy_off(state)
    assert state["pack"]["cells"][0]["coulombs_in_ah"] <= 0.0  # no charge went in


def test_allowed_without_a_temperature_channel_is_recorded_as_not_measured() -> None:
    options = DiagnosisOptions(
        relax_rest=Q_(1.0, "s"),
        self_discharge_rest=Q_(1.0, "h"),
        allow_charge_without_temperature=True,
    )
    with simulated_bench("healthy", thermometer=False) as run:
        result = run_steps(run, ("voltage_check", "wake_recharge"), options)
    assert result.step("wake_recharge").verdict is Verdict.PASS
    temperature = result.measurement("charge_temperature")
    assert temperature.verdict is Verdict.SKIPPED
    assert "allow_charge_without_temperature = true" in temperature.comparison


def test_engine_ends_a_pack_limit_as_fail_after_the_safe_state_and_still_concludes() -> None:
    from procedure_fakes import Bench, info

    bench = Bench()
    hot = Measurement("charge_temperature", "degC", high=Q_(45, "degC"))

    def heats(ctx: StepContext) -> None:
        ctx.measure(hot, Q_(47.5, "degC"))
        raise PackLimitExceeded("over-temperature during the test")

    def never(ctx: StepContext) -> None:
        raise AssertionError("a step after the pack limit must not run")

    def conclude(view: Any) -> list[Conclusion]:
        return [Conclusion("root_cause", "hot", "", (view.ref("charge_temperature"),))]

    procedure = Procedure("p", "1", [heats, never], conclude=conclude)
    recorder = MemoryRecorder()
    result = run_procedure(
        procedure,
        instruments=bench.instruments,
        recorder=recorder,
        prompts=ScriptedPrompts(ANSWERS),
        clock=RealClock(),
        spec=None,
        run_info=info(procedure),
        handle_signals=False,
    )
    assert result.verdict is Verdict.FAIL
    assert [s.verdict for s in result.steps] == [Verdict.FAIL, Verdict.SKIPPED]
    assert "over-temperature" in result.steps[1].message
    assert [c.value for c in result.outcome.conclusions] == ["hot"]
    assert bench.safe_calls(), "the engine's safe state must run"
    assert len(recorder.steps) == 2
