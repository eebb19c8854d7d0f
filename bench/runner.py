"""The composition root of one run: station + procedure + store, and the safe state on every exit.

Order matters and is deliberate: everything that can be refused without touching anything
(procedure name, complaint, unit, spec, fault) is checked first; then the instruments are opened
(an unreachable one stops the run before a single row is written); only then does the recorder
start the run. The station is closed in a ``finally`` (every instrument's ``close`` makes it
safe), after the engine's own safe state, so pass, fail, error, Ctrl-C and SIGTERM all end with
outputs off. For the exits no ``finally`` survives (SIGKILL, a crash), a safety watchdog process
is started after the station's safe start and before the procedure can switch anything on
(``bench.watchdog``, docs/safety.md); a clean end tells it ``done``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bench.abort_switch import AbortableClock, AbortSwitch
from bench.cli_words import ENGLISH, ENGLISH_WORDS, Words, read_back
from bench.config import StationConfig
from bench.errors import (
    EXIT_ABORTED,
    EXIT_FAIL,
    EXIT_INCOMPLETE,
    EXIT_INSTRUMENT,
    EXIT_PASS,
    EXIT_SOFTWARE,
    EXIT_STORE,
    ConfigError,
    InputError,
    StoreUnavailable,
)
from bench.live import LiveView
from bench.recovery import recorder_for, replay_on_open
from bench.safe_start import (
    mark_dead_runs,
    process_state,
    release_stranded_units,
    restore_unit_after,
    with_safe_start_record,
)
from bench.session_record import SessionRecorder
from bench.simulated import check_fault
from bench.source_choice import check_opened, choose_source
from bench.station import Station, open_station
from bench.store_setting import shown
from bench.watchdog import Watchdog, start_for_run
from procedures.appearance import appearance_procedure
from procedures.clock import Clock, RealClock
from procedures.context import BenchInstruments
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger, OperatorFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import Procedure, RunResult, run_procedure
from procedures.outgoing import NAME as OUTGOING_INSPECTION
from procedures.outgoing import outgoing_procedure
from procedures.prompts import Prompts
from procedures.records import (
    Conclusion,
    Recorder,
    RunInfo,
    RunOutcome,
    StepRecord,
    Verdict,
)
from procedures.specs import PackSpec, builtin_spec, load_spec
from results.complaints import get_complaint
from results.db import read_session_factory
from results.errors import NotFound, ResultsError
from results.journal import JournalError, UnitUpdate
from results.journaled_recorder import JournaledRecorder, is_store_outage
from results.models import ReturnedUnit, UnitStatus
from results.read_model import ComplaintRead
from results.run_validity import invalidations
from results.store import open_store
from results.unit_summaries import summarise_unit

ProcedureBuilder = Callable[[FixtureChanger, DiagnosisOptions], Procedure]
PROCEDURES: dict[str, ProcedureBuilder] = {
    "diagnosis": lambda fixtures, options: build_diagnosis(fixtures, options),
    "appearance": lambda fixtures, options: appearance_procedure(),
    OUTGOING_INSPECTION: lambda fixtures, options: outgoing_procedure(),
}
"""Procedures ``packbench run`` knows by name; add yours here (docs/writing-a-procedure.md)."""
WITHOUT_INSTRUMENTS = frozenset({"appearance"})
"""Procedures whose only instrument is the operator (calipers, eyes, camera): no station is
opened for them, so an inspection at a QA desk needs neither hardware nor a simulator."""
MEASURE_ONLY = frozenset({OUTGOING_INSPECTION})
"""Procedures that only measure (multimeter, resistance meter, operator) and never switch an
output on: no temperature channel, no source choice and no watchdog are needed for them."""
KEEPS_UNIT_STATUS = frozenset({OUTGOING_INSPECTION})
"""Procedures that leave the unit's status and disposition alone: the outgoing inspection of a
reworked pack is not an analysis, so it must not turn a dispositioned unit back to analysed."""
Preflight = Callable[[PackSpec], None]
"""Called with the unit's pack spec before anything is opened or written; raises ``InputError``
for answers a run would need and cannot get (``--yes`` never invents a reading)."""
DIAGNOSIS_KINDS = ("root_cause", "symptom", "disposition", "cause_category")
SOFTWARE_ERROR = "software error:"
"""How the engine words a bug's recorded reason (``procedures.engine``): such a run exits 70."""


