from __future__ import annotations

import multiprocessing
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form, outcome, register, run_info, step

from instruments.units import Q_
from results.audit import history
from results.complaints import (
    add_returned_unit,
    get_complaint,
    register_complaint,
    set_unit_status,
)
from results.db import make_engine, session_factory
from results.errors import NotFound, ValidationError
from results.models import AuditEvent, Complaint, ComplaintCounter, Measurement, Run, Step
from results.recorder import DatabaseRecorder
from results.verify import verify_store

NOW = T0 + timedelta(minutes=10)


def test_registered_complaint_keeps_the_form(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        complaint = register_complaint(session, form(), actor="li.na", now=NOW)
    with sessions() as session:
        stored = get_complaint(session, complaint.number)
        assert stored.number == "CC-2026-0001"
        assert (stored.customer, stored.shipped_qty, stored.defect_qty) == (
            "Acme Scanners Ltd",
            500,
            3,
        )
        assert stored.symptom == "no_power_on" and stored.severity == "general"
        assert stored.usage_temperature_c == pytest.approx(35.0)
        assert stored.time_in_use_days == pytest.approx(Q_(3, "month").to("day").magnitude)
        assert stored.stock_on_hand_qty == 120
        assert stored.received_at == T0 and stored.registered_at == NOW
        assert (stored.received_by, stored.registered_by) == ("li.na", "li.na")
        assert stored.status == "registered"
        assert [e.action for e in history(session, "complaint", stored.id)] == [
            "complaint.registered"
        ]


def test_numbers_are_sequential_per_year(sessions: sessionmaker[Session]) -> None:
    numbers = []
    for when in (NOW, NOW + timedelta(hours=1), NOW + timedelta(days=365)):
        with sessions.begin() as session:
            numbers.append(register_complaint(session, form(), actor="li.na", now=when).number)
    assert numbers == ["CC-2026-0001", "CC-2026-0002", "CC-2027-0001"]


def test_temperature_in_kelvin_and_strings_are_converted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        complaint = register_complaint(
            session,
            form(usage_temperature=Q_(318.15, "kelvin"), time_in_use="2 week"),
            actor="li.na",
            now=NOW,
        )
    assert complaint.usage_temperature_c == pytest.approx(45.0)
    assert complaint.time_in_use_days == pytest.approx(14.0)


def test_temperature_text_in_celsius_is_read(sessions: sessionmaker[Session]) -> None:
    """pint refuses "35 degC" as a product; the shared quantity check reads number and unit."""
    with sessions.begin() as session:
        complaint = register_complaint(
            session, form(usage_temperature="35 degC"), actor="li.na", now=NOW
        )
    assert complaint.usage_temperature_c == pytest.approx(35.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("35", "usage_temperature: usage_temperature: 35 has dimension dimensionless, expected"),
        ("35 V", "usage_temperature: usage_temperature: 35 V has dimension [mass] * [length]"),
        ("hot", "usage_temperature: 'hot' is not a quantity ("),
    ],
)
def test_temperature_text_refusal_says_what_is_wrong(
    sessions: sessionmaker[Session], text: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught, sessions.begin() as session:
        register_complaint(session, form(usage_temperature=text), actor="li.na", now=NOW)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"symptom": "smells_funny"}, "symptom"),
        ({"severity": "catastrophic"}, "severity"),
        ({"severity": None}, "severity"),
        ({"symptom": "explosion", "severity": "general"}, "severity"),
        ({"symptom": "other", "symptom_other": ""}, "symptom_other"),
        ({"customer": "  "}, "customer"),
        ({"shipped_qty": 0}, "shipped_qty"),
        ({"shipped_qty": 2.5}, "shipped_qty"),
        ({"defect_qty": 501}, "defect_qty"),
        ({"stock_on_hand_qty": -1}, "stock_on_hand_qty"),
        ({"usage_temperature": Q_(35, "volt")}, "usage_temperature"),
        ({"usage_temperature": 35}, "usage_temperature"),
        ({"usage_temperature": Q_(350, "degC")}, "usage_temperature"),
        ({"usage_temperature": "hot"}, "usage_temperature"),
        ({"time_in_use": Q_(3, "ampere")}, "time_in_use"),
        ({"received_at": datetime(2026, 3, 2, 9, 0)}, "received_at"),
        ({"received_at": NOW + timedelta(days=1)}, "received_at"),
        ({"shipment_date": (NOW + timedelta(days=2)).date()}, "shipment_date"),
        ({"received_by": ""}, "received_by"),
    ],
)
def test_invalid_form_is_refused_and_writes_nothing(
    sessions: sessionmaker[Session], overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught, sessions.begin() as session:
        register_complaint(session, form(**overrides), actor="li.na", now=NOW)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ") and caught.value.fix
    with sessions() as session:
        for model in (Complaint, ComplaintCounter, AuditEvent):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    with sessions.begin() as session:  # the refused form burnt no number
        assert register_complaint(session, form(), actor="li.na", now=NOW).number.endswith("-0001")


def test_safety_symptom_defaults_to_severe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        complaint = register_complaint(
            session, form(symptom="leakage", severity=None), actor="li.na", now=NOW
        )
    assert complaint.severity == "severe"


def test_returned_units_and_their_status(sessions: sessionmaker[Session]) -> None:
    complaint_id, _number, unit_id = register(sessions)
    with pytest.raises(ValidationError, match="already logged"), sessions.begin() as session:
        add_returned_unit(session, complaint_id, serial="SN-0001", received_at=T0, actor="x")
    with pytest.raises(NotFound), sessions.begin() as session:
        add_returned_unit(session, 999, serial="SN-0002", received_at=T0, actor="x")
    with pytest.raises(ValidationError, match="disposition"), sessions.begin() as session:
        set_unit_status(session, unit_id, "dispositioned", actor="qa", disposition="burn it")
    with sessions.begin() as session:
        unit = set_unit_status(
            session, unit_id, "dispositioned", actor="qa", disposition="repair_board"
        )
        assert (unit.status, unit.disposition) == ("dispositioned", "repair_board")


def _bench_worker(url: str, worker: int, count: int) -> None:
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        for i in range(count):
            serial = f"SN-{worker}-{i}"
            now = datetime.now(UTC)
            with sessions.begin() as session:
                complaint = register_complaint(
                    session,
                    form(received_at=now - timedelta(hours=1)),
                    actor=f"bench{worker}",
                    now=now,
                )
                unit = add_returned_unit(
                    session, complaint.id, serial=serial, received_at=now, actor=f"bench{worker}"
                )
                complaint_id, number, unit_id = complaint.id, complaint.number, unit.id
            recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
            recorder.run_started(run_info(serial=serial, complaint_number=number))
            for index in range(3):
                recorder.step_finished(step(index, n_measurements=5, samples=10))
            recorder.run_finished(outcome())
    finally:
        engine.dispose()


def test_concurrent_benches_lose_nothing(
    db_url: str, sessions: sessionmaker[Session], tmp_path: object
) -> None:
    workers, count = 8, 4
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_bench_worker, args=(db_url, w, count)) for w in range(workers)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
    codes = [p.exitcode for p in processes]
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join()
    assert codes == [0] * workers
    total = workers * count
    with sessions() as session:
        numbers = sorted(session.scalars(select(Complaint.number)))
        year = numbers[0][3:7]
        assert all(re.fullmatch(r"CC-\d{4}-\d{4}", n) for n in numbers)
        assert numbers == [f"CC-{year}-{i:04d}" for i in range(1, total + 1)]  # no gaps, no dups
        assert session.scalar(select(func.count()).select_from(Run)) == total
        assert session.scalar(select(func.count()).select_from(Step)) == total * 3
        assert session.scalar(select(func.count()).select_from(Measurement)) == total * 3 * 6
        assert set(session.scalars(select(Run.status))) == {"finished"}
        report = verify_store(session, tmp_path)  # type: ignore[arg-type]
        assert report.ok, report.problems
        seqs = list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.parametrize(
    ("registered", "year"),
    [
        (datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), 2025),  # 23:59:59 in Shanghai
        (datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC), 2026),  # 00:00 on 1 January in Shanghai
    ],
)
def test_complaint_number_year_is_plant_time(
    sessions: sessionmaker[Session], registered: datetime, year: int
) -> None:
    with sessions.begin() as session:
        complaint = register_complaint(
            session, form(received_at=registered - timedelta(hours=1)), actor="li", now=registered
        )
    assert complaint.number == f"CC-{year}-0001"


def test_complaint_number_year_follows_the_given_zone(sessions: sessionmaker[Session]) -> None:
    from zoneinfo import ZoneInfo

    registered = datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC)
    with sessions.begin() as session:
        complaint = register_complaint(
            session,
            form(received_at=registered - timedelta(hours=1)),
            actor="li",
            now=registered,
            tz=ZoneInfo("Europe/Berlin"),  # 17:00 on 31 December there
        )
    assert complaint.number == "CC-2025-0001"


def test_every_disposition_the_diagnosis_proposes_can_be_confirmed():
    """QA confirms the diagnosis' proposal: the store must accept each one the rules can emit."""
    from procedures.diagnosis.rules import OUTCOMES
    from results.complaints import DISPOSITIONS

    assert {outcome.disposition for outcome in OUTCOMES.values()} <= set(DISPOSITIONS)
