"""pytest plugin: run procedures against a simulated bench with a chosen fault.

    @pytest.mark.sim_fault("open_fuse")
    def test_open_fuse_is_found(sim_bench):
        result = sim_bench.diagnose()
        assert sim_bench.conclusion(result, "root_cause") == "fuse_open"

    def test_two_faults(sim_bench_factory):
        aged = sim_bench_factory(fault="aged_cell")
        fuse = sim_bench_factory(fault="open_fuse", load_model="IT8511")

Installed packbench loads it through its ``pytest11`` entry point (no ``-p`` needed). Each bench
is a real simulated bench on 127.0.0.1 (TCP and pseudo-terminals) driven through the real drivers;
virtual time, so a full diagnosis takes well under a second. Everything is stopped and closed when
the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from bench.config import SIM_MODELS, StationConfig, parse_station
from bench.runner import diagnosis_options
from bench.station import Station, open_station
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import Procedure, RunResult, run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Recorder
from procedures.specs import PackSpec, builtin_spec

DEFAULT_SPEC = "PB-1S2P-18650-5200"
DEFAULT_ANSWERS: dict[str, object] = {
    "usage_device": "test device",
    "usage_charger": "original",
    "usage_temperature": "normal",
    "usage_time_in_use": "1_to_12_months",
    "usage_location": "indoor",
    "known_good_pack_works": "yes",
    "pack_swelling": "none",
    "disassembly_confirm": True,
    "cell_swelling": "none",
}
MARKERS = (
    "sim_fault(name): the fault scenario of the sim_bench fixture (default: healthy)",
    "sim_spec(model): the pack spec of the sim_bench fixture (default: PB-1S2P-18650-5200)",
    "sim_models(source, load): simulated source and load models of the sim_bench fixture",
)


@dataclass
class SimBench:
    """An opened simulated station: instruments by role, clock, fixtures, spec, control."""

    station: Station
    spec: PackSpec
    fault: str
    answers: dict[str, object] = field(default_factory=lambda: dict(DEFAULT_ANSWERS))

    @property
    def instruments(self) -> Any:
        return self.station.instruments

    @property
    def clock(self) -> Any:
        return self.station.clock

    def state(self) -> dict[str, Any]:
        """The simulator's true state (``STATE?``): what the instruments cannot see."""
        state: dict[str, Any] = self.station.control.request("STATE?")["state"]
        return state

    def run(
        self,
        procedure: Procedure,
        *,
        answers: Mapping[str, object] | None = None,
        recorder: Recorder | None = None,
        serial: str = "SIM-1",
        operator: str = "pytest",
    ) -> RunResult:
        return run_procedure(
            procedure,
            instruments=self.station.instruments,
            recorder=recorder or MemoryRecorder(),
            prompts=ScriptedPrompts(self.answers if answers is None else answers),
            clock=self.station.clock,
            spec=self.spec,
            run_info=procedure.run_info(
                station="pytest", operator=operator, spec=self.spec.model, unit_serial=serial
            ),
            handle_signals=False,
        )

    def diagnose(self, **options: Any) -> RunResult:
        """The full returned-pack diagnosis of the unit on this bench."""
        options_of_station = diagnosis_options(self.station.config)
        return self.run(build_diagnosis(self.station.fixtures, options_of_station), **options)

    @staticmethod
    def conclusion(result: RunResult, kind: str) -> str:
        values = [c.value for c in result.outcome.conclusions if c.kind == kind]
        if len(values) != 1:
            raise AssertionError(f"expected one {kind!r} conclusion, got {values}")
        return values[0]


def _station(source_model: str, load_model: str, seed: int) -> StationConfig:
    instruments = {role: {"model": models[0]} for role, models in SIM_MODELS.items()}
    instruments["source"] = {"model": source_model}
    instruments["load"] = {"model": load_model}
    return parse_station(
        {
            "station": {"id": "pytest-sim", "operator": "pytest", "simulated": True},
            "instruments": instruments,
            "simulation": {"seed": seed},
        },
        "<sim_bench>",
    )


@contextmanager
def simulated_bench(
    fault: str = "healthy",
    *,
    spec: str = DEFAULT_SPEC,
    source_model: str = "E36312A",
    load_model: str = "DL3021",
    seed: int = 0,
) -> Iterator[SimBench]:
    """A started simulated bench with its instruments open; all of it closed on exit."""
    pack = builtin_spec(spec)
    config = _station(source_model, load_model, seed)
    station = open_station(
        config, prompts=ScriptedPrompts({}), sim_fault=fault, spec_source=str(pack.source)
    )
    try:
        yield SimBench(station, pack, fault)
    finally:
        station.close()


SimBenchFactory = Callable[..., SimBench]


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


@pytest.fixture
def sim_bench_factory() -> Iterator[SimBenchFactory]:
    """``sim_bench_factory(fault=..., spec=..., source_model=..., load_model=...)`` returns an
    opened ``SimBench``; every bench it made is stopped when the test ends."""
    with ExitStack() as stack:

        def factory(**options: Any) -> SimBench:
            return stack.enter_context(simulated_bench(**options))

        yield factory


@pytest.fixture
def sim_bench(request: pytest.FixtureRequest) -> Iterator[SimBench]:
    """A simulated bench in the fault of ``@pytest.mark.sim_fault`` (default ``healthy``)."""
    fault_mark = request.node.get_closest_marker("sim_fault")
    spec_mark = request.node.get_closest_marker("sim_spec")
    models_mark = request.node.get_closest_marker("sim_models")
    options: dict[str, Any] = {"fault": fault_mark.args[0] if fault_mark else "healthy"}
    if spec_mark:
        options["spec"] = spec_mark.args[0]
    if models_mark:
        options["source_model"], options["load_model"] = models_mark.args
    with simulated_bench(**options) as bench:
        yield bench