def diagnosis_options(config: StationConfig) -> DiagnosisOptions:
    """The sequence's options as the station file sets them (its wiring, not the defaults)."""
    return DiagnosisOptions(
        source_channel=config.source_channel,
        max_temperature=config.max_temperature,
        allow_charge_without_temperature=config.allow_charge_without_temperature,
        source_current_resolution=config.instruments["source"].current_resolution,
    )


def check_temperature_channel(config: StationConfig) -> None:
    """Refuse, before anything is opened or written, to energise packs with no temperature watch.

    A station file without ``[instruments.temperature]`` must say so explicitly with
    ``allow_charge_without_temperature = true``; every run it affects then records
    ``charge_temperature`` (and the protection tests' watches) as not measured with that reason.
    """
    if config.has_temperature or config.allow_charge_without_temperature:
        return
    raise ConfigError(
        config.source,
        "instruments.temperature",
        "is missing: the over-temperature abort of the recharge and protection tests cannot be "
        "armed",
        'add [instruments.temperature] with model = "34461A" and the resource of a 344xx on '
        "the pack's NTC or a probe, or set allow_charge_without_temperature = true under "
        "[limits] to charge without a temperature watch (recorded with every run)",
    )


def exit_code_for(verdict: Verdict) -> int:
    """The process exit status for a run's verdict (bench/errors.py holds the contract)."""
    if verdict in (Verdict.PASS, Verdict.MARGINAL, Verdict.SKIPPED):
        return EXIT_PASS
    if verdict is Verdict.INCOMPLETE:
        return EXIT_INCOMPLETE
    if verdict is Verdict.FAIL:
        return EXIT_FAIL
    if verdict is Verdict.ERROR:
        return EXIT_INSTRUMENT
    return EXIT_ABORTED


def diagnosis_of(conclusions: list[dict[str, Any]] | tuple[Conclusion, ...]) -> dict[str, Any]:
    """Root cause, symptom, disposition, cause category and advice, from records or DB rows."""
    plain = [
        {"kind": c.kind, "value": c.value, "evidence": list(c.evidence)}
        if isinstance(c, Conclusion)
        else c
        for c in conclusions
    ]
    result: dict[str, Any] = {kind: None for kind in DIAGNOSIS_KINDS}
    result["advice"] = []
    result["evidence"] = []
    for c in plain:
        if c["kind"] in DIAGNOSIS_KINDS:
            result[c["kind"]] = c["value"]
        elif c["kind"] == "advice":
            result["advice"].append(c["value"])
        if c["kind"] == "root_cause":
            result["evidence"] = list(c.get("evidence", []))
    return result


@dataclass(frozen=True)
class UnitOutcome:
    """One unit's run, as the verdict table and ``--json`` report it."""

    complaint: str
    unit: str
    run_id: int | None
    verdict: Verdict
    message: str
    conclusions: tuple[Conclusion, ...] = ()
    fault: str = ""
    steps: tuple[tuple[str, str], ...] = field(default=())
    """(step name, verdict) of every recorded step."""
    journal: str | None = None
    """The run journal holding records the store has not got yet (the store was unavailable)."""

    @property
    def exit_code(self) -> int:
        if self.journal is not None:
            return EXIT_STORE  # the verdict is real, but not on record yet: recover first
        if self.verdict is Verdict.ERROR and SOFTWARE_ERROR in self.message:
            return EXIT_SOFTWARE  # a bug of ours, recorded as an error run: not the instruments
        return exit_code_for(self.verdict)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "unit": self.unit,
            "run_id": self.run_id,
            "verdict": self.verdict.name.lower(),
            "message": self.message,
            "diagnosis": diagnosis_of(self.conclusions),
            "steps": [{"name": n, "verdict": v} for n, v in self.steps],
        }
        if self.fault:
            document["simulated_fault"] = self.fault
        if self.journal is not None:
            document["journal"] = self.journal
        return document


