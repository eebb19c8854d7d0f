"""Intake fields, the one form model, audited edits and the complaint query (issue 14: 1, 10)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form

from results.audit import history
from results.complaint_edit import edit_complaint
from results.complaint_form import (
    Channel,
    ComplaintType,
    FaultStage,
    load_form_file,
    parse_form,
)
from results.complaint_query import ComplaintFilter, find_complaints
from results.complaints import add_returned_unit, register_complaint
from results.errors import ValidationError
from results.models import Complaint
from results.sla import SlaState
from results.workflow import transition

NOW = T0 + timedelta(minutes=5)
RAW: dict[str, Any] = {
    "customer": "ACME",
    "product_model": "PB-1S2P-18650-5200",
    "shipped_qty": 100,
    "defect_qty": 2,
    "symptom": "no_power_on",
    "severity": "general",
    "received_at": T0.isoformat(),
    "received_by": "tom",
}


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("kind", list(ComplaintType))
def test_every_channel_and_type_is_stored(
    sessions: sessionmaker[Session], channel: Channel, kind: ComplaintType
) -> None:
    model = parse_form(RAW | {"channel": channel.value, "complaint_type": kind.value})
    with sessions.begin() as session:
        c = register_complaint(session, form(**model.form_fields()), actor="tom", now=NOW)
        number = c.number
    with sessions() as session:
        stored = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        assert (stored.channel, stored.complaint_type) == (channel.value, kind.value)


def test_every_intake_field_is_stored(sessions: sessionmaker[Session]) -> None:
    model = parse_form(
        RAW
        | {
            "channel": "e-mail",
            "fault_stage": FaultStage.CUSTOMER_LINE.value,
            "customer_tests": "48 h at 60 degC",
            "assembly_process": "spot-welded into housing",
            "replacement_needed": True,
            "samples_returned": False,
            "usage_temperature": "45 degC",
            "time_in_use": "2 month",
            "stock_on_hand_qty": 40,
        }
    )
    with sessions.begin() as session:
        c = register_complaint(session, form(**model.form_fields()), actor="tom", now=NOW)
        assert c.fault_stage == "customer_line"
        assert c.customer_tests == "48 h at 60 degC"
        assert c.assembly_process == "spot-welded into housing"
        assert (c.replacement_needed, c.samples_returned) == (True, False)
        assert c.usage_temperature_c == pytest.approx(45.0)
        assert c.stock_on_hand_qty == 40


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"channel": "pigeon"}, "channel", ["'pigeon'", "hotline", "on-site"]),
        ({"complaint_type": "legal"}, "complaint_type", ["'legal'", "transport"]),
        ({"fault_stage": "lab"}, "fault_stage", ["'lab'", "field_use"]),
        ({"colour": "red"}, "colour", ["no field"]),
    ],
)
def test_unknown_list_value_is_refused_by_the_form(
    change: dict[str, str], field: str, words: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_form(RAW | change)
    assert caught.value.field == field
    for word in words:
        assert word in str(caught.value)


def test_unknown_channel_on_the_dataclass_writes_nothing(sessions: sessionmaker[Session]) -> None:
    refusal = "channel: unknown value 'pigeon'"
    with pytest.raises(ValidationError, match=refusal), sessions.begin() as session:
        register_complaint(session, form(channel="pigeon"), actor="tom", now=NOW)
    assert _count(sessions) == 0


def test_form_file_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "f.toml"
    toml.write_text('customer = "ACME"\nchannel = "fax"\nsamples_returned = true\n')
    assert load_form_file(toml) == {"customer": "ACME", "channel": "fax", "samples_returned": True}
    js = tmp_path / "f.json"
    js.write_text(json.dumps({"channel": "visit"}))
    assert load_form_file(js) == {"channel": "visit"}
    js.write_text("[1]")
    with pytest.raises(ValidationError, match="no table"):
        load_form_file(js)


def _register(sessions: sessionmaker[Session], **overrides: Any) -> str:
    with sessions.begin() as session:
        return register_complaint(session, form(**overrides), actor="tom", now=NOW).number


def test_edit_is_audited_with_old_and_new_values(sessions: sessionmaker[Session]) -> None:
    number = _register(sessions, channel="phone")
    with sessions.begin() as session:
        edit_complaint(session, number, "channel", "letter", actor="ann", reason="typo", now=NOW)
    with sessions() as session:
        c = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        assert c.channel == "letter"
        event = history(session, "complaint", c.id)[-1]
        assert event.action == "complaint.edited" and event.actor == "ann"
        assert "typo" in event.reason and "channel" in event.reason
        assert json.loads(event.before_json or "{}")["channel"] == "phone"
        assert json.loads(event.after_json or "{}")["channel"] == "letter"


@pytest.mark.parametrize(
    ("field", "value", "reason", "message"),
    [
        ("channel", "pigeon", "typo", "unknown value 'pigeon'"),
        ("received_by", "bob", "typo", "cannot be edited"),
        ("channel", "fax", "  ", "reason: is empty"),
        ("defect_qty", "900", "recount", "cannot exceed shipped"),
    ],
)
def test_bad_edit_writes_nothing(
    sessions: sessionmaker[Session], field: str, value: str, reason: str, message: str
) -> None:
    number = _register(sessions, channel="phone")
    with pytest.raises(ValidationError, match=message), sessions.begin() as session:
        edit_complaint(session, number, field, value, actor="ann", reason=reason, now=NOW)
    with sessions() as session:
        c = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        assert (c.channel, c.defect_qty) == ("phone", 3)
        assert [e.action for e in history(session, "complaint", c.id)] == ["complaint.registered"]


def test_edit_refused_once_cancelled(sessions: sessionmaker[Session]) -> None:
    number = _register(sessions)
    with sessions.begin() as session:
        c = session.scalars(select(Complaint).where(Complaint.number == number)).one()
        transition(session, c.id, "cancelled", actor="ann", reason="duplicate", at=NOW)
    with pytest.raises(ValidationError, match="is cancelled"), sessions.begin() as session:
        edit_complaint(session, number, "channel", "fax", actor="ann", reason="x", now=NOW)


def _store(sessions: sessionmaker[Session]) -> list[str]:
    """Six complaints: two customers, three channels, two severities, one unit of lot L7."""
    numbers = []
    with sessions.begin() as session:
        for i in range(6):
            c = register_complaint(
                session,
                form(
                    customer="ACME" if i % 2 else "Beta",
                    channel=list(Channel)[i % 3].value,
                    severity="severe" if i < 2 else "general",
                    received_at=T0 + timedelta(days=i - 10),
                ),
                actor="tom",
                now=NOW,
            )
            numbers.append(c.number)
            if i == 4:
                add_returned_unit(session, c.id, serial="S1", lot="L7", received_at=T0, actor="tom")
    return numbers


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [5, 4, 3, 2, 1, 0]),
        ({"customer": "ACME"}, [5, 3, 1]),
        ({"channel": "phone"}, [4, 1]),
        ({"severity": "severe"}, [1, 0]),
        ({"lot": "L7"}, [4]),
        ({"symptom": "no_power_on", "customer": "Beta"}, [4, 2, 0]),
        ({"received_from": T0 - timedelta(days=8), "received_to": T0 - timedelta(days=6)}, [3, 2]),
        ({"customer": "nobody"}, []),
        ({"sla": SlaState.CANCELLED}, []),
    ],
)
def test_filters(
    sessions: sessionmaker[Session], filters: dict[str, Any], expected: list[int]
) -> None:
    numbers = _store(sessions)
    first = ComplaintFilter(number=numbers[2])
    with sessions() as session:
        page = find_complaints(session, ComplaintFilter(**filters), now=NOW)
        assert [c.number for c in page.items] == [numbers[i] for i in expected]
        assert page.total == len(expected)
        assert [c.number for c in find_complaints(session, first).items] == [numbers[2]]


def test_sla_filter_matches_the_computed_state(sessions: sessionmaker[Session]) -> None:
    numbers = _store(sessions)
    now = T0 + timedelta(days=30)
    with sessions() as session:
        overdue = find_complaints(session, ComplaintFilter(sla="overdue"), now=now)
        running = find_complaints(session, ComplaintFilter(sla="running"), now=now)
    assert overdue.total == 6 and running.total == 0
    assert {c.number for c in overdue.items} == set(numbers)


def test_paging_and_sorting_in_sql(sessions: sessionmaker[Session]) -> None:
    numbers = _store(sessions)
    with sessions() as session:
        pages = [
            find_complaints(session, ComplaintFilter(), sort="number", limit=4, offset=offset)
            for offset in (0, 4)
        ]
        by_customer = find_complaints(session, ComplaintFilter(), sort="-customer", limit=2)
    assert [c.number for p in pages for c in p.items] == sorted(numbers)
    assert {p.total for p in pages} == {6}
    assert [c.customer for c in by_customer.items] == ["Beta", "Beta"]
    with sessions() as session:
        with pytest.raises(ValidationError, match="sort"):
            find_complaints(session, ComplaintFilter(), sort="colour")
        with pytest.raises(ValidationError, match="sla"):
            find_complaints(session, ComplaintFilter(sla="late"), now=NOW)
