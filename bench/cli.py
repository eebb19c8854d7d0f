"""``packbench``: the bench's command line (``--help`` on every command).

Exit statuses: 0 pass, 1 fail verdict, 2 bad input, 3 instrument error, 4 incomplete (a required
test not performed), 5 store unavailable (the run is kept in its local journal; ``packbench
recover``), 70 software error (one line on screen, the traceback in the developers' log:
``bench.devlog``), 130 aborted (Ctrl-C or SIGTERM); the full list is in ``bench.errors``. With
``--json``, ``run``, ``demo`` and ``complaint show`` print exactly one JSON document on standard
output and send everything a person reads (progress, prompts) to standard error.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click
from sqlalchemy.exc import SQLAlchemyError

from bench.answers_check import check_answers_file, check_dimensions
from bench.appearance_check import check_answers
from bench.cli_clocks import complaint_class, complaint_clocks_command, complaint_pause, kpi
from bench.cli_common import (
    CleanText,
    Count,
    Positive,
    database_option,
    emit,
    human,
    json_option,
    parse_datetime,
    refuse_hidden_characters,
    station,
    station_option,
    store_options,
)
from bench.cli_complaints import check_model, complaint_edit, complaint_list, complaint_new
from bench.cli_containment import GROUPS as CONTAINMENT_GROUPS
from bench.cli_eightd import eightd
from bench.cli_major import major
from bench.cli_replay import replay
from bench.cli_replies import reply
from bench.cli_reports import report_version
from bench.cli_returns import add_unit_commands, return_
from bench.cli_runs import invalidate
from bench.cli_service import serve, token
from bench.cli_sync import sync
from bench.cli_verify import verify
from bench.cli_words import (
    ENGLISH,
    STATION_ENV,
    Words,
    config_error_text,
    error_language,
    error_text,
    forget_language,
    language_of,
    padded,
    read_back,
    show_click_error,
    words_for,
)
from bench.demo import run_demo
from bench.devlog import (
    install_devlog,
    install_operator_notices,
    record_crash,
    software_error_line,
)
from bench.doctor import CheckResult as DoctorCheck
from bench.doctor import run_checks
from bench.errors import (
    EXIT_ABORTED,
    EXIT_BAD_INPUT,
    EXIT_INSTRUMENT,
    EXIT_PASS,
    EXIT_SOFTWARE,
    EXIT_STORE,
    BenchError,
    ConfigError,
    InputError,
)
from bench.live import LiveView, TableRow
from bench.operator_choice import operator_option, with_operator
from bench.outgoing_check import check_outgoing
from bench.panel.cli import station_group
from bench.panel.publish import PanelRelay, shown_on
from bench.panel.view import PanelView
from bench.recovery import replay_pending
from bench.reporting import write_report
from bench.reporting_outgoing import write_outgoing_report
from bench.runner import (
    PROCEDURES,
    UnitOutcome,
    complaint_document,
    diagnosis_of,
    diagnosis_options,
    open_store_for,
    pending_notice,
    run_unit,
    stored_units,
)
from bench.session_record import SessionRecorder, check_record_folder
from bench.simulated import check_fault, fault_descriptions
from bench.simulated import serve as serve_simulation
from bench.station import CheckResult as InstrumentCheck
from bench.station import check_station
from bench.store_setting import shown
from bench.terminal_prompts import TerminalPrompts, load_answers
from procedures.outgoing import NAME as OUTGOING_INSPECTION
from procedures.specs import PackSpec
from results.attachments import EvidenceStore
from results.complaints import (
    add_returned_unit,
    get_complaint,
)
from results.errors import NotFound, ResultsError
from results.heap import settle_startup_heap
from results.journaled_recorder import is_store_outage
from results.readback import complaint_id_of, load_complaint
from results.store_words import refusal_text

_station_option = station_option
_json_option = json_option
_station = station
_human = human
_emit = emit
_datetime = parse_datetime


def _row(outcome: UnitOutcome) -> TableRow:
    d = diagnosis_of(outcome.conclusions)
    return TableRow(
        outcome.unit,
        outcome.verdict.name.lower(),
        d["root_cause"] or "-",
        d["symptom"] or "-",
        d["disposition"] or "-",
        outcome.run_id,
        outcome.fault,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@store_options
def cli() -> None:
    """Battery-return test bench: complaints, returned units, diagnosis runs, reports."""


@cli.command()
@_json_option
@store_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="HTML report path.")
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep each unit's session in DIR/<serial> (as `run --record`).",
)
@click.option(
    "--station",
    "station_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A simulated station file (its language, store and instruments). Default: the "
    "built-in simulated station ($PACKBENCH_STATION is not read: the demo needs a simulator).",
)
def demo(
    as_json: bool, out: Path | None, record_dir: Path | None, station_file: Path | None
) -> int:
    """Simulated station, one sample complaint with returned packs in different faults, the
    full diagnosis of each, a verdict table and the complaint's HTML report, in the station's
    language."""
    return run_demo(out=out, as_json=as_json, record=record_dir, station_file=station_file)


@cli.command()
@click.argument("procedure", type=click.Choice(sorted(PROCEDURES)))
@click.option(
    "--complaint", "-c", type=CleanText(), required=True, help="Complaint number (CC-2026-0001)."
)
@click.option(
    "--unit", "-u", "units", type=CleanText(), required=True, multiple=True, help="Unit serial."
)
@_station_option
@click.option(
    "--sim-fault",
    help="Simulated stations: the fault scenario for these units; combine faults with + "
    "(deep_discharge_uv+aged_cell).",
)
@click.option("--spec", help="Pack spec model or TOML file (default: the unit's model).")
@click.option(
    "--capacity-check",
    is_flag=True,
    help="diagnosis: add the discharge capacity check (0.5C to the cut-off with the station's "
    "load, then a full recharge; hours on a real bench).",
)
@click.option("--yes", "-y", is_flag=True, help="Answer every question with its default.")
@click.option(
    "--answers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scripted answers: JSON/TOML of question_id = answer.",
)
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the session in this new folder: every instrument exchange with its timing, the "
    "clock, the operator's answers, the station and spec files (one sub-folder per unit when "
    "there are several); `packbench replay DIR` re-runs it without hardware.",
)
@operator_option
@click.option(
    "--panel",
    is_flag=True,
    help="Show the run on this station's operator panel too (`packbench station serve`): its "
    "pages watch it and its abort button stops it; questions stay at this terminal.",
)
@_json_option
def run(
    procedure: str,
    complaint: str,
    units: tuple[str, ...],
    station_file: Path | None,
    sim_fault: str | None,
    spec: str | None,
    capacity_check: bool,
    yes: bool,
    answers: Path | None,
    record_dir: Path | None,
    operator: str | None,
    panel: bool,
    as_json: bool,
) -> int:
    """Run PROCEDURE for returned units of a complaint and record it in the store.

    \b
    diagnosis   the electrical diagnosis (voltage, wake recharge, protections, cells)
    appearance  appearance and dimension inspection: calipers, checklist, photos, lot records;
                no instruments. Photo answers are picture paths relative to the answers file;
                --yes never invents a caliper reading or a photo.
    outgoing_inspection  reworked or replacement goods before shipping: OCV, AC resistance,
                appearance checklist against the spec's [outgoing] limits; release or hold.
                Leaves the unit's status alone; --yes needs every checklist answer scripted.
    """
    if record_dir is not None:
        check_record_folder(record_dir)
    config = with_operator(_station(station_file), operator, may_ask=not (yes or answers))
    relay = PanelRelay(config.station_id, config.operator, procedure, complaint) if panel else None
    view = (
        LiveView(_human(as_json), locale=config.language)
        if relay is None
        else PanelView(relay.hub, _human(as_json), locale=config.language)
    )
    scripted = check_answers_file(procedure, load_answers(answers), answers) if answers else {}
    base_dir = answers.parent if answers else None
    prompts = TerminalPrompts(
        answers=scripted, yes=yes, view=view, base_dir=base_dir, locale=config.language
    )
    preflight = None
    if procedure == "appearance":

        def preflight(pack: PackSpec) -> None:
            check_dimensions(pack, scripted, answers or "")
            check_answers(pack, scripted, yes=yes, base_dir=base_dir)

    elif procedure == OUTGOING_INSPECTION:

        def preflight(pack: PackSpec) -> None:
            check_outgoing(pack, scripted, yes=yes)

    sessions = open_store_for(config)
    outcomes: list[UnitOutcome] = []
    aborted = False
    try:
        for serial in units:
            with shown_on(relay, serial) as shown:
                outcome = shown.outcome = run_unit(
                    config,
                    procedure=procedure,
                    complaint=complaint,
                    unit=serial,
                    prompts=prompts,
                    view=view,
                    sim_fault=sim_fault,
                    spec=spec,
                    sessions=sessions,
                    preflight=preflight,
                    options=replace(
                        diagnosis_options(config), discharge_capacity_check=capacity_check
                    ),
                    session=_session_for(record_dir, serial, several=len(units) > 1),
                    abort=shown.switch,
                )
            outcomes.append(outcome)
            if outcome.exit_code == EXIT_ABORTED:
                break
    except KeyboardInterrupt:
        aborted = True
    finally:
        if relay is not None:
            relay.close()
    view.table([_row(o) for o in outcomes])
    for pending in (o for o in outcomes if o.journal is not None):
        click.echo(f"packbench: {pending_notice(pending, config.language)}", err=True)
    if as_json:
        _emit(complaint_document(outcomes, complaint))
    if aborted:
        return EXIT_ABORTED
    # the worst verdict decides, not the largest number: 4 (incomplete) is not worse than 3;
    # that unit's own code keeps what its verdict alone cannot say (a software error: 70)
    return max(outcomes, key=lambda o: o.verdict).exit_code if outcomes else EXIT_PASS


def _session_for(folder: Path | None, serial: str, *, several: bool) -> SessionRecorder | None:
    """``--record DIR``: the unit's session folder (``DIR/<serial>`` when several units run)."""
    if folder is None:
        return None
    return SessionRecorder(folder / re.sub(r"[^A-Za-z0-9._-]", "_", serial) if several else folder)