class ObservedRecorder:
    """The store's recorder, with the live view told of each record once it is persisted."""

    def __init__(self, inner: Recorder, view: LiveView | None) -> None:
        self.inner = inner
        self.view = view

    def run_started(self, info: RunInfo) -> None:
        self.inner.run_started(info)

    def step_finished(self, step: StepRecord) -> None:
        self.inner.step_finished(step)
        if self.view is not None:
            self.view.step_finished(step)

    def run_finished(self, outcome: RunOutcome) -> None:
        self.inner.run_finished(outcome)
        if self.view is not None:
            self.view.run_finished(outcome)


def open_store_for(config: StationConfig, *, replay: bool = True) -> sessionmaker[Session]:
    """The station's store, schema upgraded (a fresh SQLite file is created with its folder).

    Run journals left by runs that could not reach the store are replayed into it first
    (``bench.recovery``; ``replay=False`` for ``packbench recover``, which reports them itself).
    Every command opens its store here, so every command then also closes the runs a dead
    process of this host left ``running`` (``bench.safe_start.mark_dead_runs``) and says so once.
    """
    if "://" not in config.database:
        Path(config.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        sessions = open_store(config.database)
    except (SQLAlchemyError, ResultsError, OSError) as exc:
        if is_store_outage(exc):
            raise StoreUnavailable(
                f"{config.database_origin} ({shown(config.database)}): the results store is "
                "unavailable "
                f"({_first_line(exc)}); nothing was written. Fix: start the database server, "
                "free disk space or end the process holding the database, then try again"
            ) from None
        raise InputError(
            f"{config.database_origin} ({shown(config.database)}): cannot open the store: "
            f"{exc}. Fix: check the path or URL and that the database server is running"
        ) from exc
    if replay:
        replay_on_open(config, lambda text: print(text, file=sys.stderr))
    _close_dead_runs(sessions, config.operator, config.language)
    return sessions


def _close_dead_runs(sessions: sessionmaker[Session], actor: str, language: str) -> None:
    """Runs left ``running`` by a process of this host that is gone: said once, here, in the
    station's language."""
    try:
        notices = mark_dead_runs(sessions, actor=actor)
    except (SQLAlchemyError, ResultsError) as exc:  # a busy store: the next command tries again
        _say(
            f"runs of a process that is gone could not be closed yet ({_first_line(exc)}); "
            "the next command tries again",
            language,
        )
        return
    for notice in notices:
        _say(f"{notice} (its process is gone)", language)
    try:
        released = release_stranded_units(sessions, actor=actor)
    except (SQLAlchemyError, ResultsError):  # a busy store: the next command tries again
        return
    for notice in released:
        _say(notice, language)


NOTICE_PREFIX = "run_notice."
"""Templates of the runner's notices (``bench/locale``): each is worded in English here and
read back into the station's language when it is said (``bench.cli_words.read_back``)."""


def _say(text: str, language: str = ENGLISH) -> None:
    """A notice on stderr (stdout may carry ``--json``), in ``language``; a closed terminal
    does not raise."""
    with contextlib.suppress(OSError, ValueError):
        said = read_back(text, language, NOTICE_PREFIX)
        print(f"packbench: {said}", file=sys.stderr, flush=True)


def pending_notice(outcome: UnitOutcome, language: str) -> str:
    """``unit U-1: results store unavailable ...``: a run kept in its journal, said in the
    station's language (``UnitOutcome.message`` stays English: ``--json`` carries it)."""
    return f"unit {outcome.unit}: {read_back(outcome.message, language, NOTICE_PREFIX)}"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def resolve_spec(name: str | None, *candidates: str) -> PackSpec:
    """``--spec`` (a built-in model or a TOML file), else the unit's or complaint's model."""
    if name is not None and Path(name).suffix == ".toml":
        try:
            return load_spec(name)
        except (OSError, ValueError) as exc:
            raise InputError(f"--spec {name}: {exc}") from exc
    for model in (name, *candidates):
        if not model:
            continue
        try:
            return builtin_spec(model)
        except KeyError as exc:
            if model == name:
                raise InputError(f"--spec {name}: {exc.args[0]}") from None
    raise InputError(
        f"no pack spec for product model(s) {[c for c in candidates if c]}: register the unit "
        "with --model <spec model> (e.g. PB-1S2P-18650-5200) or pass --spec"
    )


@dataclass(frozen=True)
class UnitRef:
    complaint_id: int
    complaint_number: str
    unit_id: int
    serial: str
    spec: PackSpec


def find_unit(
    sessions: sessionmaker[Session], complaint: str, serial: str, spec: str | None
) -> UnitRef:
    engine = sessions.kw.get("bind")
    if isinstance(engine, Engine):  # only reads: never queue behind a busy store's writer
        sessions = read_session_factory(engine)
    with sessions() as session:
        try:
            found = get_complaint(session, complaint)
        except NotFound:
            raise InputError(
                f"complaint {complaint} does not exist; `packbench complaint list` shows the "
                "registered ones, `packbench complaint new` registers one"
            ) from None
        unit = session.scalars(
            select(ReturnedUnit).where(
                ReturnedUnit.complaint_id == found.id, ReturnedUnit.serial == serial
            )
        ).one_or_none()
        if unit is None:
            raise InputError(
                f"unit {serial} is not logged under complaint {complaint}; log it with "
                f"`packbench unit add {complaint} {serial} --model <spec>`"
            )
        pack = resolve_spec(spec, unit.product_model, found.product_model)
        return UnitRef(found.id, found.number, unit.id, unit.serial, pack)


def run_unit(
    config: StationConfig,
    *,
    procedure: str,
    complaint: str,
    unit: str,
    prompts: Prompts,
    view: LiveView | None = None,
    sim_fault: str | None = None,
    spec: str | None = None,
    sessions: sessionmaker[Session] | None = None,
    handle_signals: bool = True,
    preflight: Preflight | None = None,
    options: DiagnosisOptions | None = None,
    session: SessionRecorder | None = None,
    abort: AbortSwitch | None = None,
) -> UnitOutcome:
    """Run ``procedure`` for ``unit`` of ``complaint`` on the station and record it.

    Raises ``BenchError`` subclasses for refused input (nothing written) and for instruments that
    cannot be opened; ``KeyboardInterrupt`` only after a second Ctrl-C, once the run is recorded.
    ``session``: also keep every instrument exchange, clock reading and operator answer in a
    session folder (``--record``), for ``packbench replay`` and the emulators' conformance check.
    ``abort``: an abort button outside the main thread (the operator panel); tripping it ends
    the run *aborted* through the same safe state as Ctrl-C (``bench.abort_switch``).
    """
    arguments: dict[str, Any] = {
        "procedure": procedure,
        "complaint": complaint,
        "unit": unit,
        "view": view,
        "sim_fault": sim_fault,
        "spec": spec,
        "sessions": sessions,
        "handle_signals": handle_signals,
        "preflight": preflight,
        "options": options,
        "abort": abort,
    }
    if session is None:
        return _run_unit(config, prompts=prompts, session=None, results=[], **arguments)
    results: list[RunResult] = []
    try:
        return _run_unit(
            config, prompts=session.prompts(prompts), session=session, results=results, **arguments
        )
    finally:
        session.finished(results[0] if results else None)


def _run_unit(
    config: StationConfig,
    *,
    procedure: str,
    complaint: str,
    unit: str,
    prompts: Prompts,
    view: LiveView | None,
    sim_fault: str | None,
    spec: str | None,
    sessions: sessionmaker[Session] | None,
    handle_signals: bool,
    preflight: Preflight | None,
    options: DiagnosisOptions | None,
    session: SessionRecorder | None,
    results: list[RunResult],
    abort: AbortSwitch | None,
) -> UnitOutcome:
    builder = _builder(config, procedure, sim_fault)
    options = options or diagnosis_options(config)
    if options.discharge_capacity_check and procedure != "diagnosis":
        raise InputError(f"--capacity-check applies to the diagnosis, not to {procedure}; drop it")
    sessions = sessions or open_store_for(config)
    ref = find_unit(sessions, complaint, unit, spec)
    if preflight is not None:
        preflight(ref.spec)
    plan = _plan(config, procedure, ref, sim_fault)
    if view is not None:
        view.unit_started(
            ref.serial, f"simulated fault {plan.fault}" if plan.fault else ref.spec.model
        )
    station: Station | None = None
    if not plan.bench_free:
        station = open_station(
            config,
            prompts=prompts,
            unit_serial=ref.serial,
            sim_fault=sim_fault,
            spec_source=str(ref.spec.source),
            source_model=plan.source_model,
            tap=session,
        )
    if session is not None:
        _session_started(
            session,
            station,
            config,
            procedure=procedure,
            complaint=ref.complaint_number,
            unit=ref.serial,
            spec_model=ref.spec.model,
            spec_file=Path(ref.spec.source),
            fault=plan.fault,
            source_model=plan.source_model,
            capacity_check=options.discharge_capacity_check,
        )
    on_start = UnitUpdate(UnitStatus.ON_BENCH.value, config.operator, "bench run")

    def after_run(outcome: RunOutcome) -> UnitUpdate | None:
        return None if plan.keeps_status else _unit_after_run(outcome, config.operator)

    recorder = recorder_for(
        config,
        unit_id=ref.unit_id,
        complaint_id=ref.complaint_id,
        on_start=None if plan.keeps_status else on_start,
        after_run=after_run,
    )
    free_clock: Clock = RealClock() if session is None else session.clock(RealClock())
    result = _run_recorded(
        _Bench(config, sessions, ref, plan, station, recorder, prompts, view, free_clock, abort),
        builder,
        options,
        handle_signals=handle_signals,
    )
    results.append(result)
    return _unit_outcome(ref, recorder, result, plan.fault)


def _session_started(
    session: SessionRecorder, station: Station | None, config: StationConfig, **facts: Any
) -> None:
    """The session's manifest, once the instruments are identified; a folder that cannot be
    written stops the run here, with the station closed (its outputs are off: safe start)."""
    try:
        session.started(config, opened=station.opened if station is not None else {}, **facts)
    except OSError as exc:
        if station is not None:
            station.close()
        raise InputError(
            f"--record {session.folder}: cannot write the session ({exc.strerror}); nothing was "
            "measured. Fix: give a writable folder"
        ) from exc


def _builder(config: StationConfig, procedure: str, sim_fault: str | None) -> ProcedureBuilder:
    """The procedure's builder; refuses an unknown name or a simulated fault on a real bench."""
    builder = PROCEDURES.get(procedure)
    if builder is None:
        raise InputError(f"unknown procedure {procedure!r}; known: {', '.join(PROCEDURES)}")
    if sim_fault is not None and not config.simulated:
        raise InputError(
            f"--sim-fault {sim_fault}: station {config.station_id} is not simulated; "
            "drop --sim-fault or use a simulated station file"
        )
    return builder


@dataclass(frozen=True)
class _Plan:
    """What the run needs from the bench, decided (and checked) before anything is opened."""

    bench_free: bool
    energises: bool
    keeps_status: bool
    fault: str
    source_model: str | None


def _plan(config: StationConfig, procedure: str, ref: UnitRef, sim_fault: str | None) -> _Plan:
    bench_free = procedure in WITHOUT_INSTRUMENTS
    energises = not bench_free and procedure not in MEASURE_ONLY
    if energises:
        check_temperature_channel(config)
    if bench_free and sim_fault is not None:
        raise InputError(
            f"--sim-fault {sim_fault}: {procedure} uses no instruments, so no simulated fault "
            "applies; drop --sim-fault"
        )
    fault = ""
    if config.simulation is not None and not bench_free:
        fault = check_fault(
            config.simulation.fault_for(ref.serial, sim_fault), str(ref.spec.source)
        )
    source_model: str | None = None
    if energises:
        source_model = choose_source(config, ref.spec).model  # refuses a spec it cannot serve
    return _Plan(bench_free, energises, procedure in KEEPS_UNIT_STATUS, fault, source_model)


@dataclass(frozen=True)
class _Bench:
    """One unit's run as it is set up: the station (if any), its recorder and its plan."""

    config: StationConfig
    sessions: sessionmaker[Session]
    ref: UnitRef
    plan: _Plan
    station: Station | None
    recorder: JournaledRecorder
    prompts: Prompts
    view: LiveView | None
    free_clock: Clock
    """The clock of a run without a station (a bench-free procedure): the wall clock."""
    abort: AbortSwitch | None = None


def _run_recorded(
    bench: _Bench,
    builder: ProcedureBuilder,
    options: DiagnosisOptions,
    *,
    handle_signals: bool,
) -> RunResult:
    """Run the procedure with the watchdog on an energising bench; on every way out close the
    recorder and the station, and set the unit back when a started run did not finish."""
    config, ref, station, recorder = bench.config, bench.ref, bench.station, bench.recorder
    watchdog: Watchdog | None = None
    result: RunResult | None = None
    try:
        if station is not None and bench.plan.energises:  # before the first output can go on
            check_opened(station.instruments.source, ref.spec, config)
            watchdog = start_for_run(
                config,
                station.endpoints,
                unit_id=ref.unit_id,
                in_process=config.simulation is not None and config.simulation.control is None,
            )
        built = builder(station.fixtures if station else OperatorFixtures(bench.prompts), options)
        if station is not None and station.found_on:
            _warn_found_on(station.found_on, bench.view, config.language)
            built = with_safe_start_record(built, station.found_on)
        clock: Clock = station.clock if station else bench.free_clock
        if bench.abort is not None:  # the panel's button: the engine's event and every wait
            bench.abort.attach(recorder.stop_event)
            clock = AbortableClock(clock, bench.abort)
        result = run_procedure(
            built,
            instruments=station.instruments if station else BenchInstruments(),
            recorder=ObservedRecorder(recorder, bench.view),
            prompts=bench.prompts,
            clock=clock,
            spec=ref.spec,
            run_info=built.run_info(
                station=config.station_id,
                operator=config.operator,
                spec=ref.spec.model,
                unit_serial=ref.serial,
                complaint_number=ref.complaint_number,
            ),
            handle_signals=handle_signals,
            listener=bench.view,
            abort_event=recorder.stop_event,
        )
    except JournalError as exc:  # the run journal could not even be created: nothing ran
        raise StoreUnavailable(
            f"{exc}; nothing was measured or recorded. Fix: free disk space or set [recording] "
            "journal_dir in the station file to a writable folder"
        ) from None
    finally:
        try:
            recorder.close()
            if station is not None:
                station.close()
            started = recorder.run_id is not None and recorder.pending_journal is None
            unfinished = result is None or result.verdict >= Verdict.ERROR
            if started and unfinished and not bench.plan.keeps_status:
                _set_back(bench.sessions, ref.unit_id, config.operator, result, config.language)
        finally:
            if watchdog is not None:
                watchdog.done()
    return result


def _unit_outcome(
    ref: UnitRef, recorder: JournaledRecorder, result: RunResult, fault: str
) -> UnitOutcome:
    """What the run came to; a run kept in its journal (store down) says where it waits."""
    journal = recorder.pending_journal
    message = result.outcome.message
    if journal is not None:
        message = (
            f"results store unavailable ({recorder.outage}): the run is kept in its journal "
            f"{journal}; `packbench recover` (or any command, once the store is back) writes it"
            + (f"; {message}" if message else "")
        )
    return UnitOutcome(
        ref.complaint_number,
        ref.serial,
        recorder.run_id,
        result.verdict,
        message,
        result.outcome.conclusions,
        fault,
        tuple((s.name, s.verdict.name.lower()) for s in result.steps),
        None if journal is None else str(journal),
    )


def _warn_found_on(found_on: tuple[str, ...], view: LiveView | None, language: str) -> None:
    """Safe start's warning: English to the view (the panel publishes it as the run's notice;
    the terminal says it in the station's language), in the station's language on stderr."""
    found = "; ".join(found_on)
    if view is not None:
        view.line(ENGLISH_WORDS("live.notice.safe_start", found=found))
    _say(Words(language)("live.notice.safe_start", found=found))


def _set_back(
    sessions: sessionmaker[Session],
    unit_id: int,
    actor: str,
    result: RunResult | None,
    language: str,
) -> None:
    """An errored or aborted run leaves no diagnosis: the unit goes back to where it was."""
    how = "did not finish" if result is None else f"ended {result.verdict.name.lower()}"
    try:
        restore_unit_after(sessions, unit_id, actor=actor, reason=f"bench run {how}")
    except (SQLAlchemyError, ResultsError) as exc:  # the next command's store check retries
        _say(f"could not set unit {unit_id} back from on_bench: {exc}", language)


def _unit_after_run(outcome: RunOutcome, operator: str) -> UnitUpdate | None:
    """The unit's move at the end of a run, recorded with the run's end (same transaction).

    ``set_unit_status`` keeps a disposition given with any status and checks it against the
    manual's list only for ``dispositioned``: a unit that is ``analysed`` with a disposition
    carries the bench's proposal, which QA confirms (status ``dispositioned``) or overrides. A run
    that errored or was aborted makes no move here: ``run_unit`` sets the unit back to where it
    was before the bench (``_set_back``) once the run is on record.
    """
    if outcome.verdict >= Verdict.ERROR:
        return None
    proposed = diagnosis_of(outcome.conclusions)["disposition"]
    return UnitUpdate(
        UnitStatus.ANALYSED.value,
        operator,
        f"bench run; proposed disposition {proposed} (QA confirms)" if proposed else "bench run",
        disposition=proposed,
    )


def complaint_document(outcomes: list[UnitOutcome], complaint: str) -> dict[str, Any]:
    """The one JSON document of ``run``/``demo --json``: the complaint and a result per unit."""
    verdict = Verdict.worst([o.verdict for o in outcomes]) if outcomes else Verdict.SKIPPED
    return {
        "complaint": complaint,
        "verdict": verdict.name.lower(),
        "units": [o.to_json() for o in outcomes],
    }


def stored_units(session: Session, found: ComplaintRead) -> list[dict[str, Any]]:
    """Each unit of a complaint with each procedure's latest valid run (``complaint show``).

    ``results`` lists one entry per procedure, every field from the same run; the unit-level
    ``run_id``/``verdict``/``diagnosis`` are those of the primary entry (the diagnosis, else the
    only procedure run), never a mix. Invalid and aborted runs are listed under ``set_aside``.

    ``in_progress`` lists its runs still ``running`` with their process: ``running`` (alive on
    this host), or ``unknown`` (another host's process: it cannot be checked from here, so the
    run is left alone). Runs of a gone process of this host were already closed at store open.
    """
    invalid = invalidations(session, (r.id for u in found.units for r in u.runs))
    units: list[dict[str, Any]] = []
    for unit in sorted(found.units, key=lambda u: (u.serial, u.id)):
        summary = summarise_unit(unit.runs, invalid)
        primary = summary.primary
        running = [r for r in unit.runs if r.status == "running"]
        units.append(
            {
                "unit": unit.serial,
                "product_model": unit.product_model,
                "status": unit.status,
                "disposition": unit.disposition,
                "disposition_state": disposition_state(unit.status, unit.disposition),
                "run_id": primary.run_id if primary else None,
                "procedure": primary.procedure if primary else None,
                "verdict": primary.verdict if primary else None,
                "message": primary.message if primary else "",
                "diagnosis": primary.diagnosis() if primary else None,
                "runs": len([r for r in unit.runs if r.status != "running"]),
                "results": [
                    {
                        "procedure": r.procedure,
                        "run_id": r.run_id,
                        "verdict": r.verdict,
                        "message": r.message,
                        "diagnosis": r.diagnosis(),
                        "earlier_runs": r.earlier_runs,
                    }
                    for r in summary.results
                ],
                "set_aside": [
                    {
                        "run_id": a.run_id,
                        "procedure": a.procedure,
                        "standing": a.standing.value,
                        "reason": a.reason,
                    }
                    for a in summary.set_aside
                ],
                "in_progress": [
                    {"run_id": r.id, "host": r.host, "pid": r.pid, "process": process_state(r)}
                    for r in running
                ],
            }
        )
    return units


def disposition_state(status: str, disposition: str | None) -> str | None:
    """``proposed`` (by the bench's diagnosis), ``confirmed`` (by QA), or ``None`` (none yet)."""
    if not disposition:
        return None
    return "confirmed" if status == UnitStatus.DISPOSITIONED.value else "proposed"
