"""The run loop: steps in order, verdicts rolled up, every step recorded the moment it ends.

The engine owns what a procedure must never get wrong by itself: the classification of whatever
goes wrong (fail vs error vs aborted), Ctrl-C and SIGTERM, and the safe state, which runs on every
exit path (normal end included) and asks every instrument once, even when one of them hangs or
raises. A procedure is plain Python: a list of functions taking a ``StepContext``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

from instruments.errors import InstrumentError
from instruments.roles import Instrument
from procedures.clock import Clock
from procedures.context import (
    BenchInstruments,
    ProgressListener,
    RunState,
    RunView,
    StepContext,
    StepSkipped,
)
from procedures.declared import NEVER_SET, UNDECLARED, Declared, never_set, undeclared
from procedures.errors import (
    Interrupted,
    PackLimitExceeded,
    ProcedureDefinitionError,
    RunAborted,
)
from procedures.phrases import say
from procedures.prompts import Prompts
from procedures.records import (
    MISSING_HEAD,
    Conclusion,
    MeasurementRecord,
    Recorder,
    RunInfo,
    RunOutcome,
    StepRecord,
    Verdict,
)
from procedures.redaction import redact_addresses
from procedures.specs import PackSpec

StepFunction = Callable[[StepContext], object]
Condition = Callable[[RunView], bool]

SAFE_STATE_TIMEOUT_S = 10.0
"""How long one instrument's ``make_safe`` may take before the engine moves on to the next."""
FORCED_SAFE_STATE_TIMEOUT_S = 1.0
"""The same after a second Ctrl-C: every instrument is still asked, but nobody waits long."""


@dataclass(frozen=True)
class Step:
    """A step with a name, and optionally a condition on the run so far (``False``: skipped).

    ``measures`` declares what the step will measure (``procedures.declared``): a required one
    the body never records makes the step incomplete, and the rules are checked against them.
    """

    name: str
    run: StepFunction
    run_if: Condition | None = None
    description: str = ""
    measures: tuple[Declared, ...] = ()


@dataclass(frozen=True)
class Procedure:
    """Name, version, steps (``Step`` or plain functions, named after the function).

    ``conclude`` turns the finished run into the diagnosis; it is called only when no step
    errored or aborted, since conclusions from half a run would blame the pack for the bench.
    """

    name: str
    version: str
    steps: Sequence[Step | StepFunction]
    conclude: Callable[[RunView], Iterable[Conclusion]] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        normalized: list[Step] = []
        for item in self.steps:
            if isinstance(item, Step):
                normalized.append(item)
            elif callable(item):
                name = getattr(item, "__name__", None)
                if not name or name == "<lambda>":
                    raise ProcedureDefinitionError(
                        f"procedure {self.name!r}: step {item!r} has no usable name; wrap it "
                        "as Step('name', function)"
                    )
                normalized.append(Step(name, item, description=(item.__doc__ or "").strip()))
            else:
                raise ProcedureDefinitionError(
                    f"procedure {self.name!r}: {item!r} is neither a Step nor a function"
                )
        names = [s.name for s in normalized]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ProcedureDefinitionError(
                f"procedure {self.name!r}: step names {duplicates} are used twice; records "
                "refer to '<step>/<measurement>', so every step needs its own name"
            )
        object.__setattr__(self, "steps", tuple(normalized))

    def run_info(
        self,
        *,
        station: str,
        operator: str,
        spec: str,
        unit_serial: str,
        complaint_number: str | None = None,
    ) -> RunInfo:
        return RunInfo(
            self.name,
            self.version,
            station,
            operator,
            spec,
            unit_serial,
            complaint_number,
            datetime.now(UTC),
        )


def run_order(procedure: Procedure) -> tuple[Step, ...]:
    """The steps in the order the engine runs them, each a ``Step`` (``Procedure`` made every
    plain function one at definition, so nothing is dropped here)."""
    return tuple(step for step in procedure.steps if isinstance(step, Step))


@dataclass(frozen=True)
class RunResult:
    info: RunInfo
    outcome: RunOutcome
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return self.outcome.verdict

    def step(self, name: str) -> StepRecord:
        for record in self.steps:
            if record.name == name:
                return record
        raise KeyError(f"no step {name!r} in this run; steps: {[s.name for s in self.steps]}")

    def measurement(self, name: str) -> MeasurementRecord:
        """The last record of measurement ``name`` in the run."""
        for record in reversed(self.steps):
            for m in record.measurements:
                if m.name == name:
                    return m
        raise KeyError(f"no measurement {name!r} in this run")


