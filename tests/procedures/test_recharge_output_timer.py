"""The wake recharge programs the source's own output timer before the output goes on.

A DP832 (which has one: its delay output) is asked mid-charge what it will do by itself: end
the output after the spec's maximum charge time, the settle time and the margin. An E36312A
(which has none) charges exactly as before.
"""

from __future__ import annotations

import math

from test_diagnosis_matrix import ANSWERS, energy_off, simulated_bench
from test_diagnosis_safety import CountingClock, recharge_sleep_index

from instruments.drivers.rigol_dp832 import RigolDP832
from procedures.diagnosis.fixtures import ControlFixtures, DiagnosisOptions
from procedures.diagnosis.sequence import build_diagnosis
from procedures.diagnosis.wake_recharge import OUTPUT_TIMER_MARGIN
from procedures.engine import run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Verdict


def test_dp832_delayer_is_armed_to_the_step_maximum_during_the_recharge() -> None:
    seen: dict[str, str] = {}
    with simulated_bench("deep_discharge_uv", models=("DP832", "DL3021")) as run:
        source = run.instruments.source
        assert isinstance(source, RigolDP832)

        def look() -> None:
            seen["delay"] = source.query(":DELAY?")
            seen["groups"] = source.query(":DELAY:GROUP?")
            seen["parameters"] = source.query(":DELAY:PARA? 0,1")
            seen["end"] = source.query(":DELAY:ENDS?")
            seen["output"] = source.query(":OUTP? CH1")

        procedure = build_diagnosis(ControlFixtures(run.clock))
        result = run_procedure(
            procedure,
            instruments=run.instruments,
            recorder=MemoryRecorder(),
            prompts=ScriptedPrompts(ANSWERS),
            clock=CountingClock(run.clock, recharge_sleep_index() + 1, look),
            spec=run.spec,
            run_info=procedure.run_info(
                station="sim", operator="ci", spec=run.spec.model, unit_serial="U-1"
            ),
            handle_signals=False,
        )
        with run.sim.client() as control:
            state = control.state()
    expected = run.spec.charge.max_time + DiagnosisOptions().wake_settle + OUTPUT_TIMER_MARGIN
    seconds = math.ceil(expected.m_as("s"))
    assert seen == {
        "delay": "ON",
        "groups": "1",
        "parameters": f"0,ON,{seconds}",
        "end": "OFF",
        "output": "ON",
    }
    assert result.step("wake_recharge").verdict is Verdict.PASS
    assert energy_off(state)
