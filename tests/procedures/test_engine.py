from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from procedure_fakes import Bench, info, run

from instruments.errors import InstrumentTimeout
from instruments.timebase import WALL_CLOCK
from instruments.units import Q_
from procedures.clock import RealClock
from procedures.context import BenchInstruments, StepContext
from procedures.engine import Procedure, Step, run_procedure
from procedures.errors import AbortRun, MissingInstrument, ProcedureDefinitionError
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import ScriptedPrompts
from procedures.records import Conclusion, Verdict
from procedures.specs import builtin_spec

VOLTAGE = Measurement("pack_voltage", "V", low=Q_(3.0, "V"), high=Q_(4.25, "V"))
RESISTANCE = Measurement(
    "pack_resistance", "mohm", high=Q_(120, "mohm"), marginal_high=Q_(100, "mohm")
)
REPO = Path(__file__).resolve().parents[2]


def check_voltage(ctx: StepContext) -> None:
    dmm = ctx.instruments.multimeter
    ctx.measure(VOLTAGE, dmm.dc_voltage(), instrument=dmm)


def test_passing_run_records_every_step_and_makes_safe_at_normal_end():
    bench = Bench()

    def resistance(ctx: StepContext) -> None:
        ctx.measure(RESISTANCE, Q_(0.08, "ohm"), instrument="HIOKI BT3562 s/n 0")

    procedure = Procedure("diag", "1.0", [check_voltage, resistance])
    result, recorder = run(procedure, bench)
    assert result.verdict is Verdict.PASS
    assert [s.name for s in recorder.steps] == ["check_voltage", "resistance"]
    assert [s.index for s in recorder.steps] == [0, 1]
    record = result.measurement("pack_voltage")
    assert record.value == pytest.approx(3.85)
    assert record.instrument == "Keysight Technologies 34461A s/n MY123 fw A.03"
    assert result.measurement("pack_resistance").value == pytest.approx(80.0)
    assert recorder.outcome is not None and recorder.outcome.verdict is Verdict.PASS
    assert bench.safe_calls() == ["source.make_safe", "load.make_safe", "dmm.make_safe"]


@pytest.mark.parametrize("fails", [False, True], ids=["passing run", "step raises"])
def test_the_run_lends_its_clock_to_the_instruments_and_takes_it_back(fails):
    """A driver's own waits (the tester's settling) run on the procedure's clock during the
    run, virtual time on a simulated bench, and on wall time again after it, however it ends."""
    bench = Bench()
    clock = RealClock()
    seen: list[object] = []

    def look(ctx: StepContext) -> None:
        seen.extend(instrument.timebase for _role, instrument in ctx.instruments.present())
        if fails:
            raise RuntimeError("software fault in the step")

    result, _recorder = run(Procedure("diag", "1.0", [look]), bench, clock=clock)
    assert result.verdict is (Verdict.ERROR if fails else Verdict.PASS)
    assert seen == [clock, clock, clock]
    assert [i.timebase for _r, i in bench.instruments.present()] == [WALL_CLOCK] * 3


def test_worst_verdict_wins_and_skipped_does_not_count():
    bench = Bench()

    def marginal(ctx: StepContext) -> None:
        ctx.measure(RESISTANCE, Q_(110, "mohm"))

    def failing(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(2.1, "V"))

    def skipped(ctx: StepContext) -> None:
        ctx.skip("not needed for this pack")

    def after_fail(ctx: StepContext) -> None:
        ctx.measure(Measurement("after", "V"), Q_(1, "V"))

    procedure = Procedure("diag", "1", [marginal, failing, skipped, after_fail])
    result, recorder = run(procedure, bench)
    verdicts = [s.verdict for s in recorder.steps]
    assert verdicts == [Verdict.MARGINAL, Verdict.FAIL, Verdict.SKIPPED, Verdict.PASS]
    assert recorder.steps[2].message == "not needed for this pack"
    assert result.verdict is Verdict.FAIL  # a fail does not stop the diagnosis

    only_marginal_and_skip = Procedure("d2", "1", [marginal, skipped])
    assert run(only_marginal_and_skip, Bench())[0].verdict is Verdict.MARGINAL


