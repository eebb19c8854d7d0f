"""The composition root of one run: station + procedure + store, and the safe state on every exit.

Order matters and is deliberate: everything that can be refused without touching anything
(procedure name, complaint, unit, spec, fault) is checked first; then the instruments are opened
(an unreachable one stops the run before a single row is written); only then does the recorder
start the run. The station is closed in a ``finally`` (every instrument's ``close`` makes it
safe), after the engine's own safe state, so pass, fail, error, Ctrl-C and SIGTERM all end with
outputs off.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bench.config import StationConfig
from bench.errors import (
    EXIT_ABORTED,
    EXIT_FAIL,
    EXIT_INSTRUMENT,
    EXIT_PASS,
    EXIT_STORE,
    InputError,
    StoreUnavailable,
)
from bench.live import LiveView
from bench.station import Station, open_station
from procedures.appearance import appearance_procedure
from procedures.clock import RealClock
from procedures.context import BenchInstruments
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger, OperatorFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import Procedure, run_procedure
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
from results.db import open_store, read_session_factory
from results.errors import NotFound, ResultsError
from results.journal import JournalError, UnitUpdate
from results.journaled_recorder import is_store_outage
from results.models import ReturnedUnit, UnitStatus

ProcedureBuilder = Callable[[FixtureChanger], Procedure]
PROCEDURES: dict[str, ProcedureBuilder] = {
    "diagnosis": lambda fixtures: build_diagnosis(fixtures, DiagnosisOptions()),
    "appearance": lambda fixtures: appearance_procedure(),
}
"""Procedures ``packbench run`` knows by name; add yours here (docs/writing-a-procedure.md)."""
WITHOUT_INSTRUMENTS = frozenset({"appearance"})
"""Procedures whose only instrument is the operator (calipers, eyes, camera): no station is
opened for them, so an inspection at a QA desk needs neither hardware nor a simulator."""
Preflight = Callable[[PackSpec], None]
"""Called with the unit's pack spec before anything is opened or written; raises ``InputError``
for answers a run would need and cannot get (``--yes`` never invents a reading)."""
DIAGNOSIS_KINDS = ("root_cause", "symptom", "disposition", "cause_category")


def exit_code_for(verdict: Verdict) -> int:
    if verdict in (Verdict.PASS, Verdict.MARGINAL, Verdict.SKIPPED):
        return EXIT_PASS
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
    """
    if "://" not in config.database:
        Path(config.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        sessions = open_store(config.database)
    except (SQLAlchemyError, ResultsError, OSError) as exc:
        if is_store_outage(exc):
            raise StoreUnavailable(
                f"station.database ({config.database}): the results store is unavailable "
                f"({_first_line(exc)}); nothing was written. Fix: start the database server, "
                "free disk space or end the process holding the database, then try again"
            ) from None
        raise InputError(
            f"station.database ({config.database}): cannot open the store: {exc}. Fix: check "
            "the path or URL and that the database server is running"
        ) from exc
    if replay:
        from bench.recovery import replay_on_open

        replay_on_open(config, lambda text: print(text, file=sys.stderr))
    return sessions


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
) -> UnitOutcome:
    """Run ``procedure`` for ``unit`` of ``complaint`` on the station and record it.

    Raises ``BenchError`` subclasses for refused input (nothing written) and for instruments that
    cannot be opened; ``KeyboardInterrupt`` only after a second Ctrl-C, once the run is recorded.
    """
    builder = PROCEDURES.get(procedure)
    if builder is None:
        raise InputError(f"unknown procedure {procedure!r}; known: {', '.join(PROCEDURES)}")
    if sim_fault is not None and not config.simulated:
        raise InputError(
            f"--sim-fault {sim_fault}: station {config.station_id} is not simulated; "
            "drop --sim-fault or use a simulated station file"
        )
    sessions = sessions or open_store_for(config)
    ref = find_unit(sessions, complaint, unit, spec)
    if preflight is not None:
        preflight(ref.spec)
    bench_free = procedure in WITHOUT_INSTRUMENTS
    if bench_free and sim_fault is not None:
        raise InputError(
            f"--sim-fault {sim_fault}: {procedure} uses no instruments, so no simulated fault "
            "applies; drop --sim-fault"
        )
    fault = ""
    if config.simulation is not None and not bench_free:
        from bench.simulated import check_fault

        fault = check_fault(config.simulation.fault_for(ref.serial, sim_fault))
    if view is not None:
        view.unit_started(ref.serial, f"simulated fault {fault}" if fault else ref.spec.model)
    station: Station | None = None
    if not bench_free:
        station = open_station(
            config,
            prompts=prompts,
            unit_serial=ref.serial,
            sim_fault=sim_fault,
            spec_source=str(ref.spec.source),
        )
    from bench.recovery import recorder_for

    recorder = recorder_for(
        config,
        unit_id=ref.unit_id,
        complaint_id=ref.complaint_id,
        on_start=UnitUpdate(UnitStatus.ON_BENCH.value, config.operator, "bench run"),
        after_run=lambda outcome: _unit_after_run(outcome, config.operator),
    )
    try:
        built = builder(station.fixtures if station else OperatorFixtures(prompts))
        result = run_procedure(
            built,
            instruments=station.instruments if station else BenchInstruments(),
            recorder=ObservedRecorder(recorder, view),
            prompts=prompts,
            clock=station.clock if station else RealClock(),
            spec=ref.spec,
            run_info=built.run_info(
                station=config.station_id,
                operator=config.operator,
                spec=ref.spec.model,
                unit_serial=ref.serial,
                complaint_number=ref.complaint_number,
            ),
            handle_signals=handle_signals,
            listener=view,
            abort_event=recorder.stop_event,
        )
    except JournalError as exc:  # the run journal could not even be created: nothing ran
        raise StoreUnavailable(
            f"{exc}; nothing was measured or recorded. Fix: free disk space or set [recording] "
            "journal_dir in the station file to a writable folder"
        ) from None
    finally:
        recorder.close()
        if station is not None:
            station.close()
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


