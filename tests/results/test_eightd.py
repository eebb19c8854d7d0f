"""8D validation of cited evidence, and a versioned 8D's round trip, audit and rendering."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy.orm import Session, sessionmaker

from results import audit, eightd_versions
from results.eightd_form import EightDForm, parse_form
from results.errors import NotFound, ValidationError
from results.reports import approval
from results.reports.eightd import validate_eightd
from results.reports.model import (
    ActionItem,
    Closure,
    ContainmentAction,
    EightD,
    EvidenceRef,
    ProblemDescription,
    RootCause,
    TeamMember,
    to_plain,
)


def _record(run_id: int) -> EightD:
    return EightD(
        team=(TeamMember("王芳", "QA", "leader"), TeamMember("李工", "Test", "member")),
        problem=ProblemDescription(what="不开机", who="客户", how_many="3/100"),
        containment=(ContainmentAction("warehouse", 40, 2, True, "OCV", "王芳", date(2025, 3, 5)),),
        causes=(
            RootCause(
                "occurrence",
                "库存过放",
                "verified",
                "reproduction",
                "storage_transport",
                (EvidenceRef("measurement", f"{run_id}/voltage_check/pack_voltage"),),
            ),
            RootCause(
                "escape",
                "OQC 未查电压",
                "hypothesis",
                "5why",
                "manufacturing",
                (EvidenceRef("run", str(run_id)),),
            ),
        ),
        actions=(
            ActionItem("d5", "ship at 50 % SOC", "王芳", date(2025, 3, 20), verification="OCV ok"),
            ActionItem("d7", "SOP update", "王芳"),
        ),
        closure=Closure("no recurrence in 3 lots", "王芳", T0, True),
    )


def _form(record: EightD) -> EightDForm:
    """The author's form that holds ``record`` (what the CLI and the API read)."""
    return parse_form(to_plain(record))


def test_versioned_round_trip_audited_and_rendered(sessions: sessionmaker[Session]) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1")
    record = _record(run_id)
    with sessions.begin() as session:
        with pytest.raises(NotFound):
            eightd_versions.view(session, complaint_id)
        eightd_versions.draft(session, complaint_id, _form(record), actor="王芳", now=T0)
    changed = dataclasses.replace(record, closure=Closure())
    with sessions.begin() as session:
        eightd_versions.edit(
            session, complaint_id, _form(changed), actor="王芳", reason="reopened", now=T0
        )
    with sessions() as session:
        assert eightd_versions.view(session, complaint_id).content == changed
        assert eightd_versions.for_report(session, complaint_id) == (changed, True)
        events = audit.history(session, "eightd", complaint_id)
        assert [e.action for e in events] == ["eightd.drafted", "eightd.edited"]
        assert events[1].reason == "reopened"
        assert '"version":1' in (events[1].before_json or "")
    with sessions.begin() as session:
        report = approval.create_report(session, complaint_id, locale="zh_CN", actor="li", now=T0)
        html = approval.render(session, report.id, "html").decode()
    assert "D4 根本原因及流出原因" in html and "库存过放" in html
    eightd = html[html.index('id="eightd"') :]
    anchor = eightd.split('href="#m-')[1].split('"')[0]
    assert f'<tr id="m-{anchor}">' in html
    assert f'href="#run-{run_id}"' in eightd


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (EvidenceRef("run", "999999"), "not a run of this complaint"),
        (EvidenceRef("measurement", "{run}/voltage_check/nothing"), "no measurement"),
        (EvidenceRef("attachment", "424242"), "does not exist"),
        (EvidenceRef("photo", "1"), "unknown evidence kind"),
    ],
)
def test_citations_must_exist_in_the_complaint(
    sessions: sessionmaker[Session], ref: EvidenceRef, message: str
) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1")
    ref = EvidenceRef(ref.kind, ref.ref.format(run=run_id))
    cause = RootCause("occurrence", "x", "verified", evidence=(ref,))
    with sessions.begin() as session, pytest.raises(ValidationError, match=message):
        validate_eightd(session, complaint_id, EightD(causes=(cause,)))


def test_run_of_another_complaint_is_refused(sessions: sessionmaker[Session]) -> None:
    first, _ = new_complaint(sessions)
    second, _ = new_complaint(sessions)
    other_run = record_unit(sessions, second, "SN-9")
    cause = RootCause("occurrence", "x", "verified", evidence=(EvidenceRef("run", str(other_run)),))
    with sessions.begin() as session, pytest.raises(ValidationError, match="not a run"):
        validate_eightd(session, first, EightD(causes=(cause,)))


def test_structural_rules(sessions: sessionmaker[Session]) -> None:
    complaint_id, _ = new_complaint(sessions)
    bad = [
        EightD(causes=(RootCause("occurrence", "x", "verified"),)),  # verified, no evidence
        EightD(containment=(ContainmentAction("warehouse", 5, 6),)),  # more NG than checked
        EightD(actions=(ActionItem("d9", "x", "me"),)),
        EightD(team=(TeamMember("", "QA", "leader"),)),
        EightD(closure=Closure("", "", T0)),
    ]
    for record in bad:
        with sessions.begin() as session, pytest.raises(ValidationError):
            validate_eightd(session, complaint_id, record)


def test_problem_description_from_complaint() -> None:
    from report_sample import COMPLAINT

    problem = ProblemDescription.from_complaint(COMPLAINT)
    assert problem.who == COMPLAINT.customer and problem.how_many == "20/2000"
    assert problem.what == COMPLAINT.symptom_text and problem.when == "2025-03-04"
