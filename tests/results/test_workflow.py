from __future__ import annotations

from datetime import timedelta

import pytest
from closure_builders import make_closable
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, register

from results.audit import history
from results.complaint_status import ComplaintStatus
from results.errors import InvalidTransition
from results.models import Complaint
from results.workflow import TRANSITIONS, transition


def test_complaint_walks_from_registration_to_closure(sessions: sessionmaker[Session]) -> None:
    complaint_id, _number, _unit = register(sessions)
    steps: list[tuple[str, dict[str, str]]] = [
        ("handling_reported", {}),
        ("awaiting_return", {}),
        ("under_analysis", {}),
        ("decided", {"decision": "accept: replace 3 packs", "rationale": "UV-locked cells"}),
        ("capa_in_progress", {}),
        ("closed", {"note": "replacements shipped, 8D closed"}),
    ]
    for target, extra in steps:
        with sessions.begin() as session:
            if target == "closed":
                make_closable(session, complaint_id)
            transition(session, complaint_id, target, actor="zhao.qa", **extra)  # type: ignore[arg-type]
    with sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None and complaint.status == "closed"
        assert complaint.handling_reported_at and complaint.analysis_started_at
        assert (
            complaint.decided_by == "zhao.qa" and complaint.decision_rationale == "UV-locked cells"
        )
        assert complaint.closure_note == "replacements shipped, 8D closed"
        events = history(session, "complaint", complaint_id)
    assert [e.action for e in events][1:] == [f"complaint.{t}" for t, _ in steps]
    assert '"status":"under_analysis"' in (events[-3].before_json or "")


def test_transition_not_in_the_table_names_from_to_and_allowed(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number, _unit = register(sessions)
    with pytest.raises(InvalidTransition) as caught, sessions.begin() as session:
        transition(session, complaint_id, "closed", actor="zhao.qa", note="done")
    message = str(caught.value)
    assert number in message and "'registered'" in message and "'closed'" in message
    assert "handling_reported, cancelled" in message
    assert caught.value.allowed == ("handling_reported", "cancelled")


@pytest.mark.parametrize(
    ("path", "target", "kwargs", "why"),
    [
        (["handling_reported", "under_analysis"], "decided", {"decision": "accept"}, "rationale"),
        (["handling_reported", "under_analysis"], "decided", {"rationale": "r"}, "decision text"),
        ([], "cancelled", {}, "reason"),
        (
            ["handling_reported", "under_analysis", "decided"],
            "closed",
            {},
            "closure note",
        ),
        (["handling_reported", "under_analysis", "decided"], "under_analysis", {}, "reopening"),
        ([], "handling_reported", {"at": T0 - timedelta(hours=1)}, "before the complaint"),
        ([], "bogus", {}, "unknown status"),
    ],
)
def test_guards_refuse_incomplete_transitions_and_write_nothing(
    sessions: sessionmaker[Session],
    path: list[str],
    target: str,
    kwargs: dict[str, object],
    why: str,
) -> None:
    complaint_id, _number, _unit = register(sessions)
    for status in path:
        extra = {"decision": "accept", "rationale": "r"} if status == "decided" else {}
        with sessions.begin() as session:
            transition(session, complaint_id, status, actor="qa", **extra)  # type: ignore[arg-type]
    with sessions() as session:
        before = len(history(session, "complaint", complaint_id))
    with pytest.raises(InvalidTransition, match=why), sessions.begin() as session:
        transition(session, complaint_id, target, actor="qa", **kwargs)  # type: ignore[arg-type]
    with sessions() as session:
        assert len(history(session, "complaint", complaint_id)) == before
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        assert complaint.status == (path[-1] if path else "registered")


def test_reopened_decision_is_cleared_but_kept_in_the_audit(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _number, _unit = register(sessions)
    for status in ("handling_reported", "under_analysis"):
        with sessions.begin() as session:
            transition(session, complaint_id, status, actor="qa")
    with sessions.begin() as session:
        transition(session, complaint_id, "decided", actor="qa", decision="reject", rationale="NFF")
    with sessions.begin() as session:
        complaint = transition(
            session, complaint_id, "under_analysis", actor="qa", reason="customer sent new logs"
        )
        assert complaint.decision is None and complaint.decided_at is None
    with sessions() as session:
        last = history(session, "complaint", complaint_id)[-1]
    assert last.reason == "customer sent new logs" and '"decision":"reject"' in (
        last.before_json or ""
    )


def test_final_statuses_allow_nothing() -> None:
    assert (
        TRANSITIONS[ComplaintStatus.CLOSED] == () and TRANSITIONS[ComplaintStatus.CANCELLED] == ()
    )
    reachable = {ComplaintStatus.REGISTERED}
    frontier = [ComplaintStatus.REGISTERED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(ComplaintStatus)
