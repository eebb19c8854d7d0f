"""Every shipped procedure, on every shipped spec: each measurement a step sets, it declared.

The diagnosis runs on the simulated bench (over the wire, real drivers) for faults that between
them take every branch of the sequence (the healthy pack, a wake that explains the complaint,
the opened pack and the bare board); the appearance inspection needs no instruments. A step that
records a name it did not declare (a misspelling, or a new reading whose declaration was
forgotten) is listed by the engine in ``StepRecord.undeclared``, and fails here.
"""

from __future__ import annotations

import pytest
from test_appearance import answers
from test_appearance import run as run_appearance
from test_diagnosis_matrix import SPEC_FOR, diagnose, simulated_bench

from bench.config import load_station
from bench.source_choice import choose_source
from procedures.appearance import REQUIRED_PHOTOS, appearance_procedure
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.engine import RunResult, run_order
from procedures.specs import load_builtin_specs
from simulators.faults import CATALOGUE

SHIPPED = sorted(load_builtin_specs())
FAULTS = ("healthy", "mosfet_latched", "open_fuse", "internal_short")
"""Between them: every step runs (disassembly and the board only while unexplained)."""


def undeclared(result: RunResult) -> list[str]:
    return [f"{s.name}/{name}" for s in result.steps for name in s.undeclared]


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("model", SHIPPED)
def test_every_diagnosis_measurement_is_declared(model: str, fault: str) -> None:
    spec = load_builtin_specs()[model]
    if spec.product.series < CATALOGUE[fault].min_series:
        pytest.skip(f"{fault} needs {CATALOGUE[fault].min_series} cells in series")
    station = load_station(None)
    models = (choose_source(station, spec).model, station.instruments["load"].model)
    options = DiagnosisOptions(discharge_capacity_check=True)
    with simulated_bench(fault, spec_name=model, models=models) as run:
        result = diagnose(run, options=options)  # asserts no undeclared record as well
    assert {s.name for s in result.steps} >= {"intake", "voltage_check", "board_tests"}
    assert undeclared(result) == []


def test_the_faults_reach_the_opened_pack_and_the_board() -> None:
    """The check above covers the late steps only if some fault runs them."""
    with simulated_bench("open_fuse", spec_name=SPEC_FOR.get("open_fuse")) as run:
        result = diagnose(run)
    ran = {s.name for s in result.steps if s.measurements}
    assert {"disassembly", "board_tests"} <= ran


@pytest.mark.parametrize("model", SHIPPED)
def test_every_appearance_measurement_is_declared(model: str) -> None:
    spec = load_builtin_specs()[model]
    prompts = answers()
    for dimension in spec.dimensions:
        prompts[f"appearance.dim.{dimension.name}"] = dimension.nominal
    result, _ = run_appearance(prompts, spec)
    assert undeclared(result) == []


def test_every_appearance_step_declares() -> None:
    """``undeclared`` checks only steps that declare: every step of the inspection must."""
    assert all(step.measures for step in run_order(appearance_procedure()))


@pytest.mark.parametrize("model", SHIPPED)
def test_every_appearance_limit_factory_builds_its_measurement(model: str) -> None:
    spec = load_builtin_specs()[model]
    steps = run_order(appearance_procedure())
    built = [d.checked(spec) for step in steps for d in step.measures if d.limits is not None]
    assert len(built) >= len(REQUIRED_PHOTOS) + 1
