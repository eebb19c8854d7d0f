"""The outgoing report's data from the store (SQLite and PostgreSQL): the latest valid run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from reports_store import new_complaint
from sqlalchemy.orm import Session, sessionmaker

from instruments.roles import Identity, Multimeter, ResistanceMeter, ResistanceReading, SampleRate
from instruments.units import Q_, Quantity
from procedures.appearance import CHECKLIST
from procedures.clock import RealClock
from procedures.context import BenchInstruments
from procedures.engine import run_procedure
from procedures.outgoing import Decision, outgoing_procedure
from procedures.prompts import ScriptedPrompts
from procedures.specs import builtin_spec
from results.complaints import add_returned_unit
from results.errors import NotFound
from results.models import ReturnedUnit
from results.recorder import DatabaseRecorder
from results.reports.outgoing import NoOutgoingRun, assemble_outgoing, decision_of
from results.run_validity import invalidate_run

SPEC = builtin_spec("PB-1S2P-18650-5200")
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Meter(ResistanceMeter):
    def __init__(self, mohm: float) -> None:
        self.mohm = mohm

    @property
    def identity(self) -> Identity:
        return Identity("HIOKI", "BT3562", "1", "V1")

    def make_safe(self) -> None:
        pass

    def close(self) -> None:
        pass

    def configure(
        self,
        resistance_range: Quantity,
        voltage_range: Quantity,
        rate: SampleRate = SampleRate.MEDIUM,
    ) -> None:
        pass

    def read(self) -> ResistanceReading:
        return ResistanceReading(Q_(self.mohm, "mohm"), Q_(3.7, "V"))


class Dmm(Multimeter):
    """Only what the OCV step calls."""

    identity = Identity("Keysight Technologies", "34461A", "MY1", "A.03")

    def configure_dc_voltage(
        self, range_: Quantity | None = None, nplc: float | None = None
    ) -> None:
        pass

    def dc_voltage(self) -> Quantity:
        return Q_(3.75, "V")

    def make_safe(self) -> None:
        pass

    def close(self) -> None:
        pass


def record(
    sessions: sessionmaker[Session], complaint_id: int, unit_id: int, number: str, mohm: float
) -> int:
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    procedure = outgoing_procedure()
    run_procedure(
        procedure,
        instruments=BenchInstruments(multimeter=Dmm(), resistance_meter=Meter(mohm)),  # type: ignore[arg-type]
        recorder=recorder,
        prompts=ScriptedPrompts({f"appearance.visual.{i.name}": i.passing[0] for i in CHECKLIST}),
        clock=RealClock(),
        spec=SPEC,
        run_info=procedure.run_info(
            station="oqc",
            operator="li",
            spec=SPEC.model,
            unit_serial="SN1",
            complaint_number=number,
        ),
        handle_signals=False,
    )
    assert recorder.run_id is not None
    return recorder.run_id


def reworked_unit(sessions: sessionmaker[Session]) -> tuple[int, str, int, str]:
    """(complaint id, number, unit id, unit status) of a new complaint with unit SN1."""
    complaint_id, number = new_complaint(sessions)
    with sessions.begin() as session:
        unit = add_returned_unit(
            session,
            complaint_id,
            serial="SN1",
            received_at=NOW,
            actor="li",
            lot="L1",
            product_model=SPEC.model,
        )
        return complaint_id, number, unit.id, unit.status


def test_the_latest_valid_outgoing_run_is_reported(sessions: sessionmaker[Session]) -> None:
    complaint_id, number, unit_id, status = reworked_unit(sessions)
    with sessions() as session:
        with pytest.raises(NoOutgoingRun, match="packbench run outgoing_inspection"):
            assemble_outgoing(session, complaint_id, "SN1", locale="en", issued_at=NOW)
        with pytest.raises(NotFound):
            assemble_outgoing(session, complaint_id, "NOPE", locale="en", issued_at=NOW)
    held = record(sessions, complaint_id, unit_id, number, mohm=500.0)
    released = record(sessions, complaint_id, unit_id, number, mohm=60.0)
    with sessions() as session:
        data = assemble_outgoing(session, complaint_id, "SN1", locale="zh_CN", issued_at=NOW)
        assert data.run.run_id == str(released)
        assert decision_of(data.run) is Decision.RELEASE
        assert data.report_no.endswith("-OQC-SN1")
    with sessions.begin() as session:
        invalidate_run(session, released, reason="meter out of calibration", actor="qa", now=NOW)
    with sessions() as session:
        data = assemble_outgoing(session, complaint_id, "SN1", locale="en", issued_at=NOW)
        assert data.run.run_id == str(held)
        assert decision_of(data.run) is Decision.HOLD
        # the recorder alone (no bench runner) never moves the unit either
        assert session.get(ReturnedUnit, unit_id).status == status  # type: ignore[union-attr]
