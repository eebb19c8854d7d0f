from __future__ import annotations

from datetime import timedelta

import pytest
from closure_builders import make_closable
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, T0, form

from results import major
from results.attachments import EvidenceStore, attach
from results.containment import containment_actions, release_action
from results.errors import InvalidTransition, NotFound, ValidationError
from results.manual_models import EmergencyNotification
from results.models import Attachment, AuditEvent, Complaint, Symptom
from results.notifications import LogChannel
from results.workflow import transition

GROUP = major.EmergencyGroup.of(["qa.manager@plant.example", " gm@plant.example", ""])
PDF_LETTER = b"%PDF-1.4\n% customer acceptance, signed\n" + bytes(range(32, 120))
NOW = T0 + timedelta(minutes=10)


def leakage(sessions: sessionmaker[Session], channel: LogChannel) -> tuple[int, int]:
    with sessions.begin() as session:
        complaint, record = major.register_major_complaint(
            session,
            form(symptom=Symptom.LEAKAGE, severity=None),
            actor="li.na",
            group=GROUP,
            channel=channel,
            now=NOW,
        )
        assert record is not None
        return complaint.id, record.id


def walk_to_decided(session: Session, complaint_id: int) -> None:
    for target, extra in (
        ("handling_reported", {}),
        ("under_analysis", {}),
        ("decided", {"decision": "replace lot", "rationale": "leaking cells, supplier seal"}),
    ):
        transition(session, complaint_id, target, actor="zhao.qa", **extra)  # type: ignore[arg-type]


def test_leakage_complaint_goes_through_the_emergency_path_end_to_end(
    sessions: sessionmaker[Session], evidence_dir
) -> None:
    channel = LogChannel()
    store = EvidenceStore(evidence_dir)
    complaint_id, major_id = leakage(sessions, channel)
    [alert] = channel.sent
    assert alert.recipients == ("qa.manager@plant.example", "gm@plant.example")
    assert "[MAJOR COMPLAINT]" in alert.subject and "leakage" in alert.subject
    assert "stock on hand: 120" in alert.body

    with sessions.begin() as session:
        assert session.get(Complaint, complaint_id).severity == "severe"
        major.open_containment(
            session,
            major_id,
            stock_frozen_qty=120,
            locations="FG warehouse A3; customer site",
            production_hold=True,
            actor="wu.wh",
            at=NOW + timedelta(hours=2),
        )
        major.record_meeting(
            session,
            major_id,
            held_at=NOW + timedelta(hours=6),
            attendees=["GM", "QA", "Production"],
            decisions=[major.Decision("recall lot L2511", "QA"), major.Decision("8D", "QA")],
            actor="zhao.qa",
        )
        major.record_supplier_notification(
            session,
            major_id,
            supplier="Cell Co.",
            reference="SCAR-26-004",
            content="Leaking cells in lot L2511; 8D requested within 24 h.",
            actor="zhao.qa",
            channel=channel,
            address="quality@cellco.example",
        )
        walk_to_decided(session, complaint_id)

    # closure refused until the written acceptance is attached
    with sessions.begin() as session, pytest.raises(InvalidTransition, match="acceptance"):
        major.close_major(session, major_id, actor="zhao.qa", store=store)
    with sessions.begin() as session, pytest.raises(InvalidTransition, match="major complaint"):
        major.guard_complaint_closure(session, complaint_id)
    with sessions.begin() as session:
        with pytest.raises(ValidationError, match="PDF"):
            major.attach_acceptance(
                session, store, major_id, b"ok by phone", name="note.txt", actor="zhao.qa"
            )
        major.attach_acceptance(
            session, store, major_id, PDF_LETTER, name="acceptance.pdf", actor="zhao.qa"
        )
        major.close_major(session, major_id, actor="zhao.qa", store=store)
        major.guard_complaint_closure(session, complaint_id)  # no longer raises
        make_closable(session, complaint_id)
        # the emergency containment is the complaint's own: open actions block its closure
        with (
            pytest.raises(InvalidTransition, match=r"stop_production, owner wu\.wh"),
            session.begin_nested(),
        ):
            transition(session, complaint_id, "closed", actor="zhao.qa", note="accepted")
        for action in containment_actions(session, complaint_id):
            release_action(session, action.id, actor="zhao.qa", note="lot L2511 recalled")
        transition(session, complaint_id, "closed", actor="zhao.qa", note="customer accepted")

    with sessions() as session:
        assert session.get(Complaint, complaint_id).status == "closed"
        rows = session.scalars(select(EmergencyNotification)).all()
        assert [r.delivered for r in rows] == [True, True]
        stages = {d.stage: d for d in major.deadlines(session, major.get_major(session, major_id))}
        assert all(d.done_at is not None for d in stages.values())
        assert stages[major.Stage.CONTAINED].overdue_hours(NOW) == 0.0
        assert stages[major.Stage.MEETING].due_at == NOW + timedelta(hours=24)
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {
            "major.escalated",
            "major.notified",
            "containment.action_opened",
            "major.meeting",
            "major.supplier_notified",
            "major.acceptance",
            "major.closed",
        } <= actions