class _SignalGuard:
    """SIGINT/SIGTERM/SIGHUP during a run: raise in the step, remember, force out after the safe
    state. SIGHUP (the terminal closed) is an abort like the others, not a silent death.

    A signal only raises where the engine is ready for it (inside a step, or while waiting for an
    instrument's ``make_safe``); anywhere else (e.g. inside the recorder) it is remembered and the
    engine stops at the next step boundary, so a record is never half-written because of Ctrl-C.
    """

    def __init__(self) -> None:
        self.in_step = False
        self.in_safe_wait = False
        self.safe_phase = False
        self.pending: str | None = None
        self.forced = False
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.safe_phase:
            self.forced = True
            if self.in_safe_wait:
                self.in_safe_wait = False
                raise Interrupted(name)
            return
        if self.pending is None:
            self.pending = name
        if self.in_step:
            self.in_step = False
            raise Interrupted(name)


def _signal_text(name: str) -> str:
    return "Ctrl-C (SIGINT)" if name == "SIGINT" else name


def _collect(result: object, conclusions: list[Conclusion]) -> None:
    if isinstance(result, Conclusion):
        conclusions.append(result)
    elif isinstance(result, list | tuple) and all(isinstance(c, Conclusion) for c in result):
        conclusions.extend(result)


def step_verdict(
    measurements: Sequence[MeasurementRecord], missing: Sequence[tuple[str, str]]
) -> tuple[Verdict, str]:
    """A finished step's verdict and message, from its records and its missing evidence.

    Worst measurement wins. A step that recorded only skipped measurements is *skipped* (it
    showed nothing; never "ok"); one that recorded nothing passes (it only prompted or moved
    the unit). A required test not performed makes the step at least *incomplete*; a failure
    still wins over it, and the message names the missing evidence either way.
    """
    verdict = Verdict.worst([m.verdict for m in measurements])
    message = ""
    if verdict is Verdict.SKIPPED:
        if measurements:
            message = say(
                "skip.nothing_measured",
                reason="; ".join(
                    say("skip.item", name=m.name, reason=m.comparison) for m in measurements
                ),
            )
        else:
            verdict = Verdict.PASS
    if missing:
        verdict = max(verdict, Verdict.INCOMPLETE)
        message = missing_text(missing)
    return verdict, message


def missing_text(missing: Sequence[tuple[str, str]]) -> str:
    """``required test not performed: a (why); b (why)``: the wording of every incomplete."""
    items = "; ".join(say("skip.item", name=name, reason=reason) for name, reason in missing)
    return say("skip.required", reason=items)


def _software_error(exc: Exception) -> str:
    """A bug's recorded reason: its type and message, without instrument or host addresses."""
    return redact_addresses(f"software error: {type(exc).__name__}: {exc}")


def _report_never_set(ctx: StepContext, step: Step, run: RunState) -> None:
    """Each required measurement ``step`` declared but did not record is missing evidence.

    A name the step already reported missing (``missing_evidence``) is not named twice.
    """
    recorded = {m.name for m in ctx.measurements}
    reported = {name for name, _ in ctx.missing}
    for name in never_set(step.measures, recorded, run.spec):
        if name not in reported:
            ctx.missing_evidence(name, NEVER_SET)


def _report_undeclared(ctx: StepContext, step: Step, run: RunState) -> tuple[str, ...]:
    """The measurements ``step`` recorded without declaring them, each warned about once.

    Not a crash and not a verdict: the record is judged like any other; the warning tells the
    developer the declaration (and so every check against it) is out of date.
    """
    names = tuple(undeclared(step.measures, (m.name for m in ctx.measurements), run.spec))
    for name in names:
        run.log.warning("step %s: %s: %s", step.name, name, UNDECLARED)
    return names


def _run_step(run: RunState, step: Step, index: int, guard: _SignalGuard) -> StepRecord:
    ctx = StepContext(run, step.name)
    started = datetime.now(UTC)
    verdict: Verdict
    message = ""
    try:
        if step.run_if is not None and not step.run_if(ctx):
            verdict, message = Verdict.SKIPPED, say("skip.condition")
        else:
            if run.listener is not None:
                run.listener.step_started(step.name)
            guard.in_step = True
            result = step.run(ctx)
            guard.in_step = False
            _collect(result, run.conclusions)
            _report_never_set(ctx, step, run)
            verdict, message = step_verdict(ctx.measurements, ctx.missing)
    except StepSkipped as exc:
        guard.in_step = False
        verdict, message = Verdict.SKIPPED, exc.reason
    except PackLimitExceeded as exc:
        guard.in_step = False
        run.stopped = exc.summary
        counted = Verdict.worst([m.verdict for m in ctx.measurements])
        verdict, message = max(counted, Verdict.FAIL), exc.reason
    except RunAborted as exc:
        guard.in_step = False
        verdict, message = Verdict.ABORTED, exc.reason
    except KeyboardInterrupt:
        guard.in_step = False
        verdict, message = Verdict.ABORTED, "interrupted by Ctrl-C (SIGINT)"
    except Interrupted as exc:
        verdict, message = Verdict.ABORTED, f"interrupted by {_signal_text(exc.signal_name)}"
    except InstrumentError as exc:
        guard.in_step = False
        verdict, message = Verdict.ERROR, f"instrument error: {type(exc).__name__}: {exc}"
        run.log.warning("step %s: %s", step.name, message)
    except Exception as exc:
        guard.in_step = False
        verdict, message = Verdict.ERROR, _software_error(exc)
        # The traceback is for developers: their log keeps it, never the run's evidence (which a
        # customer report's annex lists); the recorded reason names the error without addresses.
        run.log.error("step %s: software error: %r", step.name, exc, exc_info=True)
    return StepRecord(
        step.name,
        index,
        started,
        datetime.now(UTC),
        verdict,
        ctx.measurements,
        ctx.traces,
        message,
        ctx.attachments,
        _report_undeclared(ctx, step, run),
    )


