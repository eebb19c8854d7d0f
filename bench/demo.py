"""``packbench demo`` (``make demo``): the whole job on a simulated bench.

One sample complaint with seven returned packs, each carrying a different fault from the
simulator's catalogue; each is diagnosed in full (intake questions, voltage check, wake recharge,
closed-pack tests, disassembly and board tests where still unexplained) with live progress; then
the verdict table, with the catalogue's expected root cause beside each diagnosis, and the
complaint's HTML report, written to a path the demo prints. Needs nothing but this repository:
the store is an SQLite file in the user data directory, created on first use.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bench.cli_common import station
from bench.cli_words import words_for
from bench.errors import EXIT_ABORTED, EXIT_INSTRUMENT, EXIT_PASS
from bench.live import LiveView, TableRow
from bench.reporting import write_report
from bench.runner import UnitOutcome, complaint_document, diagnosis_of, open_store_for, run_unit
from bench.session_record import SessionRecorder, check_record_folder
from bench.terminal_prompts import TerminalPrompts
from procedures.records import Verdict
from results.attachments import EvidenceStore
from results.complaints import ComplaintForm, add_returned_unit, register_complaint
from simulators.launcher import fault_catalogue

SPEC = "PB-1S2P-18650-5200"
FAULTS: tuple[str, ...] = (
    "healthy",
    "deep_discharge_uv",
    "zero_volt_cell",
    "internal_short",
    "aged_cell",
    "open_fuse",
    "overcurrent_protection_failed",
)
"""Faults the default simulated station (E36312A, DL3021, BT3562) diagnoses on the 1S2P pack."""
ANSWERS: dict[str, object] = {
    "usage_device": "handheld scanner",
    "usage_charger": "original",
    "usage_temperature": "normal",
    "usage_time_in_use": "1_to_12_months",
    "usage_location": "indoor",
    "known_good_pack_works": "yes",
    "pack_swelling": "none",
    "disassembly_confirm": True,
    "cell_swelling": "none",
}
"""What the customer's form says, answered on the operator's behalf (echoed in the output)."""


def register_demo_complaint(sessions: object, faults: Sequence[str]) -> tuple[str, list[str]]:
    assert isinstance(sessions, sessionmaker)
    factory: sessionmaker[Session] = sessions
    now = datetime.now(UTC)
    form = ComplaintForm(
        customer="Demo Scanners Ltd.",
        product_model=SPEC,
        shipped_qty=500,
        defect_qty=len(faults),
        symptom="no_power_on",
        severity="general",
        received_at=now,
        received_by="demo",
        project="handheld scanner",
        usage_location="warehouse",
        customer_demands="analysis report and replacement of faulty packs",
    )
    with factory.begin() as session:
        complaint = register_complaint(session, form, actor="demo", now=now)
        serials = [f"{complaint.number[-4:]}-{i:02d}" for i in range(1, len(faults) + 1)]
        for serial in serials:
            add_returned_unit(
                session,
                complaint.id,
                serial=f"DEMO-{serial}",
                received_at=now,
                actor="demo",
                lot="L2025-11",
                product_model=SPEC,
            )
        return complaint.number, [f"DEMO-{s}" for s in serials]


def run_demo(
    *,
    out: Path | None = None,
    as_json: bool = False,
    record: Path | None = None,
    station_file: Path | None = None,
) -> int:
    """Run the demo; 0 when every unit was diagnosed (whatever the packs' verdicts).

    ``record``: keep each unit's session in ``record/<serial>`` (``packbench replay``).
    ``station_file``: a simulated station of one's own (its language, store and instruments);
    by default the built-in one. The output and the report are in the station's language."""
    if record is not None:
        check_record_folder(record)
    human = sys.stderr if as_json else sys.stdout
    # the station (built-in by default), with the store every command agrees on
    config = station(station_file)
    say = words_for(config)
    view = LiveView(human, locale=config.language)
    sessions = open_store_for(config)
    number, serials = register_demo_complaint(sessions, FAULTS)
    view.line(
        say(
            "demo.complaint",
            number=number,
            count=len(serials),
            model=SPEC,
            station=config.station_id,
        )
    )
    prompts = TerminalPrompts(answers=ANSWERS, view=view, locale=config.language)
    outcomes: list[UnitOutcome] = []
    for serial, fault in zip(serials, FAULTS, strict=True):
        outcomes.append(
            run_unit(
                config,
                procedure="diagnosis",
                complaint=number,
                unit=serial,
                prompts=prompts,
                view=view,
                sim_fault=fault,
                sessions=sessions,
                session=None if record is None else SessionRecorder(record / serial),
            )
        )
    catalogue = fault_catalogue()
    rows = []
    for outcome in outcomes:
        found = diagnosis_of(outcome.conclusions)["root_cause"] or "-"
        expected = str(catalogue[outcome.fault].expected_root_cause)
        rows.append(
            TableRow(
                outcome.unit,
                outcome.verdict.name.lower(),
                found,
                diagnosis_of(outcome.conclusions)["symptom"] or "-",
                diagnosis_of(outcome.conclusions)["disposition"] or "-",
                outcome.run_id,
                outcome.fault,
                "" if found == expected else expected,
            )
        )
    view.table(rows)
    evidence = EvidenceStore(config.evidence_dir)
    report = write_report(
        sessions, number, fmt="html", lang=config.language, out=out, evidence=evidence, say=say
    ).path
    view.line("")
    view.line(say("demo.report", path=report))
    if as_json:
        document = complaint_document(outcomes, number) | {"report": str(report)}
        print(json.dumps(document, indent=2, ensure_ascii=False))
    if any(o.verdict is Verdict.ABORTED for o in outcomes):
        return EXIT_ABORTED
    return EXIT_INSTRUMENT if any(o.verdict is Verdict.ERROR for o in outcomes) else EXIT_PASS
