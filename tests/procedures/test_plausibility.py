"""Plausibility before energy: a pack that cannot be its declared spec stops the run uncharged.

Over the wire: the simulator serves a healthy 2S pack (7.4 V) and the diagnosis judges it as
the 1S2P spec it was (wrongly) registered as. The run fails at the voltage check, no energised
step runs, no output is ever switched on, and the conclusion names the mismatch.
"""

from __future__ import annotations

from contextlib import ExitStack

from test_diagnosis_matrix import SimRun, _open, diagnose

from instruments.units import Q_
from procedures.clock import SimulatedClock
from procedures.context import BenchInstruments
from procedures.diagnosis.plausibility import NAME, ROOT_CAUSE, plausible_ceiling
from procedures.diagnosis.voltage_check import categorise
from procedures.records import Verdict
from procedures.specs import builtin_spec, load_builtin_specs
from simulators.launcher import start_bench


def test_a_2s_pack_registered_as_1s_is_refused_before_any_energy() -> None:
    declared = builtin_spec("PB-1S2P-18650-5200")
    actual = builtin_spec("PB-2S1P-18650-2600")
    with ExitStack() as stack:
        sim = stack.enter_context(
            start_bench(spec=actual.source, source_model="DP832", load_model="DL3021", seed=2)
        )
        instruments = BenchInstruments(
            multimeter=_open(sim, "dmm", stack, 2.0),  # type: ignore[arg-type]
            source=_open(sim, "source", stack, 2.0),  # type: ignore[arg-type]
            load=_open(sim, "load", stack, 2.0),  # type: ignore[arg-type]
            resistance_meter=_open(sim, "rmeter", stack, 2.0),  # type: ignore[arg-type]
        )
        clock = SimulatedClock(sim.control_address)
        stack.callback(clock.close)
        with sim.client() as control:
            soc_before = [c["soc"] for c in control.state()["pack"]["cells"]]
        result = diagnose(SimRun(sim, instruments, clock, declared))
        with sim.client() as control:
            state = control.state()
    assert result.verdict is Verdict.FAIL
    assert [s.name for s in result.steps if s.verdict is not Verdict.SKIPPED] == [
        "intake",
        "voltage_check",
    ]
    record = result.measurement(NAME)
    assert record.verdict is Verdict.FAIL and "V" in record.comparison
    causes = [c for c in result.outcome.conclusions if c.kind == "root_cause"]
    assert [c.value for c in causes] == [ROOT_CAUSE]
    assert "voltage_check/" + NAME in causes[0].evidence
    assert not any(c.kind == "disposition" for c in result.outcome.conclusions)
    assert all(not s["enabled"] for s in state["source"].values())
    assert not state["load"]["input_on"]
    after = [c["soc"] for c in state["pack"]["cells"]]
    assert all(a <= b for a, b in zip(after, soc_before, strict=True))  # nothing went in


def test_every_shipped_spec_accepts_its_own_full_pack_and_refuses_one_more_cell() -> None:
    for spec in load_builtin_specs().values():
        ceiling = plausible_ceiling(spec)
        per_cell = spec.cell.charge_voltage
        series = spec.product.series
        assert per_cell * series < ceiling  # a full pack of this spec is plausible
        assert per_cell * (series + 1) > ceiling or spec.cell.nominal_voltage * (series + 1) > (
            ceiling
        ), spec.model
        assert categorise(spec.cell.nominal_voltage * series, spec) == "normal", spec.model
        assert categorise(Q_(0.0, "V"), spec) == "zero"