def test_a_tampered_acceptance_file_blocks_closure(
    sessions: sessionmaker[Session], evidence_dir
) -> None:
    store = EvidenceStore(evidence_dir)
    _, major_id = leakage(sessions, LogChannel())
    with sessions.begin() as session:
        major.open_containment(
            session,
            major_id,
            stock_frozen_qty=0,
            locations="none left",
            production_hold=False,
            actor="wu",
        )
        major.record_meeting(
            session,
            major_id,
            held_at=NOW,
            attendees=["QA"],
            decisions=[major.Decision("8D", "QA")],
            actor="qa",
        )
        row = major.attach_acceptance(
            session, store, major_id, PNG_BYTES, name="scan.png", actor="qa"
        )
        store.path_for(row.sha256).write_bytes(PNG_BYTES + b"x")
    with sessions.begin() as session, pytest.raises(InvalidTransition, match="not intact"):
        major.close_major(session, major_id, actor="qa", store=store)


def test_hour_clock_lists_overdue_stages_most_late_first(sessions: sessionmaker[Session]) -> None:
    leakage(sessions, LogChannel(fail_with="relay down"))
    with sessions() as session:
        late = major.overdue(session, NOW + timedelta(hours=30))
        stages = [(o.stage, round(o.hours_late)) for o in late]
        assert stages == [
            (major.Stage.NOTIFIED, 29),  # delivery failed: the group was never reached
            (major.Stage.CONTAINED, 26),
            (major.Stage.MEETING, 6),
        ]
        assert late[0].complaint_number.startswith("CC-")
        assert major.overdue(session, NOW + timedelta(minutes=30)) == []
        [row] = session.scalars(select(EmergencyNotification)).all()
        assert not row.delivered and row.error == "relay down"


def test_severe_complaint_of_a_key_customer_is_major_and_raised(
    sessions: sessionmaker[Session],
) -> None:
    channel = LogChannel()
    with sessions.begin() as session:
        plain, none = major.register_major_complaint(
            session, form(severity="severe"), actor="li", group=GROUP, channel=channel, now=NOW
        )
        assert none is None and channel.sent == []
        general, _ = major.register_major_complaint(
            session, form(severity="general"), actor="li", group=GROUP, channel=channel, now=NOW
        )
        with pytest.raises(ValidationError, match="key_customer"):
            major.escalate(session, general.id, group=GROUP, channel=channel, actor="li")
        record = major.escalate(
            session,
            general.id,
            group=GROUP,
            channel=channel,
            actor="li",
            category=major.MajorCategory.KEY_CUSTOMER_SEVERE,
        )
        assert session.get(Complaint, general.id).severity == "severe"
        assert record.category == "key_customer_severe" and len(channel.sent) == 1
        with pytest.raises(ValidationError, match="already"):
            major.escalate(session, general.id, group=GROUP, channel=channel, actor="li")
        major.guard_complaint_closure(session, plain.id)  # not major: nothing to guard


def test_major_category_rule() -> None:
    assert major.major_category("explosion", "severe", key_customer=False) == "explosion"
    assert major.major_category("no_power_on", "severe", key_customer=True) == (
        "key_customer_severe"
    )
    assert major.major_category("no_power_on", "severe", key_customer=False) is None
    assert major.major_category("appearance", "general", key_customer=True) is None
    with pytest.raises(ValidationError):
        major.EmergencyGroup.of([" "])


def test_the_complaint_workflow_refuses_to_close_an_open_major_complaint(
    sessions: sessionmaker[Session],
) -> None:
    """The general workflow cannot go around the emergency path: closing needs close_major first."""
    complaint_id, _ = leakage(sessions, LogChannel())
    with sessions.begin() as session:
        walk_to_decided(session, complaint_id)
        make_closable(session, complaint_id)  # all else in place: only the major path blocks
    with sessions.begin() as session, pytest.raises(InvalidTransition) as refused:
        transition(session, complaint_id, "closed", actor="zhao.qa", note="replaced")
    assert "major complaint: no containment record" in str(refused.value)
    assert "feedback" not in str(refused.value) and "report:" not in str(refused.value)
    with sessions.begin() as session:
        assert session.get(Complaint, complaint_id).status != "closed"


