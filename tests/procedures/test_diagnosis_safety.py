"""Every way a diagnosis can stop early leaves the source output and the load input off.

Checked on the simulated bench's true state (control endpoint), not on what the drivers believe:
an abort limit breached during the recharge, an instrument that stops answering mid-recharge,
and the operator aborting (at a prompt, and from another thread while the source is on).
"""

from __future__ import annotations

import threading

from test_diagnosis_matrix import ANSWERS, diagnose, energy_off, simulated_bench

from instruments.units import Q_
from procedures.clock import SimulatedClock
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.engine import run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Verdict


class CountingClock:
    """The bench's clock, calling ``hook`` on the n-th sleep (to break things mid-step)."""

    def __init__(self, inner: SimulatedClock, at: int, hook: object) -> None:
        self.inner, self.at, self.hook, self.sleeps = inner, at, hook, 0

    def now(self) -> float:
        return self.inner.now()

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.sleeps == self.at:
            self.hook()  # type: ignore[operator]
        self.inner.sleep(seconds)


def recharge_sleep_index() -> int:
    """Sleeps before the recharge samples: one rest in the voltage check, one wake settle."""
    return 4


def test_abort_limit_breach_stops_the_recharge_with_energy_off() -> None:
    # An abort limit below the pack's own voltage: the first charge sample breaches it.
    options = DiagnosisOptions(abort_voltage_margin=Q_(-0.3, "V"))
    with simulated_bench("healthy") as run:
        result = diagnose(run, options=options)
        with run.sim.client() as control:
            state = control.state()
    assert result.verdict is Verdict.ABORTED
    step = result.step("wake_recharge")
    assert step.verdict is Verdict.ABORTED
    assert "abort limit breached: charge_peak_voltage" in step.message
    assert step.measurements[-1].name == "charge_peak_voltage"
    assert step.measurements[-1].verdict is Verdict.FAIL
    assert "wake_recharge" in result.outcome.message
    assert energy_off(state)
    assert result.outcome.conclusions == ()
    assert [s.name for s in result.steps] == ["intake", "voltage_check", "wake_recharge"]


def test_instrument_timeout_mid_recharge_ends_in_error_with_energy_off() -> None:
    with simulated_bench("healthy", timeout=0.5) as run, run.sim.client() as control:

        def break_dmm() -> None:
            control.transport("dmm", "no_reply")

        clock = CountingClock(run.clock, recharge_sleep_index(), break_dmm)
        procedure_run = diagnose_with_clock(run, clock)
        control.transport("dmm", "none")
        state = control.state()
    assert procedure_run.verdict is Verdict.ERROR
    step = procedure_run.step("wake_recharge")
    assert step.verdict is Verdict.ERROR
    assert "InstrumentTimeout" in step.message
    assert step.traces and len(step.traces[0].time_s) >= 2  # samples before the fault kept
    assert energy_off(state)


def test_operator_abort_at_a_prompt_is_recorded_and_leaves_energy_off() -> None:
    answers = {**ANSWERS, "disassembly_confirm": ScriptedPrompts.ABORT}
    with simulated_bench("aged_cell") as run:
        result = diagnose(run, answers=answers)
        with run.sim.client() as control:
            state = control.state()
    assert result.verdict is Verdict.ABORTED
    assert "operator aborted" in result.step("disassembly").message
    assert energy_off(state)


def test_operator_abort_while_charging_turns_the_source_off() -> None:
    abort = threading.Event()
    with simulated_bench("healthy") as run, run.sim.client() as control:
        seen_on: list[bool] = []

        def press_abort() -> None:
            seen_on.append(control.state()["source"]["1"]["output_on"])
            abort.set()

        clock = CountingClock(run.clock, recharge_sleep_index() + 2, press_abort)
        result = diagnose_with_clock(run, clock, abort_event=abort)
        state = control.state()
    assert seen_on == [True]  # the abort really came while the pack was charging
    assert result.verdict is Verdict.ABORTED
    assert "abort requested" in result.step("wake_recharge").message
    assert energy_off(state)


def diagnose_with_clock(run, clock, abort_event=None):  # type: ignore[no-untyped-def]
    from procedures.diagnosis.fixtures import ControlFixtures
    from procedures.diagnosis.sequence import build_diagnosis

    procedure = build_diagnosis(ControlFixtures(run.clock))
    return run_procedure(
        procedure,
        instruments=run.instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts(ANSWERS),
        clock=clock,
        spec=run.spec,
        run_info=procedure.run_info(
            station="sim", operator="ci", spec=run.spec.model, unit_serial="U-2"
        ),
        handle_signals=False,
        abort_event=abort_event,
        safe_state_timeout=2.0,
    )


def test_charge_stopped_outside_the_pack_mid_charge_aborts_with_energy_off() -> None:
    """Current collapses before CV and the terminals no longer show the source: a lost contact."""
    with simulated_bench("healthy") as run, run.sim.client() as control:

        def lose_contact() -> None:
            run.clock.request("FIXTURE cell 0")  # the source now touches nothing

        clock = CountingClock(run.clock, recharge_sleep_index() + 3, lose_contact)
        result = diagnose_with_clock(run, clock)
        state = control.state()
    step = result.step("wake_recharge")
    assert result.verdict is Verdict.ABORTED
    assert step.verdict is Verdict.ABORTED
    assert "charge current collapsed" in step.message
    assert "stopped outside the pack" in step.message
    assert energy_off(state)
    assert [s.name for s in result.steps][-1] == "wake_recharge"


def test_no_current_without_the_charge_voltage_at_the_terminals_aborts() -> None:
    """The no-current timeout is an abort when the source's voltage never reaches the pack."""
    with simulated_bench("healthy") as run, run.sim.client() as control:

        def lose_contact() -> None:
            run.clock.request("FIXTURE cell 0")

        clock = CountingClock(run.clock, recharge_sleep_index() - 2, lose_contact)  # settle
        result = diagnose_with_clock(run, clock)
        state = control.state()
    step = result.step("wake_recharge")
    assert step.verdict is Verdict.ABORTED, step.message
    assert "charge current never flowed" in step.message
    assert energy_off(state)