def run_message(steps: Sequence[StepRecord], verdict: Verdict) -> str:
    """The run's one-line summary, from its steps' verdicts (never a constant).

    An incomplete run names every step that lacks evidence and what it lacks; a failed run
    names the steps that failed (and any missing evidence beside them, for QA); an errored run
    names each broken step with its recorded reason (instrument or software, already redacted).
    """
    parts: list[str] = []
    if verdict >= Verdict.FAIL:
        failed = [s.name for s in steps if s.verdict is Verdict.FAIL]
        if failed:
            parts.append(say("skip.failed_in", steps=", ".join(failed)))
        broken = [f"{s.name} ({s.message})" for s in steps if s.verdict is Verdict.ERROR]
        if broken:
            parts.append("error in " + ", ".join(broken))
    lacking = [
        f"{s.name}/{m.name}"
        for s in steps
        if s.message.startswith(MISSING_HEAD)
        for m in s.measurements
        if m.verdict is Verdict.SKIPPED and m.comparison.startswith(MISSING_HEAD)
    ]
    if lacking:
        parts.append(say("skip.required", reason=", ".join(lacking)))

    return "; ".join(parts)


def _record_unrun(run: RunState, recorder: Recorder, steps: Sequence[Step], reason: str) -> None:
    """Record the steps a ``PackLimitExceeded`` left unrun as skipped, with its reason.

    A missing step would read as "nobody looked"; a skipped one says why nobody could.
    """
    for step in steps:
        now = datetime.now(UTC)
        record = StepRecord(step.name, len(run.steps), now, now, Verdict.SKIPPED, message=reason)
        run.steps.append(record)
        recorder.step_finished(record)


def make_safe_all(
    instruments: BenchInstruments,
    *,
    timeout: float = SAFE_STATE_TIMEOUT_S,
    forced_timeout: float = FORCED_SAFE_STATE_TIMEOUT_S,
    guard: _SignalGuard | None = None,
) -> list[str]:
    """Ask every instrument once to go safe; return what went wrong (empty: all safe).

    Each ``make_safe`` runs in its own daemon thread so a hung instrument costs at most
    ``timeout`` (``forced_timeout`` after a second signal) and never blocks the others.
    """
    problems: list[str] = []
    for role, instrument in instruments.present():
        done = threading.Event()
        failure: list[BaseException] = []

        def work(
            inst: Instrument = instrument,
            done: threading.Event = done,
            failure: list[BaseException] = failure,
        ) -> None:
            try:
                inst.make_safe()
            except BaseException as err:
                failure.append(err)
            finally:
                done.set()

        threading.Thread(target=work, name=f"make_safe:{role}", daemon=True).start()
        limit = forced_timeout if guard is not None and guard.forced else timeout
        try:
            if guard is not None:
                guard.in_safe_wait = True
            finished = done.wait(limit)
            if guard is not None:
                guard.in_safe_wait = False
        except Interrupted:  # second signal: stop waiting for this one, still ask the rest
            finished = done.is_set()
        if not finished:
            problems.append(f"{role} did not confirm its safe state within {limit:g} s")
        elif failure:
            first = failure[0]
            problems.append(f"{role} make_safe failed: {type(first).__name__}: {first}")
    return problems