@cli.group()
def complaint() -> None:
    """Register, list and show complaints."""


@complaint.command("show")
@click.argument("number")
@_station_option
@_json_option
def complaint_show(number: str, station_file: Path | None, as_json: bool) -> int:
    """A complaint's units: each procedure's latest valid run on its own row (invalid and
    aborted runs are listed below the table, not summarised)."""
    from bench.complaint_show_words import header_lines, set_aside_lines, unit_rows

    config = _station(station_file)
    say = words_for(config)
    sessions = open_store_for(config)
    with sessions() as session:
        try:
            found = load_complaint(session, complaint_id_of(session, number))
        except NotFound:
            raise InputError(
                f"complaint {number} does not exist; see `packbench complaint list`"
            ) from None
        header = {
            "complaint": found.number,
            "customer": found.customer,
            "product_model": found.product_model,
            "symptom": found.symptom,
            "severity": found.severity,
            "status": found.status,
        }
        units = stored_units(session, found)
    if as_json:
        _emit(header | {"units": units})
        return EXIT_PASS
    for line in header_lines(header, say):  # the words in ``bench.complaint_show_words``
        click.echo(line)
    view = LiveView(sys.stdout, locale=config.language)
    view.table([row for u in units for row in unit_rows(u, say)])
    for u in units:
        for line in set_aside_lines(u, say):
            click.echo(line)
    return EXIT_PASS


