"""Single diagnosis steps on the simulated bench: what they measure against the board's truth.

The simulator's true state holds the protection IC's actual delays, so a measured delay is
checked against the delay the board really has (within one poll), and a spec whose limits
exclude those delays must turn the same readings into fails. Only the steps under test run,
which keeps each case to a fraction of the full sequence.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from test_diagnosis_matrix import ANSWERS, SimRun, simulated_bench

from instruments.units import Q_
from procedures.diagnosis.board_tests import make_board_tests
from procedures.diagnosis.fixtures import ControlFixtures, DiagnosisOptions
from procedures.diagnosis.pack_tests import make_pack_tests
from procedures.diagnosis.voltage_check import make_voltage_check
from procedures.diagnosis.wake_recharge import make_wake_recharge
from procedures.engine import Procedure, RunResult, Step, run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import MeasurementRecord, Verdict
from procedures.specs import PackSpec

FAST = DiagnosisOptions(relax_rest=Q_(1.0, "s"), self_discharge_rest=Q_(1.0, "h"))


def run_steps(
    run: SimRun,
    names: tuple[str, ...],
    options: DiagnosisOptions = FAST,
    spec: PackSpec | None = None,
) -> RunResult:
    fixtures = ControlFixtures(run.clock)
    makers = {
        "voltage_check": lambda: make_voltage_check(fixtures, options),
        "wake_recharge": lambda: make_wake_recharge(options),
        "pack_tests": lambda: make_pack_tests(fixtures, options),
        "board_tests": lambda: make_board_tests(fixtures, options),
    }
    procedure = Procedure("steps", "1", [Step(name, makers[name]()) for name in names])
    used = spec or run.spec
    return run_procedure(
        procedure,
        instruments=run.instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts(ANSWERS),
        clock=run.clock,
        spec=used,
        run_info=procedure.run_info(station="sim", operator="ci", spec=used.model, unit_serial="S"),
        handle_signals=False,
    )


def truth(run: SimRun) -> dict[str, Any]:
    with run.sim.client() as control:
        state: dict[str, Any] = control.state()
    return state


def record(result: RunResult, name: str) -> MeasurementRecord:
    return result.measurement(name)


def test_board_delays_and_trip_are_timed_against_the_boards_true_delays() -> None:
    with simulated_bench("healthy") as run:
        result = run_steps(run, ("board_tests",))
        thresholds = truth(run)["board"]["thresholds"]
    # run alone, nothing else in the run shows the short or the board's drain: both are
    # missing evidence on this station, so the run is incomplete (never "pass") and says which
    assert result.verdict is Verdict.INCOMPLETE, result.outcome.message
    assert result.outcome.message == (
        "required test not performed: board_tests/board_self_consumption, "
        "board_tests/board_short_circuit_cut_time"
    )
    assert "TCPIP" not in result.step("board_tests").message
    od = record(result, "board_overdischarge_delay")
    assert od.unit == "ms" and od.verdict is Verdict.PASS
    true_od = thresholds["overdischarge_delay"] * 1e3
    assert true_od <= od.value <= true_od + 1.0 + 1e-6  # one 1 ms poll late at most
    oc = record(result, "board_overcharge_delay")
    true_oc = thresholds["overcharge_delay"]
    assert oc.unit == "s" and true_oc <= oc.value <= true_oc + 0.010 + 1e-9
    cur = record(result, "board_overcurrent_delay")
    true_cur = thresholds["overcurrent_delay"] * 1e3
    assert true_cur <= cur.value <= true_cur + 1.0 + 1e-6
    trip = record(result, "board_overcurrent_trip_current")
    assert trip.verdict is Verdict.PASS and trip.limits.low == pytest.approx(2.4)
    # the E36312A's 5 A cannot reach a 1.2 V short threshold, nor resolve 15 uA
    short = record(result, "board_short_circuit_cut_time")
    assert short.verdict is Verdict.SKIPPED
    assert "station cannot drive a short" in short.comparison
    assert short.comparison.startswith("required test not performed")
    assert "127.0.0.1" not in short.comparison and "::" not in short.comparison
    consumption = record(result, "board_self_consumption")
    assert consumption.verdict is Verdict.SKIPPED
    assert "station cannot resolve µA" in consumption.comparison
    assert record(result, "board_supply_current").unit == "µA"


def test_board_delays_outside_the_spec_fail() -> None:
    with simulated_bench("healthy") as run:
        p = run.spec.protection
        # limits that exclude the board's true delays (144 ms, 1.15 s, ~9 ms) and trip (~3.2 A),
        # while the sweeps' holds (delay + 2-3 tolerances) still outlast the true delays
        tight = dataclasses.replace(
            p,
            overdischarge_delay=Q_(100.0, "ms"),
            overdischarge_delay_tolerance=Q_(30.0, "ms"),
            overcharge_delay=Q_(0.8, "s"),
            overcharge_delay_tolerance=Q_(0.2, "s"),
            overcurrent_delay=Q_(5.0, "ms"),
            overcurrent_delay_tolerance=Q_(2.0, "ms"),
            overcurrent_trip=Q_(2.7, "A"),
            overcurrent_trip_tolerance=Q_(0.2, "A"),
        )
        spec = dataclasses.replace(run.spec, protection=tight)
        result = run_steps(run, ("board_tests",), spec=spec)
    for name in (
        "board_overdischarge_delay",
        "board_overcharge_delay",
        "board_overcurrent_delay",
        "board_overcurrent_trip_current",
    ):
        assert record(result, name).verdict is Verdict.FAIL, name
    assert result.step("board_tests").verdict is Verdict.FAIL


def test_a_board_that_never_releases_is_recorded_as_such_not_as_a_zero_volt_level() -> None:
    with simulated_bench("healthy") as run:
        # the spec claims a release far above the board's true ~4.10 V: the sweep (down to
        # 4.25 - 0.01 - 0.1 V per cell) never reaches it
        claimed = dataclasses.replace(
            run.spec.protection,
            overcharge_release=Q_(4.25, "V"),
            overcharge_release_tolerance=Q_(0.01, "V"),
        )
        spec = dataclasses.replace(run.spec, protection=claimed)
        result = run_steps(run, ("board_tests",), spec=spec)
    taken = {m.name: m for m in result.step("board_tests").measurements}
    assert "board_overcharge_release" not in taken
    seen = taken["board_overcharge_release_seen"]
    assert (seen.text_value, seen.verdict) == ("not_released", Verdict.FAIL)
    assert taken["board_overcharge_release_swept_to"].value == pytest.approx(4.14)
    assert result.step("board_tests").verdict is Verdict.FAIL


def test_self_consumption_is_judged_when_the_station_declares_a_fine_source() -> None:
    options = dataclasses.replace(FAST, source_current_resolution=Q_(1.0, "uA"))
    with simulated_bench("healthy") as run:
        result = run_steps(run, ("board_tests",), options=options)
    judged = record(result, "board_self_consumption")
    assert judged.verdict in (Verdict.PASS, Verdict.FAIL)
    assert judged.limits.high == pytest.approx(15.0) and judged.unit == "µA"
    assert judged.value == record(result, "board_supply_current").value


def test_pack_overcurrent_delay_and_short_cut_time() -> None:
    with simulated_bench("healthy") as run:
        result = run_steps(run, ("pack_tests",))
        thresholds = truth(run)["board"]["thresholds"]
    delay = record(result, "overcurrent_delay")
    true_delay = thresholds["overcurrent_delay"] * 1e3
    assert delay.verdict is Verdict.PASS
    assert true_delay <= delay.value <= true_delay + 1.0 + 1e-6
    step = record(result, "overcurrent_delay_step")
    assert step.value == pytest.approx(1.2 * record(result, "overcurrent_trip_current").value)
    cut = record(result, "short_circuit_cut_time")
    true_cut = thresholds["short_circuit_delay"] * 1e6
    assert cut.verdict is Verdict.PASS
    assert true_cut <= cut.value <= true_cut + 380.0 / 20 + 1e-3


def test_pack_short_slower_than_the_spec_fails() -> None:
    with simulated_bench("healthy") as run:
        tight = dataclasses.replace(
            run.spec.protection,
            short_circuit_delay=Q_(100.0, "us"),
            short_circuit_delay_max=Q_(150.0, "us"),
        )
        result = run_steps(
            run, ("pack_tests",), spec=dataclasses.replace(run.spec, protection=tight)
        )
    assert record(result, "short_circuit_protection").text_value == "cut"
    assert record(result, "short_circuit_cut_time").verdict is Verdict.FAIL


@pytest.mark.parametrize("fault", ["open_fuse", "zero_volt_cell"])
def test_no_current_at_the_charge_voltage_ends_the_step_as_no_response(fault: str) -> None:
    options = dataclasses.replace(FAST, no_current_timeout=Q_(120.0, "s"))
    with simulated_bench(fault) as run:
        result = run_steps(run, ("voltage_check", "wake_recharge"), options=options)
        state = truth(run)
    step = result.step("wake_recharge")
    assert step.verdict < Verdict.ERROR, step.message
    assert record(result, "charge_end").text_value == "no_current"
    assert record(result, "wake_response").text_value == "no_response"
    assert record(result, "charge_time").value == pytest.approx(2.0, abs=1.01)  # minutes
    assert not state["source"]["1"]["output_on"]


def _context() -> Any:
    import logging

    from procedures.clock import RealClock
    from procedures.context import BenchInstruments, RunState, StepContext

    state = RunState(
        "t", BenchInstruments(), ScriptedPrompts({}), RealClock(), None, logging.getLogger("t")
    )
    return StepContext(state, "board_tests")


@pytest.mark.parametrize(
    ("elapsed_ms", "period_ms", "verdict"),
    [
        (143.0, 1.0, Verdict.PASS),  # fine polling: judged
        (60.0, 60.0, Verdict.FAIL),  # coarse, but the whole interval lies below the low limit
        (150.0, 50.0, Verdict.SKIPPED),  # coarse and straddling the limit: not measured
        (190.0, 10.0, Verdict.FAIL),
    ],
)
def test_judge_delay_gives_a_verdict_only_where_the_polling_resolves_it(
    elapsed_ms: float, period_ms: float, verdict: Verdict
) -> None:
    from procedures.diagnosis.timing import Edge, delay_limits, judge_delay

    ctx = _context()
    limits = delay_limits("d", Q_(144.0, "ms"), Q_(29.0, "ms"), "ms", Q_(1.0, "ms"))
    judge_delay(ctx, limits, Edge(elapsed_ms / 1e3, period_ms / 1e3))
    (taken,) = ctx.measurements
    assert taken.verdict is verdict
    if verdict is Verdict.SKIPPED:
        assert "station cannot resolve" in taken.comparison


class _QuestionLog(ScriptedPrompts):
    """Scripted answers that also keep each question's text, as the operator reads it."""

    def __init__(self, answers: dict[str, object]) -> None:
        super().__init__(answers)
        self.texts: dict[str, str] = {}

    def _answer(self, question_id: str, text: str, kind: str, example: str) -> object:
        self.texts[question_id] = text
        return super()._answer(question_id, text, kind, example)


def test_the_temperature_question_states_its_thresholds() -> None:
    import logging

    from procedures.clock import RealClock
    from procedures.context import BenchInstruments, RunState, StepContext
    from procedures.diagnosis.intake import TEMPERATURES, intake

    prompts = _QuestionLog(dict(ANSWERS, usage_temperature="hot"))
    state = RunState("t", BenchInstruments(), prompts, RealClock(), None, logging.getLogger("t"))
    intake(StepContext(state, "intake"))
    text = prompts.texts["usage_temperature"]
    for band in ("cold: below 0 °C", "normal: 0–45 °C", "hot: above 45 °C"):
        assert band in text
    assert TEMPERATURES == ("normal", "hot", "cold", "unknown")
