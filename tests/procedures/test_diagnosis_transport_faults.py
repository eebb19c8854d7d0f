"""An instrument fault in any diagnosis step ends the run as ERROR (never FAIL) with energy off.

The fault is injected through the simulator's control endpoint (``TRANSPORT <role> garbage`` or
``disconnect``) the moment the step starts, or mid-recharge while the source is charging. The
judge is the simulator's true state, read after the run, with the fault cleared so the control
endpoint can be asked. A disconnected source cannot be switched off over its link by anyone: the
run must then say so (safe state NOT confirmed, naming the source) instead of claiming safety.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import pytest
from test_diagnosis_matrix import ANSWERS, SimRun, energy_off, simulated_bench

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

    def __init__(self, run: SimRun, step: str, role: str, kind: str, after_progress: int) -> None:
        self.run, self.step, self.role, self.kind = run, step, role, kind
        self.after_progress = after_progress
        self.reports = 0
        self.injected = False
        self.source_on_at_injection: bool | None = None

    def _inject(self) -> None:
        with self.run.sim.client() as control:
            state = control.state()
            self.source_on_at_injection = any(c["output_on"] for c in state["source"].values())
            control.transport(self.role, self.kind)
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
        prompts=ScriptedPrompts(ANSWERS),
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

    A driver does not reconnect, so its ``close`` after a disconnect cannot confirm anything and
    raises (the station closes quietly); closing it now keeps the fixture's teardown clean.
    """
    with ControlClient(run.sim.control_address) as control:
        control.transport(role, "none")
        state: dict[str, object] = control.state()
    for name, instrument in run.instruments.present():
        if ROLE_NAMES[name] == role:
            with contextlib.suppress(InstrumentError):
                instrument.close()
    return state


ROLE_NAMES = {"source": "source", "load": "load", "multimeter": "dmm", "resistance_meter": "rmeter"}


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


def test_disconnected_source_while_charging_is_reported_not_claimed_safe() -> None:
    """The link to the charging source drops: nobody can switch it off over the wire.

    The run must end ERROR and its message must name the source's unconfirmed safe state, so the
    operator switches it off at the front panel. The drivers do not reconnect, so the source
    stays on until someone does (the test pins that down, so a reconnect would change it).
    """
    with simulated_bench("deep_discharge_uv", timeout=0.5) as run:
        listener = InjectAt(run, "wake_recharge", "source", "disconnect", 3)
        result = run_with(run, listener)
        with ControlClient(run.sim.control_address) as control:
            still_on = control.state()["source"]["1"]["output_on"]
        state = clear_and_read(run, "source")
    assert listener.source_on_at_injection
    assert result.verdict is Verdict.ERROR
    assert "safe state: source" in result.outcome.message
    assert "NOT confirmed" in result.outcome.message
    assert still_on is True  # the honest part: the simulator's source really was still on
    assert not energy_off(state)  # no driver reconnects: see the report's "not done"