@cli.group()
def unit() -> None:
    """Log returned units and carry them along their path (disposition, move, status)."""


@unit.command("add")
@click.argument("complaint_number", type=CleanText())
@click.argument("serials", nargs=-1, required=True, type=CleanText())
@click.option(
    "--model",
    "product_model",
    type=CleanText(),
    default="",
    help="Pack spec model of the unit (default: the complaint's model).",
)
@click.option("--lot", type=CleanText(), default="")
@_station_option
def unit_add(
    complaint_number: str,
    serials: tuple[str, ...],
    product_model: str,
    lot: str,
    station_file: Path | None,
) -> int:
    """Log returned units (SERIALS) under a complaint."""
    config = _station(station_file)
    if product_model:
        check_model(product_model, allow_unknown=False, custom_hint=False)
    sessions = open_store_for(config)
    with sessions.begin() as session:
        try:
            found = get_complaint(session, complaint_number)
        except NotFound:
            raise InputError(
                f"complaint {complaint_number} does not exist; see `packbench complaint list`, "
                "or register it with `packbench complaint new`"
            ) from None
        for serial in serials:
            add_returned_unit(
                session,
                found.id,
                serial=serial,
                received_at=datetime.now(UTC),
                actor=config.operator,
                lot=lot,
                product_model=product_model or found.product_model,
            )
    click.echo(f"{len(serials)} unit(s) logged under {complaint_number}")
    return EXIT_PASS