def _unit_after_run(outcome: RunOutcome, operator: str) -> UnitUpdate | None:
    """The unit's move at the end of a run, recorded with the run's end (same transaction).

    ``set_unit_status`` keeps a disposition given with any status and checks it against the
    manual's list only for ``dispositioned``: a unit that is ``analysed`` with a disposition
    carries the bench's proposal, which QA confirms (status ``dispositioned``) or overrides. A run
    that errored or was aborted leaves the unit where it is.
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


def stored_units(session: Session, complaint_number: str) -> list[dict[str, Any]]:
    """Each unit of a complaint with its latest finished run (for ``complaint show``)."""
    found = get_complaint(session, complaint_number)
    units: list[dict[str, Any]] = []
    for unit in sorted(found.units, key=lambda u: (u.serial, u.id)):
        runs = sorted(
            (r for r in unit.runs if r.status != "running"),
            key=lambda r: (r.started_at, r.id),
        )
        latest = runs[-1] if runs else None
        units.append(
            {
                "unit": unit.serial,
                "product_model": unit.product_model,
                "status": unit.status,
                "disposition": unit.disposition,
                "disposition_state": disposition_state(unit.status, unit.disposition),
                "run_id": latest.id if latest else None,
                "run_status": latest.status if latest else None,
                "verdict": (latest.verdict or "").lower() if latest else None,
                "message": latest.message if latest else "",
                "diagnosis": diagnosis_of(list(latest.conclusions or [])) if latest else None,
                "runs": len(runs),
            }
        )
    return units


def disposition_state(status: str, disposition: str | None) -> str | None:
    """``proposed`` (by the bench's diagnosis), ``confirmed`` (by QA), or ``None`` (none yet)."""
    if not disposition:
        return None
    return "confirmed" if status == UnitStatus.DISPOSITIONED.value else "proposed"


def aware_now() -> datetime:
    return datetime.now(UTC)
