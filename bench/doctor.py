"""``packbench doctor``: is this bench ready to test a pack, and if not, what to do about it.

A list of checks run in order, each answering with one or more results (ok, warning, failed or
skipped) that carry the fix in words a bench engineer acts on. A check never repairs anything:
the store is not created or migrated, no output is switched on; instruments are only opened,
identified, self-tested and asked for their safe state, which is read back (so do not run it
while a run is in progress on the same bench: it would switch that run's outputs off). The
checks share a
``DoctorContext`` so a later one can use what an earlier one found (the station, the store) and
skip itself, saying why, when that is missing.

To add a check, write a function
``(DoctorContext) -> Iterable[CheckResult]`` and append it to ``CHECKS`` with its name and the
exit status its failure means; ``run_checks`` needs no other change.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from bench.config import OPTIONAL_ROLES, ROLE_NAMES, StationConfig, load_station
from bench.endpoints import Endpoint
from bench.errors import (
    EXIT_BAD_INPUT,
    EXIT_INSTRUMENT,
    EXIT_PASS,
    EXIT_STORE,
    BenchError,
    ConfigError,
    StationError,
)
from bench.simulated import start_simulation
from bench.station import check_source_channel, open_endpoint, self_test
from bench.store_setting import StoreChoice, choose_store, with_store
from bench.watchdog import self_test as watchdog_self_test
from instruments.errors import InstrumentError
from instruments.roles import DCSource, ElectronicLoad, Instrument
from results import migrations
from results.db import READ_ONLY_OPTION, make_engine

Status = Literal["ok", "warning", "failed", "skipped"]


@dataclass(frozen=True)
class CheckResult:
    check: str
    """Which check (``station file``, ``store``, ``dmm``, ...): the first column printed."""
    status: Status
    detail: str
    fix: str = ""
    refused: ConfigError | None = field(default=None, compare=False, repr=False)
    """The station file's refusal the detail and fix word, so the command line can say it in
    the station's language (``bench.cli_words.config_error_text``)."""

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class DoctorContext:
    """What the checks share: the command's inputs and what earlier checks established."""

    station_file: Path | None
    database_option: str | None
    stack: ExitStack = field(default_factory=ExitStack)
    config: StationConfig | None = None
    store: StoreChoice | None = None
    engine: Engine | None = None
    store_ready: bool = False
    notes: dict[str, Any] = field(default_factory=dict)
    """Free space for added checks to leave findings for later ones."""


Check = Callable[[DoctorContext], Iterable[CheckResult]]


def check_station_file(ctx: DoctorContext) -> Iterable[CheckResult]:
    name = str(ctx.station_file) if ctx.station_file else "built-in simulated station"
    try:
        config = load_station(ctx.station_file)
    except ConfigError as exc:
        yield CheckResult(
            "station file", "failed", f"{exc.source}: {exc.field}: {exc.problem}", exc.fix, exc
        )
        return
    ctx.store = choose_store(config, ctx.database_option)
    ctx.config = with_store(config, ctx.store)
    kind = "simulated" if config.simulated else "real instruments"
    yield CheckResult("station file", "ok", f"{name}: station {config.station_id} ({kind})")


def _skipped(check: str, why: str) -> CheckResult:
    return CheckResult(check, "skipped", why)


def check_store(ctx: DoctorContext) -> Iterable[CheckResult]:
    """Reachable, migrated to the newest schema, writable; nothing created or changed."""
    if ctx.config is None or ctx.store is None:
        yield _skipped("store", "needs a valid station file (see above)")
        return
    choice = ctx.store
    where = f"{choice.shown()} (from {choice.origin})"
    sqlite_file = _sqlite_path(choice.target)
    if sqlite_file is not None and not sqlite_file.exists():
        finding = _missing_sqlite_file(where, sqlite_file)
        yield finding
        if finding.status == "warning":
            ctx.store_ready = True
        return
    try:
        writer = make_engine(choice.target, connect_args=_connect_timeout(choice.target))
        ctx.stack.callback(writer.dispose)
        # reads begin deferred (no write lock): a busy store is still reachable and readable
        engine = writer.execution_options(**{READ_ONLY_OPTION: True})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver's refusal is the finding here, not a crash
        yield CheckResult(
            "store",
            "failed",
            f"{where}: not reachable ({_first_line(exc)})",
            "check the URL or path, that the database server runs and accepts this user, or "
            "choose another store with --database / $PACKBENCH_DATABASE_URL",
        )
        return
    ctx.engine = engine
    yield CheckResult("store", "ok", f"{where}: reachable")
    schema = _schema_finding(engine, choice.target)
    yield schema
    if schema.status == "failed":
        return
    problem = _write_problem(engine, sqlite_file)
    if problem:
        yield CheckResult(
            "store",
            "failed",
            f"not writable: {problem}",
            "give this user write access (file and folder permissions for SQLite, INSERT "
            "rights on PostgreSQL), or stop whatever holds the store's write lock",
        )
        return
    ctx.store_ready = True
    yield CheckResult("store", "ok", "writable")


