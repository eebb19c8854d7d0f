"""Exit paths of a run that the engine must survive with every instrument asked to go safe.

A ``run_if`` condition that raises, the recorder failing at each of its three calls, an
instrument fault after a failed measurement (ERROR must not hide behind FAIL), an instrument
error from one instrument while another one's output is on, and the conclusion rules raising.
"""

from __future__ import annotations

import pytest
from procedure_fakes import Bench, run

from instruments.errors import InstrumentError, TransportError
from instruments.units import Q_
from procedures.context import RunView, StepContext
from procedures.engine import Procedure, Step
from procedures.measurements import Measurement
from procedures.memory_recorder import MemoryRecorder
from procedures.records import RunInfo, RunOutcome, StepRecord, Verdict

VOLTAGE = Measurement("pack_voltage", "V", low=Q_(3.0, "V"), high=Q_(4.25, "V"))
ALL_SAFE = ["source.make_safe", "load.make_safe", "dmm.make_safe"]


class StoreDown(Exception):
    """Stands in for a database error (the engine must not know SQLAlchemy)."""


class FailingRecorder(MemoryRecorder):
    """A memory recorder whose ``call`` fails (for ``step_finished``: at step number ``at``)."""

    def __init__(self, call: str, at: int = 0) -> None:
        super().__init__()
        self.call, self.at, self.seen = call, at, 0

    def run_started(self, info: RunInfo) -> None:
        if self.call == "run_started":
            raise StoreDown("database is locked")
        super().run_started(info)

    def step_finished(self, step: StepRecord) -> None:
        if self.call == "step_finished" and self.seen == self.at:
            raise StoreDown("disk I/O error")
        self.seen += 1
        super().step_finished(step)

    def run_finished(self, outcome: RunOutcome) -> None:
        if self.call == "run_finished":
            raise StoreDown("connection lost")
        super().run_finished(outcome)


def source_on(ctx: StepContext) -> None:
    ctx.instruments.source.output_on(1)


def later(ctx: StepContext) -> None:
    ctx.instruments.multimeter.dc_voltage()


@pytest.mark.parametrize(
    ("raised", "kind"),
    [(InstrumentError("dmm gone"), "instrument error"), (KeyError("nope"), "software error")],
)
def test_run_if_that_raises_is_an_error_and_the_bench_goes_safe(
    raised: Exception, kind: str
) -> None:
    bench = Bench()

    def condition(view: RunView) -> bool:
        raise raised

    procedure = Procedure("diag", "1", [source_on, Step("guarded", later, run_if=condition)])
    result, recorder = run(procedure, bench)
    assert [s.verdict for s in recorder.steps] == [Verdict.PASS, Verdict.ERROR]
    assert recorder.steps[1].message.startswith(kind)
    assert result.verdict is Verdict.ERROR
    assert bench.safe_calls() == ALL_SAFE
    assert bench.source.on is False
    assert "dmm.read" not in bench.log.calls


def test_recorder_failing_mid_run_stops_the_run_as_error_and_still_makes_safe() -> None:
    bench = Bench()
    recorder = FailingRecorder("step_finished", at=1)
    procedure = Procedure("diag", "1", [later, source_on, later_again])
    result, _ = run(procedure, bench, recorder)
    assert bench.safe_calls() == ALL_SAFE
    assert bench.source.on is False
    assert [s.name for s in recorder.steps] == ["later"]  # what the store did keep
    assert recorder.outcome is not None  # the run is marked finished, with the reason
    assert recorder.outcome.verdict is Verdict.ERROR
    assert "recorder failed to store step 'source_on'" in recorder.outcome.message
    assert "disk I/O error" in recorder.outcome.message
    assert result.verdict is Verdict.ERROR
    assert bench.log.calls.count("dmm.read") == 1  # the third step never ran


def later_again(ctx: StepContext) -> None:
    ctx.instruments.multimeter.dc_voltage()


def test_recorder_failing_at_start_makes_safe_and_raises_the_store_error() -> None:
    bench = Bench()
    bench.source.on = True  # left on by whatever ran before this run
    recorder = FailingRecorder("run_started")
    with pytest.raises(StoreDown, match="database is locked"):
        run(Procedure("diag", "1", [later]), bench, recorder)
    assert bench.safe_calls() == ALL_SAFE
    assert bench.source.on is False
    assert "dmm.read" not in bench.log.calls
    assert recorder.runs == []  # nothing half-written


def test_recorder_failing_at_the_end_raises_only_after_the_safe_state() -> None:
    bench = Bench()
    recorder = FailingRecorder("run_finished")
    with pytest.raises(StoreDown, match="connection lost"):
        run(Procedure("diag", "1", [source_on]), bench, recorder)
    assert bench.safe_calls() == ALL_SAFE
    assert bench.source.on is False
    assert len(recorder.steps) == 1


def test_an_error_after_a_fail_is_an_error_not_a_fail() -> None:
    bench = Bench()

    def failing_pack(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(1.0, "V"))  # the pack fails its window ...

    def broken_bench(ctx: StepContext) -> None:
        ctx.instruments.source.output_on(1)
        raise TransportError("TCPIP::10.0.0.3::5025::SOCKET: connection reset")

    result, recorder = run(Procedure("diag", "1", [failing_pack, broken_bench]), bench)
    assert [s.verdict for s in recorder.steps] == [Verdict.FAIL, Verdict.ERROR]
    assert result.verdict is Verdict.ERROR
    assert recorder.outcome is not None and recorder.outcome.conclusions == ()
    assert bench.source.on is False


def test_instrument_error_from_the_meter_while_the_source_is_on() -> None:
    bench = Bench()

    def charge(ctx: StepContext) -> None:
        ctx.instruments.source.output_on(1)
        raise InstrumentError('34461A: -222,"Data out of range" after CONF:VOLT:DC 10')

    result, recorder = run(Procedure("diag", "1", [charge, later]), bench)
    assert result.verdict is Verdict.ERROR
    assert recorder.steps[0].message.startswith("instrument error: InstrumentError:")
    assert len(recorder.steps) == 1
    assert bench.source.on is False
    assert bench.safe_calls() == ALL_SAFE


def test_conclude_that_raises_is_a_software_error_after_a_safe_state() -> None:
    bench = Bench()

    def conclude(view: RunView) -> list[object]:
        raise ValueError("rule table broken")

    procedure = Procedure("diag", "1", [source_on], conclude=conclude)  # type: ignore[arg-type]
    result, recorder = run(procedure, bench)
    assert result.verdict is Verdict.ERROR
    assert "software error: ValueError: rule table broken" in result.outcome.message
    assert bench.safe_calls() == ALL_SAFE
    assert recorder.outcome is not None