@cli.command()
@click.argument("number")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "json", "csv"]), default="html")
@click.option("--lang", type=click.Choice(["en", "zh_CN"]), default="en")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@click.option(
    "--kind",
    type=click.Choice(["analysis", "outgoing"]),
    default="analysis",
    help="analysis: the complaint's report; outgoing: a unit's outgoing inspection report.",
)
@click.option("--unit", "unit_serial", type=CleanText(), help="--kind outgoing: the unit serial.")
@_station_option
def report(
    number: str,
    fmt: str,
    lang: str,
    out: Path | None,
    kind: str,
    unit_serial: str | None,
    station_file: Path | None,
) -> int:
    """Write the complaint's report (HTML/PDF) or its measurement log (JSON/CSV; a CSV in
    --lang zh_CN adds the coded cells in words, the codes kept), or with --kind outgoing
    --unit SERIAL a unit's outgoing inspection report (HTML/PDF)."""
    if (kind == "outgoing") != (unit_serial is not None):
        raise InputError(
            "--kind outgoing needs --unit SERIAL (the inspected unit), and --unit applies to "
            "--kind outgoing only; e.g. `packbench report CC-2026-0001 --kind outgoing --unit S1`"
        )
    config = _station(station_file)
    if unit_serial is not None:
        sessions = open_store_for(config)
        path = write_outgoing_report(sessions, number, unit_serial, fmt=fmt, lang=lang, out=out)
        click.echo(str(path))
        return EXIT_PASS
    evidence = EvidenceStore(config.evidence_dir)  # the annex photos live there
    say = words_for(config)
    written = write_report(
        open_store_for(config), number, fmt=fmt, lang=lang, out=out, evidence=evidence, say=say
    )
    click.echo(str(written.path))
    if written.state:
        click.echo(
            say("report.state_line", number=number, lang=lang, state=written.state), err=True
        )
    return EXIT_PASS


@cli.group()
def instruments() -> None:
    """Instrument checks."""


@instruments.command("check")
@_station_option
def instruments_check(station_file: Path | None) -> int:
    """Open every configured instrument: identity and self-test (*TST?) of each."""
    config = _station(station_file)

    say = words_for(config)

    def show(result: InstrumentCheck) -> None:
        mark = say("instruments.ok" if result.ok else "instruments.bad")
        click.echo(
            say("instruments.row", mark=mark, role=f"{result.role:<7}", resource=result.resource)
        )
        if result.identity:
            click.echo(say("instruments.identity", identity=result.identity))
        test = read_back(result.self_test, say.locale, "self_test.")
        click.echo(say("instruments.check", result=test))

    results = check_station(config, prompts=TerminalPrompts(yes=True), report=show)
    return EXIT_PASS if all(r.ok for r in results) else EXIT_INSTRUMENT