def _contain_and_meet(session: Session, major_id: int, decision: str, locations: str) -> None:
    major.open_containment(
        session, major_id, stock_frozen_qty=5, locations=locations, production_hold=True, actor="wu"
    )
    major.record_meeting(
        session,
        major_id,
        held_at=NOW,
        attendees=["QA"],
        decisions=[major.Decision(decision, "QA")],
        actor="qa",
    )


def test_link_acceptance_by_hash_or_id_reuses_the_stored_row(
    sessions: sessionmaker[Session], evidence_dir
) -> None:
    store = EvidenceStore(evidence_dir)
    complaint_id, major_id = leakage(sessions, LogChannel())
    other_id, _ = leakage(sessions, LogChannel())
    with sessions.begin() as session:
        _contain_and_meet(session, major_id, "recall lot L2511", "WH-2")
        letter = attach(
            session, store, PDF_LETTER, name="ok.pdf", actor="li", complaint_id=complaint_id
        )
        notes = attach(
            session, store, b"a,b\n1,2\n", name="n.csv", actor="li", complaint_id=complaint_id
        )
        foreign = attach(session, store, PNG_BYTES, name="x.png", actor="li", complaint_id=other_id)
        letter_id, letter_sha, notes_id, foreign_sha = (
            letter.id,
            letter.sha256,
            notes.id,
            foreign.sha256,
        )
    with sessions.begin() as session:
        with pytest.raises(ValidationError, match="PDF"):
            major.link_acceptance(session, store, major_id, notes_id, actor="qa")
        with pytest.raises(NotFound):  # another complaint's file is not this customer's letter
            major.link_acceptance(session, store, major_id, foreign_sha, actor="qa")
        with pytest.raises(ValidationError, match="actor"):
            major.link_acceptance(session, store, major_id, letter_id, actor=" ")
    for ref in (letter_sha.upper(), letter_id):
        with sessions.begin() as session:
            row = major.link_acceptance(session, store, major_id, ref, actor="qa")
            assert row.id == letter_id
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 3  # no copy
        events = session.scalars(
            select(AuditEvent.reason).where(AuditEvent.action == "major.acceptance")
        ).all()
        assert events == ["customer's written acceptance: ok.pdf"] * 2
        assert major.closure_blockers(session, major.get_major(session, major_id), store) == []
        major.close_major(session, major_id, actor="qa", store=store)
    with sessions.begin() as session, pytest.raises(InvalidTransition, match="closed"):
        major.link_acceptance(session, store, major_id, letter_id, actor="qa")


@pytest.mark.parametrize(
    ("decision", "locations"),
    [
        ("Supplier CellCo to replace the seal on lot L2511", "WH-2"),
        ("8D", "WH-2; stock returned to the vendor"),
        ("通知供应商更换密封圈", "WH-2"),
    ],
)
def test_a_supplier_named_in_the_meeting_or_containment_must_be_notified_before_closure(
    sessions: sessionmaker[Session], evidence_dir, decision: str, locations: str
) -> None:
    store = EvidenceStore(evidence_dir)
    _, major_id = leakage(sessions, LogChannel())
    with sessions.begin() as session:
        _contain_and_meet(session, major_id, decision, locations)
        major.attach_acceptance(session, store, major_id, PDF_LETTER, name="ok.pdf", actor="qa")
    with sessions.begin() as session, pytest.raises(InvalidTransition, match="supplier"):
        major.close_major(session, major_id, actor="qa", store=store)
    with sessions.begin() as session:
        major.record_supplier_notification(
            session, major_id, supplier="CellCo", reference="SCAR-1", content="seal", actor="qa"
        )
        assert major.close_major(session, major_id, actor="qa", store=store).closed_by == "qa"


def test_no_supplier_involved_means_no_supplier_blocker(
    sessions: sessionmaker[Session], evidence_dir
) -> None:
    store = EvidenceStore(evidence_dir)
    _, major_id = leakage(sessions, LogChannel())
    with sessions.begin() as session:
        _contain_and_meet(session, major_id, "customer's charger at fault: advise customer", "WH")
        record = major.get_major(session, major_id)
        assert major.supplier_involved(session, record) is None
        assert major.closure_blockers(session, record, store) == [
            "the customer's written acceptance is not attached"
        ]
