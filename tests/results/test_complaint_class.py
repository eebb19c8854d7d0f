from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form

from results import major
from results.audit import history
from results.complaint_class import (
    ClassFacts,
    DeckClass,
    parse_class,
    propose_class,
    set_class,
)
from results.complaints import register_complaint
from results.errors import ValidationError
from results.models import AuditEvent, Complaint, Severity, Symptom
from results.notifications import LogChannel


def _register(sessions: sessionmaker[Session], days_after_t0: float, **overrides: object) -> int:
    received = T0 + timedelta(days=days_after_t0)
    with sessions.begin() as session:
        complaint = register_complaint(
            session,
            form(received_at=received, **overrides),
            actor="li.na",
            now=received + timedelta(minutes=5),
        )
        return complaint.id


def test_the_deck_words_map_onto_the_one_scale() -> None:
    assert parse_class("major") is Severity.SEVERE
    assert parse_class("URGENT") is Severity.SEVERE
    assert parse_class(DeckClass.GENERAL) is Severity.GENERAL
    assert parse_class("occasional") is Severity.OCCASIONAL
    with pytest.raises(ValidationError, match="class: unknown class 'critical'"):
        parse_class("critical")


def test_a_repeat_of_model_and_symptom_within_the_window_is_proposed_severe(
    sessions: sessionmaker[Session],
) -> None:
    first = _register(sessions, 0)
    other_model = _register(sessions, 10, product_model="PB-OTHER")
    other_symptom = _register(sessions, 20, symptom=Symptom.NO_CHARGE_DISCHARGE)
    second = _register(sessions, 60)
    late = _register(sessions, 200)
    with sessions() as session:
        numbers = {
            cid: session.get(Complaint, cid).number  # type: ignore[union-attr]
            for cid in (first, second)
        }
        assert propose_class(session, first).complaint_class is Severity.GENERAL
        proposal = propose_class(session, second)
        assert proposal.complaint_class is Severity.SEVERE
        assert proposal.deck_class is DeckClass.MAJOR
        assert proposal.repeats == (numbers[first],)
        assert propose_class(session, second, window_days=30).repeats == ()
        assert propose_class(session, other_model).repeats == ()
        assert propose_class(session, other_symptom).repeats == ()
        # 200 days on: the complaint of day 60 is 140 days back, outside the default 90.
        assert propose_class(session, late).complaint_class is Severity.GENERAL
        assert propose_class(session, late, window_days=150).repeats == (numbers[second],)


def test_the_procedures_criteria(sessions: sessionmaker[Session]) -> None:
    plain = _register(sessions, 0)
    cosmetic = _register(sessions, 1, symptom=Symptom.APPEARANCE, product_model="PB-X")
    with sessions() as session:
        line = propose_class(session, plain, ClassFacts(customer_line_stopped=True))
        assert (line.complaint_class, line.deck_class) == (Severity.SEVERE, DeckClass.URGENT)
        formal = propose_class(session, plain, ClassFacts(formal_corrective_action_demand=True))
        assert formal.deck_class is DeckClass.MAJOR
        assert (
            propose_class(
                session, plain, ClassFacts(functional_defect_in_assembly=True)
            ).complaint_class
            is Severity.SEVERE
        )
        packing = propose_class(session, plain, ClassFacts(quantity_packing_labelling=True))
        assert packing.complaint_class is Severity.OCCASIONAL
        assert propose_class(session, cosmetic).reasons == ("cosmetic",)


def test_setting_the_class_is_audited_and_bad_input_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _register(sessions, 0)
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    with sessions.begin() as session, pytest.raises(ValidationError, match="unknown class"):
        set_class(session, complaint_id, "critical", actor="qa", reason="x")
    with sessions.begin() as session, pytest.raises(ValidationError, match="reason"):
        set_class(session, complaint_id, "severe", actor="qa", reason=" ")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    with sessions.begin() as session:
        set_class(session, complaint_id, "urgent", actor="qa", reason="line stopped at customer")
    with sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None and complaint.severity == "severe"
        event = history(session, "complaint", str(complaint_id))[-1]
    assert (event.action, event.reason) == ("complaint.class", "line stopped at customer")


def test_a_major_complaint_stays_severe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        complaint, _record = major.register_major_complaint(
            session,
            form(symptom=Symptom.LEAKAGE, severity=None),
            actor="li.na",
            group=major.EmergencyGroup.of(["qa@plant.example"]),
            channel=LogChannel(),
            now=T0 + timedelta(minutes=10),
        )
        complaint_id = complaint.id
    with sessions.begin() as session, pytest.raises(ValidationError, match="keep it severe"):
        set_class(session, complaint_id, "general", actor="qa", reason="looks cosmetic")