def test_step_exception_is_an_error_with_message_and_traceback_and_stops_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The traceback goes to the developers' log, never into the run's evidence."""
    bench = Bench()
    ran: list[str] = []

    def broken(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(3.7, "V"))
        raise ZeroDivisionError("division by zero in the rule")

    def never(ctx: StepContext) -> None:
        ran.append("never")

    result, recorder = run(Procedure("diag", "1", [broken, never]), bench)
    step = recorder.steps[0]
    assert step.verdict is Verdict.ERROR
    assert step.message == "software error: ZeroDivisionError: division by zero in the rule"
    assert step.measurements[0].verdict is Verdict.PASS  # what was taken before is kept
    assert step.attachments == []
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ZeroDivisionError]
    assert logged and "broken" in logged[0].getMessage()
    assert ran == []
    assert len(recorder.steps) == 1
    assert result.verdict is Verdict.ERROR
    assert "broken" in result.outcome.message and "ZeroDivisionError" in result.outcome.message
    assert len(bench.safe_calls()) == 3


def test_instrument_error_is_error_never_fail():
    bench = Bench()

    def charge(ctx: StepContext) -> None:
        ctx.instruments.source.measure_current(1)  # output off: the fake drops the link

    result, recorder = run(Procedure("diag", "1", [charge]), bench)
    assert recorder.steps[0].verdict is Verdict.ERROR
    assert recorder.steps[0].message.startswith("instrument error: TransportError:")
    assert result.verdict is Verdict.ERROR

    def timeout(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(1.0, "V"))  # a fail first ...
        raise InstrumentTimeout("no reply to READ?")  # ... then the bench breaks

    result, _ = run(Procedure("diag", "1", [timeout]), Bench())
    assert result.verdict is Verdict.ERROR
    assert result.steps[0].verdict is Verdict.ERROR


def test_missing_instrument_role_is_an_error_naming_the_role():
    bench = Bench()
    no_meter = BenchInstruments(source=bench.source)

    def needs_meter(ctx: StepContext) -> None:
        ctx.instruments.resistance_meter.read()

    result = run_procedure(
        Procedure("diag", "1", [needs_meter]),
        instruments=no_meter,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts({}),
        clock=RealClock(),
        spec=None,
        run_info=info(Procedure("diag", "1", [needs_meter])),
    )
    assert result.verdict is Verdict.ERROR
    assert "MissingInstrument" in result.steps[0].message
    assert "resistance meter" in result.steps[0].message
    assert bench.safe_calls() == ["source.make_safe"]
    with pytest.raises(MissingInstrument):
        _ = no_meter.load


@pytest.mark.parametrize(
    ("step_body", "expected_message"),
    [
        ("abort_run", "pack temperature 71 °C above 60 °C"),
        ("operator", "operator aborted at question 'connect_pack'"),
        ("ctrl_c", "interrupted by Ctrl-C (SIGINT)"),
    ],
)
def test_abort_paths_end_aborted_and_still_make_everything_safe(step_body, expected_message):
    bench = Bench()
    bench.load.on = True

    def step(ctx: StepContext) -> None:
        ctx.instruments.source.output_on(1)
        if step_body == "abort_run":
            raise AbortRun("pack temperature 71 °C above 60 °C")
        if step_body == "operator":
            ctx.prompt.confirm("connect_pack", "Connect the pack to the fixture")
        if step_body == "ctrl_c":
            raise KeyboardInterrupt

    def never(ctx: StepContext) -> None:
        raise AssertionError("must not run after an abort")

    answers = {"connect_pack": ScriptedPrompts.ABORT}
    result, recorder = run(Procedure("diag", "1", [step, never]), bench, answers=answers)
    assert result.verdict is Verdict.ABORTED
    assert recorder.steps[0].verdict is Verdict.ABORTED
    assert recorder.steps[0].message == expected_message
    assert expected_message in result.outcome.message
    assert len(recorder.steps) == 1
    assert recorder.outcome is not None and recorder.outcome.verdict is Verdict.ABORTED
    assert bench.safe_calls() == ["source.make_safe", "load.make_safe", "dmm.make_safe"]
    assert not bench.source.on and not bench.load.on


def test_abort_limit_breach_via_abort_on_fail():
    bench = Bench()
    over = Measurement("charge_current", "A", high=Q_(3.0, "A"))

    def charge(ctx: StepContext) -> None:
        ctx.measure(over, Q_(3.4, "A"), abort_on_fail=True)

    result, recorder = run(Procedure("diag", "1", [charge]), bench)
    assert result.verdict is Verdict.ABORTED
    assert recorder.steps[0].message.startswith("abort limit breached: charge_current 3.4 > 3")
    assert recorder.steps[0].measurements[0].verdict is Verdict.FAIL


def test_safe_state_reaches_every_instrument_even_if_one_raises():
    bench = Bench()
    bench.source.safe_error = InstrumentTimeout("OUTP OFF not acknowledged")

    result, recorder = run(Procedure("diag", "1", [check_voltage]), bench)
    assert bench.safe_calls() == ["source.make_safe", "load.make_safe", "dmm.make_safe"]
    assert result.verdict is Verdict.ERROR  # the bench may not be safe: never a clean pass
    assert "safe state: source make_safe failed: InstrumentTimeout" in result.outcome.message
    assert recorder.steps[0].verdict is Verdict.PASS


def test_hung_make_safe_is_bounded_and_the_others_are_still_asked():
    bench = Bench()
    release = threading.Event()
    bench.source.hang = release
    try:
        result, _ = run(Procedure("diag", "1", [check_voltage]), bench, safe_state_timeout=0.2)
        assert bench.safe_calls() == ["source.make_safe", "load.make_safe", "dmm.make_safe"]
        assert result.verdict is Verdict.ERROR
        assert "source did not confirm its safe state within 0.2 s" in result.outcome.message
    finally:
        release.set()


def test_recorder_gets_each_step_as_soon_as_it_completes():
    bench = Bench()
    recorder = MemoryRecorder()
    in_step_two = threading.Event()
    release = threading.Event()

    def one(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(3.7, "V"))

    def two(ctx: StepContext) -> None:
        in_step_two.set()
        release.wait(10)

    procedure = Procedure("diag", "1", [one, two])
    worker = threading.Thread(target=run, args=(procedure, bench, recorder))
    worker.start()
    try:
        assert in_step_two.wait(10)
        assert [s.name for s in recorder.steps] == ["one"]
        assert recorder.steps[0].verdict is Verdict.PASS
        assert recorder.outcome is None
    finally:
        release.set()
        worker.join(10)
    assert [s.name for s in recorder.steps] == ["one", "two"]
    assert recorder.outcome is not None


def test_conditional_steps_see_earlier_measurements():
    bench = Bench()
    bench.dmm.reading = Q_(0.02, "V")
    woke: list[float] = []

    def wake_recharge(ctx: StepContext) -> None:
        woke.append(ctx.value("pack_voltage"))
        ctx.measure(Measurement("wake_voltage", "V", low=Q_(3, "V")), Q_(3.4, "V"))

    def healthy_path(ctx: StepContext) -> None:
        raise AssertionError("pack is at 0 V: must be skipped")

    procedure = Procedure(
        "diag",
        "1",
        [
            check_voltage,
            Step("wake_recharge", wake_recharge, run_if=lambda v: v.value("pack_voltage") < 0.5),
            Step("healthy_path", healthy_path, run_if=lambda v: v.value("pack_voltage") >= 3.0),
        ],
    )
    result, recorder = run(procedure, bench)
    assert woke == [pytest.approx(0.02)]
    assert [s.verdict for s in recorder.steps] == [Verdict.FAIL, Verdict.PASS, Verdict.SKIPPED]
    assert recorder.steps[2].message == "condition not met"
    assert result.verdict is Verdict.FAIL


def test_conclusions_from_steps_and_from_conclude_reach_the_outcome():
    bench = Bench()
    bench.dmm.reading = Q_(0.0, "V")

    def voltage(ctx: StepContext) -> Conclusion:
        check_voltage(ctx)
        return Conclusion("symptom", "no voltage", "0 V at P+/P-", (ctx.ref("pack_voltage"),))

    def observe(ctx: StepContext) -> None:
        answer = ctx.prompt.choice("look", "Appearance?", ["ok", "swollen"])
        ctx.measure(CategoricalMeasurement("appearance", ["ok", "swollen"], ["ok"]), answer)
        ctx.conclude("advice", "inspect", "operator saw swelling", [ctx.ref("appearance")])

    def conclude(view):
        return [Conclusion("disposition", "scrap", "swollen and dead", (view.ref("appearance"),))]

    procedure = Procedure("diag", "1", [voltage, observe], conclude=conclude)
    result, recorder = run(procedure, bench, answers={"look": "swollen"})
    assert result.verdict is Verdict.FAIL
    kinds = [(c.kind, c.evidence) for c in result.outcome.conclusions]
    assert kinds == [
        ("symptom", ("voltage/pack_voltage",)),
        ("advice", ("observe/appearance",)),
        ("disposition", ("observe/appearance",)),
    ]
    assert recorder.outcome == result.outcome


def test_conclude_is_not_called_after_an_error():
    def broken(ctx: StepContext) -> None:
        raise RuntimeError("bug")

    def conclude(view):
        raise AssertionError("no diagnosis from half a run")

    result, _ = run(Procedure("diag", "1", [broken], conclude=conclude), Bench())
    assert result.verdict is Verdict.ERROR
    assert result.outcome.conclusions == ()


def test_measurement_recorded_twice_in_one_step_is_an_error():
    def twice(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(3.7, "V"))
        ctx.measure(VOLTAGE, Q_(3.7, "V"))

    result, _ = run(Procedure("diag", "1", [twice]), Bench())
    assert result.verdict is Verdict.ERROR
    assert "recorded twice in step 'twice'" in result.steps[0].message


def test_trace_and_attachment_are_kept_with_the_step():
    def recharge(ctx: StepContext) -> None:
        t = np.linspace(0, 10, 11)
        ctx.record_trace(
            "recharge",
            t,
            {"voltage": Q_(np.full(11, 3.9), "V"), "current": (np.full(11, 1.3), "A")},
        )
        ctx.attach("photo.jpg", b"\xff\xd8jpeg")

    result, _ = run(Procedure("diag", "1", [recharge]), Bench())
    step = result.steps[0]
    assert step.verdict is Verdict.PASS
    trace = step.traces[0]
    assert trace.channels["voltage"][1] == "V"
    assert trace.channels["current"][0].dtype == np.float64
    assert step.attachments == [("photo.jpg", b"\xff\xd8jpeg")]

    def bad_trace(ctx: StepContext) -> None:
        ctx.record_trace("x", [0, 1, 2], {"v": ([1, 2], "V")})

    result, _ = run(Procedure("diag", "1", [bad_trace]), Bench())
    assert "one value per time point" in result.steps[0].message


def test_spec_is_available_to_steps():
    seen = []

    def limits(ctx: StepContext) -> None:
        seen.append(ctx.spec.pack.voltage_low)

    procedure = Procedure("diag", "1", [limits])
    run_procedure(
        procedure,
        instruments=Bench().instruments,
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts({}),
        clock=RealClock(),
        spec=builtin_spec("PB-1S2P-18650-5200"),
        run_info=info(procedure),
    )
    assert seen == [Q_(3.0, "V")]


def test_abort_event_from_another_thread_stops_at_the_next_boundary():
    abort = threading.Event()

    def first(ctx: StepContext) -> None:
        abort.set()

    def second(ctx: StepContext) -> None:
        raise AssertionError("must not run")

    result, recorder = run(Procedure("diag", "1", [first, second]), Bench(), abort_event=abort)
    assert result.verdict is Verdict.ABORTED
    assert "abort requested before step 'second'" in result.outcome.message
    assert [s.name for s in recorder.steps] == ["first"]


def test_malformed_procedures_are_refused():
    with pytest.raises(ProcedureDefinitionError, match="used twice"):
        Procedure("diag", "1", [check_voltage, check_voltage])
    with pytest.raises(ProcedureDefinitionError, match="no usable name"):
        Procedure("diag", "1", [lambda ctx: None])
    with pytest.raises(ProcedureDefinitionError, match="neither a Step nor a function"):
        Procedure("diag", "1", ["check_voltage"])  # type: ignore[list-item]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_a_step_aborts_and_restores_the_handlers(signum):
    bench = Bench()
    before = signal.getsignal(signum)
    after_signal: list[str] = []

    def waiting(ctx: StepContext) -> None:
        ctx.instruments.source.output_on(1)
        signal.raise_signal(signum)
        after_signal.append("step went on")  # the handler must raise before this

    result, recorder = run(Procedure("diag", "1", [waiting, check_voltage]), bench)
    name = "Ctrl-C (SIGINT)" if signum == signal.SIGINT else "SIGTERM"
    assert after_signal == []
    assert result.verdict is Verdict.ABORTED
    assert recorder.steps[0].message == f"interrupted by {name}"
    assert len(recorder.steps) == 1
    assert bench.safe_calls() == ["source.make_safe", "load.make_safe", "dmm.make_safe"]
    assert signal.getsignal(signum) is before


def test_second_ctrl_c_during_safe_state_forces_exit_after_every_instrument_was_asked():
    bench = Bench()
    release = threading.Event()
    main = threading.main_thread().ident
    assert main is not None

    def hung_safe() -> None:
        bench.log.calls.append("source.make_safe")
        signal.pthread_kill(main, signal.SIGINT)  # the operator presses Ctrl-C again
        release.wait(10)

    bench.source.make_safe = hung_safe  # type: ignore[method-assign]

    def first_ctrl_c(ctx: StepContext) -> None:
        raise KeyboardInterrupt

    recorder = MemoryRecorder()
    try:
        with pytest.raises(KeyboardInterrupt, match="forced exit"):
            run(Procedure("diag", "1", [first_ctrl_c]), bench, recorder, safe_state_timeout=30)
    finally:
        release.set()
    assert bench.safe_calls() == ["source.make_safe", "load.make_safe", "dmm.make_safe"]
    assert recorder.outcome is not None
    assert recorder.outcome.verdict is Verdict.ABORTED
    assert "source did not confirm its safe state" in recorder.outcome.message


def test_real_sigterm_to_a_running_bench_process():
    script = textwrap.dedent(
        """
        import json, sys, time
        sys.path.insert(0, sys.argv[1])
        from procedure_fakes import Bench, run
        from procedures.engine import Procedure

        bench = Bench()

        def long_wait(ctx):
            ctx.instruments.source.output_on(1)
            print("ready", flush=True)
            ctx.clock.sleep(30)

        result, recorder = run(Procedure("diag", "1", [long_wait]), bench)
        print(json.dumps({
            "verdict": result.verdict.name,
            "message": result.outcome.message,
            "safe": bench.safe_calls(),
            "source_on": bench.source.on,
        }), flush=True)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report == {
        "verdict": "ABORTED",
        "message": "step 'long_wait': interrupted by SIGTERM",
        "safe": ["source.make_safe", "load.make_safe", "dmm.make_safe"],
        "source_on": False,
    }
