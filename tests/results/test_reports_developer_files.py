"""A traceback an older engine attached to a step is a developers' matter: never in the annex,
while the run's other evidence stays listed."""

from __future__ import annotations

from pathlib import Path

from report_sample import T0
from reports_store import new_complaint
from sqlalchemy.orm import Session, sessionmaker

from procedures.clock import RealClock
from procedures.context import BenchInstruments, StepContext
from procedures.engine import Procedure, run_procedure
from procedures.prompts import ScriptedPrompts
from procedures.specs import builtin_spec
from results.attachments import EvidenceStore
from results.complaints import add_returned_unit
from results.recorder import DatabaseRecorder
from results.reports.assemble import assemble_report

SPEC = builtin_spec("PB-1S2P-18650-5200")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def test_a_step_traceback_stays_out_of_the_annex(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, number = new_complaint(sessions)
    with sessions.begin() as session:
        unit_id = add_returned_unit(
            session, complaint_id, serial="SN-1", received_at=T0, actor="qa"
        ).id

    def old_engine_step(ctx: StepContext) -> None:
        ctx.attach("photo.png", PNG)
        ctx.attach("traceback.txt", b"Traceback (most recent call last): ... TCPIP::10.0.0.1")

    procedure = Procedure("p", "1", [old_engine_step])
    run_procedure(
        procedure,
        instruments=BenchInstruments(),
        recorder=DatabaseRecorder(
            sessions,
            unit_id=unit_id,
            complaint_id=complaint_id,
            evidence=EvidenceStore(evidence_dir),
        ),
        prompts=ScriptedPrompts({}),
        clock=RealClock(),
        spec=SPEC,
        run_info=procedure.run_info(
            station="s", operator="o", spec=SPEC.model, unit_serial="SN-1", complaint_number=number
        ),
        handle_signals=False,
    )
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=T0)
    assert [f.name for f in data.evidence] == ["photo.png"]
