"""``packbench run``: a procedure for returned units of a complaint, recorded in the store.

Imported only when ``run`` runs (``bench.cli_lazy``): it brings the runner, the procedures and
the instruments.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import click

from bench.answers_check import check_answers_file, check_dimensions
from bench.appearance_check import check_answers
from bench.cli_common import CleanText, emit, human, json_option, station, station_option
from bench.errors import EXIT_ABORTED, EXIT_PASS
from bench.live import LiveView, TableRow
from bench.operator_choice import operator_option, with_operator
from bench.outgoing_check import check_outgoing
from bench.panel.publish import PanelRelay, shown_on
from bench.panel.view import PanelView
from bench.runner import (
    PROCEDURES,
    UnitOutcome,
    complaint_document,
    diagnosis_of,
    diagnosis_options,
    open_store_for,
    pending_notice,
    run_unit,
)
from bench.session_record import SessionRecorder, check_record_folder
from bench.terminal_prompts import TerminalPrompts, load_answers
from procedures.outgoing import NAME as OUTGOING_INSPECTION
from procedures.specs import PackSpec


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


@click.command()
@click.argument("procedure", type=click.Choice(sorted(PROCEDURES)))
@click.option(
    "--complaint", "-c", type=CleanText(), required=True, help="Complaint number (CC-2026-0001)."
)
@click.option(
    "--unit", "-u", "units", type=CleanText(), required=True, multiple=True, help="Unit serial."
)
@station_option
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
@json_option
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
    config = with_operator(station(station_file), operator, may_ask=not (yes or answers))
    relay = PanelRelay(config.station_id, config.operator, procedure, complaint) if panel else None
    view = (
        LiveView(human(as_json), locale=config.language)
        if relay is None
        else PanelView(relay.hub, human(as_json), locale=config.language)
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
        emit(complaint_document(outcomes, complaint))
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