def _missing_sqlite_file(where: str, sqlite_file: Path) -> CheckResult:
    """A SQLite store not created yet: fine where its folder is writable (created on first use)."""
    folder = next((p for p in sqlite_file.parents if p.exists()), None)
    if folder is None or not os.access(folder, os.W_OK):
        return CheckResult(
            "store",
            "failed",
            f"{where}: the SQLite file does not exist and {folder} is not writable",
            "choose a writable place for the store (--database / $PACKBENCH_DATABASE_URL / "
            "station.database)",
        )
    return CheckResult(
        "store",
        "warning",
        f"{where}: the SQLite file does not exist yet (the first command creates it)",
        "nothing to do, or create it now with `packbench db upgrade`; if the benches "
        "share a store, point --database / $PACKBENCH_DATABASE_URL at it instead",
    )


def _schema_finding(engine: Engine, target: str) -> CheckResult:
    """The store's schema revision against the ones this packbench knows."""
    current, heads, known = _revisions(engine, target)
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        return CheckResult(
            "store",
            "failed",
            f"schema at revision {', '.join(unknown)}, which this packbench does not know "
            f"(its newest is {', '.join(heads)}): a newer packbench migrated the store",
            "update packbench on this bench to the version the store was migrated by",
        )
    if set(current) != set(heads):
        have = f"revision {', '.join(current)}" if current else "no schema"
        return CheckResult(
            "store",
            "warning",
            f"{have}, newest is {', '.join(heads)}: the next command will migrate it",
            "run `packbench db upgrade` once, deliberately (back a shared store up first), "
            "rather than let the next run do it",
        )
    return CheckResult("store", "ok", f"schema at revision {', '.join(current)} (the newest)")


def _sqlite_path(target: str) -> Path | None:
    if "://" not in target:
        return Path(target).expanduser()
    url = make_url(target)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).expanduser()
    return None


def _connect_timeout(target: str) -> dict[str, Any]:
    """A doctor answers in seconds: an unreachable server must not hold it for minutes."""
    if _sqlite_path(target) is not None:
        return {"timeout": 2.0}
    if make_url(target).get_backend_name() == "postgresql":
        return {"connect_timeout": 3}
    return {}


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _revisions(engine: Engine, target: str) -> tuple[list[str], list[str], set[str]]:
    """(the store's revisions, the newest this software has, every revision it knows)."""
    scripts = ScriptDirectory.from_config(migrations.config(target))
    known = {script.revision for script in scripts.walk_revisions()}
    with engine.connect() as connection:
        current = list(MigrationContext.configure(connection).get_current_heads())
    return sorted(current), sorted(scripts.get_heads()), known


def _write_problem(engine: Engine, sqlite_file: Path | None) -> str:
    """Why a run could not be recorded, tried without writing a row ("" when it could)."""
    if sqlite_file is not None:
        for path in (sqlite_file, sqlite_file.parent):
            if not os.access(path, os.W_OK):
                return f"{path} is read-only for this user"
        raw = engine.raw_connection()
        try:  # the write lock taken and given back at once, waiting 2 s at most for it
            raw.driver_connection.execute("PRAGMA busy_timeout=2000")  # type: ignore[union-attr]
            raw.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            raw.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        except Exception as exc:
            return f"{_first_line(exc)} (another process holds the write lock, or the disk)"
        finally:
            raw.close()
        return ""
    try:
        with engine.connect() as connection:
            if connection.execute(text("SHOW transaction_read_only")).scalar() == "on":
                return "the server is read-only (a standby, or default_transaction_read_only)"
            if connection.execute(text("SELECT to_regclass('run')")).scalar() is None:
                query = "SELECT has_schema_privilege(current_schema(), 'CREATE')"
                if not connection.execute(text(query)).scalar():
                    return "this user may not create the store's tables"
            elif not connection.execute(
                text("SELECT has_table_privilege('run', 'INSERT')")
            ).scalar():
                return "this user may not insert into the run table"
    except Exception as exc:  # a refusal of the server is the finding
        return _first_line(exc)
    return ""


def check_instruments(ctx: DoctorContext) -> Iterable[CheckResult]:
    """Each role opened alone: identity, self-test, and its safe state confirmed by reading
    back every output (each source channel, the load input)."""
    config = ctx.config
    if config is None:
        yield _skipped("instruments", "needs a valid station file (see above)")
        return
    endpoints: dict[str, Endpoint] = {}
    if config.simulation is not None and config.simulation.control is None:
        # a simulator of its own, started for the check (an attached one is left as it is:
        # its instruments are reached by their resources, no fault is applied to it)
        try:
            endpoints = start_simulation(config, ctx.stack, unit_serial="")[0]
        except BenchError as exc:
            yield CheckResult("instruments", "failed", str(exc), "see the message")
            return
    else:
        present = [r for r in OPTIONAL_ROLES if r in config.instruments]
        for role in (*ROLE_NAMES, *present):
            try:
                endpoints[role] = Endpoint.from_config(config.instruments[role])
            except StationError as exc:
                yield CheckResult(role, "failed", str(exc), f"give instruments.{role}.resource")
    for role, endpoint in endpoints.items():
        yield _check_one(config, role, endpoint)