def _run_steps(
    procedure: Procedure, run: RunState, recorder: Recorder, guard: _SignalGuard
) -> tuple[Verdict | None, str]:
    """Every step in order, each recorded as it ends, until the last or one that stops the run.

    Returns the run's verdict when something other than the steps decides it (an abort, an
    error, a store failure; ``None``: the steps' verdicts do) and the run's message, if any.
    Signals, aborts and bugs raised here are classified by ``run_procedure``.
    """
    steps = run_order(procedure)
    for index, step in enumerate(steps):
        if guard.pending is not None:
            pending = _signal_text(guard.pending)
            return Verdict.ABORTED, f"interrupted by {pending} before step {step.name!r}"
        if run.abort_event is not None and run.abort_event.is_set():
            return Verdict.ABORTED, f"abort requested before step {step.name!r}"
        record = _run_step(run, step, index, guard)
        run.steps.append(record)
        try:
            recorder.step_finished(record)
        except Exception as exc:  # the store broke, not the pack: stop, say what is lost
            message = (
                f"recorder failed to store step {step.name!r} ({type(exc).__name__}: {exc}); "
                "that step's record may be lost and the run was stopped. Fix: check the "
                "database, then run the unit again"
            )
            run.log.error("procedure %s: %s", procedure.name, message, exc_info=True)
            return Verdict.ERROR, message
        if record.verdict >= Verdict.ERROR:
            return record.verdict, f"step {step.name!r}: {record.message}"
        if run.stopped is not None:
            unrun = f"not run: {run.stopped} in step {step.name!r}"
            _record_unrun(run, recorder, steps[index + 1 :], unrun)
            if procedure.conclude is not None:
                run.conclusions.extend(procedure.conclude(RunView(run)))
            return None, f"step {step.name!r} stopped the run: {record.message}"
    if guard.pending is not None:
        return Verdict.ABORTED, f"interrupted by {_signal_text(guard.pending)} after the last step"
    if procedure.conclude is not None:
        run.conclusions.extend(procedure.conclude(RunView(run)))
    return None, ""


def _safe_outcome(
    run: RunState, final: Verdict | None, message: str, timeout: float, guard: _SignalGuard
) -> RunOutcome:
    """Make the bench safe, then the run's outcome: its steps' worst verdict (or ``final``), and
    *error* with the reason when an instrument did not confirm its safe state."""
    problems = make_safe_all(run.instruments, timeout=timeout, guard=guard)
    verdict = Verdict.worst([s.verdict for s in run.steps] + [final or Verdict.SKIPPED])
    if final is None and not message:
        message = run_message(run.steps, verdict)
    if problems:
        verdict = max(verdict, Verdict.ERROR)
        message = "; ".join([message, "safe state: " + "; ".join(problems)]).lstrip("; ")
    return RunOutcome(verdict, datetime.now(UTC), message, tuple(run.conclusions))


def run_procedure(
    procedure: Procedure,
    *,
    instruments: BenchInstruments,
    recorder: Recorder,
    prompts: Prompts,
    clock: Clock,
    spec: PackSpec | None,
    run_info: RunInfo,
    handle_signals: bool = True,
    abort_event: threading.Event | None = None,
    safe_state_timeout: float = SAFE_STATE_TIMEOUT_S,
    listener: ProgressListener | None = None,
) -> RunResult:
    """Run ``procedure`` to its end, record it step by step, and leave the bench safe.

    Signals are handled only in the main thread (Python delivers them nowhere else); elsewhere,
    set ``abort_event`` to abort at the next step boundary or measurement. After a second Ctrl-C
    during the safe state, ``KeyboardInterrupt`` is raised once the run has been recorded.

    The recorder's failures never skip the safe state: a failing ``run_started`` is re-raised
    after it (nothing was recorded, so there is no run to finish); a failing ``step_finished``
    ends the run as *error*; a failing ``run_finished`` propagates after it.
    """
    run = RunState(
        procedure=procedure.name,
        instruments=instruments,
        prompts=prompts,
        clock=clock,
        spec=spec,
        log=logging.getLogger(f"packbench.procedure.{procedure.name}"),
        abort_event=abort_event,
        listener=listener,
    )
    guard = _SignalGuard()
    if handle_signals and threading.current_thread() is threading.main_thread():
        guard.install()
    final: Verdict | None = None
    message = ""
    start_failure: Exception | None = None
    with instruments.timed_by(clock):  # the drivers' own waits on the run's clock
        try:
            try:
                recorder.run_started(run_info)
            except Exception as exc:  # nothing recorded yet: make safe, then raise it as it came
                start_failure = exc
                raise
            final, message = _run_steps(procedure, run, recorder, guard)
        except (KeyboardInterrupt, Interrupted) as exc:
            name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
            final, message = Verdict.ABORTED, f"interrupted by {_signal_text(name)}"
        except RunAborted as exc:
            final, message = Verdict.ABORTED, exc.reason
        except Exception as exc:
            final, message = Verdict.ERROR, _software_error(exc)
            run.log.error("procedure %s: software error: %r", procedure.name, exc, exc_info=True)
        finally:
            guard.in_step = False
            guard.safe_phase = True
            try:
                outcome = _safe_outcome(run, final, message, safe_state_timeout, guard)
                if start_failure is None:
                    recorder.run_finished(outcome)
            finally:
                guard.restore()
    if start_failure is not None:
        raise start_failure
    if guard.forced:
        raise KeyboardInterrupt("forced exit after the safe state (second signal)")
    return RunResult(run_info, outcome, run.steps)