@cli.command()
@click.option(
    "--fault",
    default="healthy",
    help="Fault scenario (see --list-faults); combine with + (deep_discharge_uv+aged_cell).",
)
@click.option("--spec", default=None, help="Pack spec TOML (default: the reference pack).")
@click.option("--source-model", default="E36312A", type=click.Choice(["E36312A", "DP832"]))
@click.option("--load-model", default="DL3021", type=click.Choice(["DL3021", "IT8511"]))
@click.option("--rmeter-model", default="BT3562", type=click.Choice(["BT3562", "BT3563"]))
@click.option("--seed", type=Count(0, 2**32 - 1), default=0, help="Noise seed.")
@click.option("--speed", type=Positive(), default=None, help="Follow the wall clock times this.")
@click.option("--list-faults", is_flag=True, help="List the fault catalogue and exit.")
@_json_option
def sim(
    fault: str,
    spec: str | None,
    source_model: str,
    load_model: str,
    rmeter_model: str,
    seed: int,
    speed: float | None,
    list_faults: bool,
    as_json: bool,
) -> int:
    """Serve a standalone simulated bench until Ctrl-C (like python -m simulators)."""
    if list_faults:
        for name, text in fault_descriptions().items():
            click.echo(f"{name}\n    {text}")
        return EXIT_PASS
    check_fault(fault, spec)
    return serve_simulation(
        fault=fault,
        spec=spec,
        source_model=source_model,
        load_model=load_model,
        rmeter_model=rmeter_model,
        seed=seed,
        speed=speed,
        as_json=as_json,
    )


@cli.group()
def db() -> None:
    """The results store."""


@db.command("upgrade")
@_station_option
def db_upgrade(station_file: Path | None) -> int:
    """Create the store or bring its schema to the newest version."""
    config = _station(station_file)
    open_store_for(config)
    click.echo(f"store at {shown(config.database)} is up to date")
    return EXIT_PASS


@cli.command()
@_station_option
@_json_option
def doctor(station_file: Path | None, as_json: bool) -> int:
    """Check the station file, the store (reachable, migrated, writable) and every instrument
    (identity, self-test, safe state read back); each problem is named with its fix. Changes
    nothing. Exit status: 0 ready, 2 station file, 5 store, 3 instruments (the first failing)."""
    given = station_file or os.environ.get(STATION_ENV)
    say = Words(language_of(given))

    def show(result: DoctorCheck) -> None:
        out = _human(as_json)
        mark = say(f"doctor.mark.{result.status}")
        check = say.label("doctor_check.", result.check.replace(" ", "_"), result.check)
        detail = read_back(result.detail, say.locale, "doctor_detail.")
        refused = result.refused
        one_row = refused is not None and config_error_text(refused, say.locale) != str(refused)
        if refused is not None and one_row:  # the station file's problem and fix as one sentence
            detail = config_error_text(refused, say.locale)
            if result.check != "station file":  # an instrument's entry: named by its field
                detail = detail.removeprefix(f"{refused.source}：")
        click.echo(say("doctor.row", mark=mark, check=padded(check, 12), detail=detail), file=out)
        if result.fix and not one_row:
            fix = read_back(result.fix, say.locale, "doctor_fix.")
            click.echo(say("doctor.fix_row", pad=f"{'':<12}", fix=fix), file=out)

    results, code = run_checks(station_file, database_option(), show)
    if as_json:
        _emit({"ready": code == EXIT_PASS, "checks": [r.to_json() for r in results]})
    return code


