"""An instrument fault in any diagnosis step ends the run as ERROR (never FAIL) with energy off.

The fault is injected through the simulator's control endpoint (``TRANSPORT <role> garbage`` or
``disconnect``) the moment the step starts, or mid-recharge while the source is charging. The
judge is the simulator's true state, read after the run, with the fault cleared so the control
endpoint can be asked. A source whose link dropped keeps its output on: its driver reconnects
once to switch it off; where the link stays down the run must say so (safe state NOT confirmed,
naming the source and the front-panel fix) instead of claiming safety.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import pytest
from test_diagnosis_matrix import ANSWERS, SimRun, energy_off, operator_looks, simulated_bench

from instruments.errors import InstrumentError
from procedures.diagnosis.fixtures import ControlFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import RunResult, run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Verdict
from simulators.launcher import ControlClient


class InjectAt:
    """Progress listener that breaks one instrument's link when ``step`` starts (or later).

    ``after_progress``: wait for that many progress reports of the step first (the recharge
    reports once per sample, so the source is on and charging when the fault lands).
    """

    def __init__(
        self,
        run: SimRun,
        step: str,
        role: str,
        kind: str,
        after_progress: int,
        arg: str | None = None,
    ) -> None:
        self.run, self.step, self.role, self.kind, self.arg = run, step, role, kind, arg
        self.after_progress = after_progress
        self.reports = 0
        self.injected = False
        self.source_on_at_injection: bool | None = None

    def _inject(self) -> None:
        with self.run.sim.client() as control:
            state = control.state()
            self.source_on_at_injection = any(c["output_on"] for c in state["source"].values())
            control.transport(self.role, self.kind, self.arg)
        self.injected = True

    def step_started(self, step: str) -> None:
        if step == self.step and self.after_progress == 0:
            self._inject()

    def progress(self, step: str, fraction: float | None, values: Mapping[str, object]) -> None:
        if step == self.step and not self.injected:
            self.reports += 1
            if self.reports == self.after_progress:
                self._inject()


def run_with(run: SimRun, listener: InjectAt) -> RunResult:
    procedure = build_diagnosis(ControlFixtures(run.clock))
    return run_procedure(
        procedure,
        instruments=run.instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts({**ANSWERS, **operator_looks(run)}),
        clock=run.clock,
        spec=run.spec,
        run_info=procedure.run_info(
            station="sim", operator="ci", spec=run.spec.model, unit_serial="U-1"
        ),
        handle_signals=False,
        safe_state_timeout=3.0,
        listener=listener,
    )


def clear_and_read(run: SimRun, role: str) -> dict[str, object]:
    """The true state, with the fault cleared; a dropped link's driver is closed here.

    Closing it now (its link may be down, so ``close`` may raise; the station closes quietly)
    keeps the fixture's teardown clean.
    """
    with ControlClient(run.sim.control_address) as control:
        control.transport(role, "none")
        state: dict[str, object] = control.state()
    for name, instrument in run.instruments.present():
        if ROLE_NAMES[name] == role:
            with contextlib.suppress(InstrumentError):
                instrument.close()
    return state


ROLE_NAMES = {
    "source": "source",
    "load": "load",
    "multimeter": "dmm",
    "resistance_meter": "rmeter",
    "thermometer": "temperature",
    "chamber": "chamber",
}


CASES = [
    # (fault scenario that reaches the step, step, role broken, kind, progress reports first)
    ("healthy", "voltage_check", "dmm", "garbage", 0),
    ("healthy", "voltage_check", "dmm", "disconnect", 0),
    ("deep_discharge_uv", "wake_recharge", "source", "garbage", 0),
    ("deep_discharge_uv", "wake_recharge", "source", "garbage", 3),
    ("deep_discharge_uv", "wake_recharge", "dmm", "garbage", 3),
    ("deep_discharge_uv", "wake_recharge", "dmm", "disconnect", 3),
    ("healthy", "pack_tests", "load", "garbage", 0),
    ("healthy", "pack_tests", "load", "disconnect", 0),
    ("healthy", "pack_tests", "dmm", "disconnect", 0),
    ("open_fuse", "board_tests", "source", "garbage", 0),
    ("open_fuse", "board_tests", "dmm", "garbage", 0),
    ("open_fuse", "board_tests", "dmm", "disconnect", 0),
    ("open_fuse", "board_tests", "load", "disconnect", 0),
]


@pytest.mark.parametrize(("fault", "step", "role", "kind", "after"), CASES)
def test_transport_fault_in_a_step_is_an_error_with_energy_off(
    fault: str, step: str, role: str, kind: str, after: int
) -> None:
    with simulated_bench(fault, timeout=0.5) as run:
        listener = InjectAt(run, step, role, kind, after)
        result = run_with(run, listener)
        state = clear_and_read(run, role)
    assert listener.injected, f"the run never reached {step}: {result.outcome.message}"
    if after:
        assert listener.source_on_at_injection, "the fault was meant to land while charging"
    assert result.verdict is Verdict.ERROR, result.outcome.message
    failed = result.step(step)
    assert failed.verdict is Verdict.ERROR, failed.message
    assert failed.message.startswith("instrument error:"), failed.message
    assert result.steps[-1].name == step, "the run must stop at the step that errored"
    assert result.outcome.conclusions == (), "no diagnosis from half a run"
    assert energy_off(state), state


def test_source_link_dropped_while_charging_is_reconnected_and_switched_off() -> None:
    """The link to the charging source drops once and comes back (a cable re-plugged).

    The step still ends ERROR (its reading was lost), but ``make_safe`` reconnects and switches
    the source off: the simulator's true state, read while the link is up, shows it off.
    """
    with simulated_bench("deep_discharge_uv", timeout=0.5) as run:
        listener = InjectAt(run, "wake_recharge", "source", "disconnect", 3, arg="once")
        result = run_with(run, listener)
        with ControlClient(run.sim.control_address) as control:
            true_state = control.state()
            fault_left = control.command("TRANSPORT?")["transport"]["source"]
        source_answers = run.instruments.source.is_output_on(1)  # the driver's link works again
    assert listener.source_on_at_injection
    assert fault_left == "none", "the drop was meant to happen (and clear itself)"
    assert result.verdict is Verdict.ERROR
    failed = result.step("wake_recharge")
    assert failed.message.startswith("instrument error:"), failed.message
    assert "NOT confirmed" not in result.outcome.message, result.outcome.message
    assert not any(c["output_on"] for c in true_state["source"].values()), true_state
    assert energy_off(true_state), true_state
    assert source_answers is False


def test_source_link_that_never_comes_back_is_reported_with_the_front_panel_fix() -> None:
    """The link to the charging source drops and stays down: reconnecting cannot help.

    The run must end ERROR naming the source's unconfirmed safe state, that a reconnect was tried,
    and the front-panel fix; the simulator's source really is still on (nobody could reach it).
    """
    with simulated_bench("deep_discharge_uv", timeout=0.5) as run:
        listener = InjectAt(run, "wake_recharge", "source", "disconnect", 3)
        result = run_with(run, listener)
        with ControlClient(run.sim.control_address) as control:
            still_on = control.state()["source"]["1"]["output_on"]
        clear_and_read(run, "source")
    message = result.outcome.message
    assert listener.source_on_at_injection
    assert result.verdict is Verdict.ERROR
    assert "safe state: source" in message, message
    assert "NOT confirmed" in message, message
    assert "reconnect" in message, message
    assert "front panel" in message, message
    assert still_on is True  # the honest part: the simulator's source really was still on