def _check_one(config: StationConfig, role: str, endpoint: Endpoint) -> CheckResult:
    try:
        instrument = open_endpoint(endpoint, config)
    except StationError as exc:
        detail, _, fix = str(exc).partition(". Fix: ")
        return CheckResult(role, "failed", detail, fix or f"check instruments.{role}")
    try:
        identity = str(instrument.identity)
        test = self_test(instrument)
        if test.startswith(("fail", "error")):
            return CheckResult(
                role,
                "failed",
                f"{identity}: self-test {test}",
                "see the instrument's error display and manual; power-cycle it, then run "
                "`packbench doctor` again",
            )
        if role == "source":
            check_source_channel(config, instrument)
        safe = _safe_state(instrument)
    except ConfigError as exc:
        return CheckResult(role, "failed", f"{exc.field}: {exc.problem}", exc.fix, exc)
    except InstrumentError as exc:
        return CheckResult(
            role,
            "failed",
            f"{type(exc).__name__}: {exc}",
            "switch its outputs off at the front panel, check the cable, then try again",
        )
    finally:
        with contextlib.suppress(Exception):
            instrument.close()
    return CheckResult(role, "ok", f"{identity}; self-test {test}; {safe}")


def _safe_state(instrument: Instrument) -> str:
    """Ask for the safe state and read it back; ``InstrumentError`` if it is not confirmed."""
    instrument.make_safe()
    if isinstance(instrument, DCSource):
        live = [ch for ch in instrument.channels if instrument.is_output_on(ch)]
        if live:
            raise InstrumentError(f"output still on at channel(s) {live} after the safe state")
        listed = ", ".join(str(ch) for ch in instrument.channels)
        return f"outputs off on channels {listed} (read back)"
    if isinstance(instrument, ElectronicLoad):
        if instrument.is_input_on():
            raise InstrumentError("load input still on after the safe state")
        return "input off (read back)"
    return "nothing to switch off"


def check_temperature(ctx: DoctorContext) -> Iterable[CheckResult]:
    """The over-temperature watch: a temperature instrument (checked with the instruments
    above), or the station file's explicit consent to charge without one."""
    config = ctx.config
    if config is None:
        yield _skipped("temperature", "needs a valid station file (see above)")
        return
    if config.has_temperature:
        model = config.instruments["temperature"].model
        yield CheckResult(
            "temperature",
            "ok",
            f"{model} on the pack's probe arms the over-temperature abort of the recharge and "
            "the protection tests",
        )
    elif config.allow_charge_without_temperature:
        yield CheckResult(
            "temperature",
            "warning",
            "no temperature channel: packs are charged with no temperature watch "
            "(allow_charge_without_temperature = true; recorded with every run)",
            "add [instruments.temperature] (a 344xx on the pack's NTC or a probe)",
        )
    else:
        yield CheckResult(
            "temperature",
            "failed",
            "no temperature channel, and the station file does not allow charging without one: "
            "every diagnosis would be refused",
            "add [instruments.temperature] with a 344xx on the pack's NTC or a probe, or set "
            "allow_charge_without_temperature = true under [limits]",
        )


def check_watchdog(ctx: DoctorContext) -> Iterable[CheckResult]:
    """A real supervisor started and ended as a run would (``bench.watchdog.self_test``): a
    bench that cannot start one refuses every run that could energise a pack."""
    problem = watchdog_self_test()
    if problem is None:
        yield CheckResult(
            "watchdog", "ok", "a safety watchdog starts in its own session and ends cleanly"
        )
    else:
        detail, _, fix = problem.partition(". Fix: ")
        yield CheckResult("watchdog", "failed", detail, fix or "see the watchdog log")


CHECKS: list[tuple[str, Check, int]] = [
    ("station file", check_station_file, EXIT_BAD_INPUT),
    ("store", check_store, EXIT_STORE),
    ("instruments", check_instruments, EXIT_INSTRUMENT),
    ("temperature", check_temperature, EXIT_BAD_INPUT),
    ("watchdog", check_watchdog, EXIT_INSTRUMENT),
]
"""(name, check, exit status when it fails), run in this order; append new checks here."""


def run_checks(
    station_file: Path | None,
    database_option: str | None,
    report: Callable[[CheckResult], None],
    checks: list[tuple[str, Check, int]] | None = None,
) -> tuple[list[CheckResult], int]:
    """Every check's results (each handed to ``report`` as it comes) and the exit status: that
    of the first check that failed, else 0 (warnings do not fail the bench)."""
    ctx = DoctorContext(station_file, database_option)
    results: list[CheckResult] = []
    code = EXIT_PASS
    with ctx.stack:
        for _name, check, failure_code in checks if checks is not None else CHECKS:
            for result in check(ctx):
                results.append(result)
                report(result)
                if result.status == "failed" and code == EXIT_PASS:
                    code = failure_code
    return results, code