@cli.command()
@_station_option
def recover(station_file: Path | None) -> int:
    """Write the runs kept in local journals (the store was unavailable) into the store.

    Each record is written exactly once: running it again, or after a crash half-way, writes
    nothing twice. Journals of runs still recording are left alone. Any command that opens the
    store does the same quietly; this one reports.
    """
    config = _station(station_file)
    sessions = open_store_for(config, replay=False)
    summary = replay_pending(config, sessions, click.echo)
    click.echo(
        f"{len(summary.recovered)} run journal(s) recovered, {summary.steps_written} step(s) "
        f"written; {len(summary.in_use)} still recording"
    )
    if summary.unavailable is not None:
        return EXIT_STORE
    return EXIT_SOFTWARE if summary.failed else EXIT_PASS


cli.add_command(serve)
cli.add_command(token)
cli.add_command(major)
cli.add_command(reply)
cli.add_command(replay)
cli.add_command(invalidate)
cli.add_command(report_version)
cli.add_command(sync)
cli.add_command(verify)
complaint.add_command(complaint_new)
complaint.add_command(complaint_list)
complaint.add_command(complaint_edit)
cli.add_command(kpi)
complaint.add_command(complaint_class)
complaint.add_command(complaint_pause)
complaint.add_command(complaint_clocks_command)
for _group in CONTAINMENT_GROUPS:  # containment, claim, feedback (bench.cli_containment)
    cli.add_command(_group)
cli.add_command(return_)
add_unit_commands(unit)
cli.add_command(eightd)
cli.add_command(station_group)


class _Terminated(KeyboardInterrupt):
    """SIGTERM outside a procedure: unwind like Ctrl-C so every ``finally`` (safe state) runs."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated("SIGTERM")


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _software_error(exc: BaseException, path: Path | None, argv: list[str]) -> str:
    """The one line an operator reads about a bug of ours, in the station's language (English:
    ``bench.devlog``'s line, as printed before)."""
    language = error_language(argv)
    if language == ENGLISH:
        return software_error_line(exc, path)
    say = Words(language)
    where = say("error.traceback_in", path=path) if path else say("error.traceback_lost")
    return say("error.software", kind=type(exc).__name__, where=where)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns (and exits with) the documented status."""
    code: int
    words = list(sys.argv[1:] if argv is None else argv)
    if argv is None:  # a command's own process, not a call in another (tests): see heap
        settle_startup_heap()
    install_devlog()
    install_operator_notices()
    forget_language()
    with _sigterm_unwinds():
        try:
            refuse_hidden_characters(words)
            result = cli.main(args=words, prog_name="packbench", standalone_mode=False)
            code = result if isinstance(result, int) else EXIT_PASS
        except click.exceptions.Abort:
            click.echo(Words(error_language(words))("error.aborted"), err=True)
            code = EXIT_ABORTED
        except click.ClickException as exc:
            show_click_error(exc, error_language(words))
            code = EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except ConfigError as exc:
            click.echo(f"packbench: {config_error_text(exc, error_language(words))}", err=True)
            code = exc.exit_code
        except BenchError as exc:
            click.echo(f"packbench: {error_text(str(exc), error_language(words))}", err=True)
            code = exc.exit_code
        except ResultsError as exc:
            click.echo(f"packbench: {refusal_text(exc, error_language(words))}", err=True)
            code = EXIT_BAD_INPUT
        except SQLAlchemyError as exc:
            if not is_store_outage(exc):
                raise
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            detail = first[0] if first else str(exc)
            say = Words(error_language(words))
            click.echo(say("error.store_unavailable", detail=detail), err=True)
            code = EXIT_STORE
        except KeyboardInterrupt:
            click.echo(Words(error_language(words))("error.aborted_safe"), err=True)
            code = EXIT_ABORTED
        except Exception as exc:  # a bug of ours: one line here, the traceback in the devlog
            click.echo(_software_error(exc, record_crash(exc, words), words), err=True)
            code = EXIT_SOFTWARE
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
