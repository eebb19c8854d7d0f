"""8D versions: draft, edit, sign, amend; signed versions frozen; evidence of this complaint only;
report shows the signed (else the draft, marked) 8D; migration 0012 carries old 8D rows over."""

from __future__ import annotations

import json

import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from results import audit
from results.db import make_engine, session_factory
from results.eightd_form import EightDForm
from results.eightd_models import EightDRecord, EightDSignature, EightDVersion
from results.eightd_prefill import ContainmentLine, prefill
from results.eightd_versions import EightDStateError, amend, draft, edit, for_report, sign, view
from results.errors import ValidationError
from results.migrations import downgrade, upgrade
from results.reports import approval
from results.reports.model import EightD, ProblemDescription, to_plain


def _form(run_id: int, what: str = "不开机") -> EightDForm:
    return EightDForm.model_validate(
        {
            "team": [{"name": "王芳", "department": "QA", "role": "leader"}],
            "problem": {"what": what, "how_many": "3/100"},
            "causes": [
                {
                    "kind": "occurrence",
                    "description": "库存过放",
                    "status": "verified",
                    "evidence": [{"kind": "run", "ref": str(run_id)}],
                }
            ],
            "actions": [
                {
                    "phase": "d5",
                    "description": "ship at 50 % SOC",
                    "owner": "王芳",
                    "due": "2025-03-20",
                    "verification": "OCV ok",
                },
                {"phase": "d7", "description": "SOP update", "owner": "李工"},
            ],
            "closure": {
                "criteria": "no recurrence",
                "closed_by": "王芳",
                "closed_at": "2025-04-01T08:00:00+00:00",
                "customer_acceptance": True,
            },
        }
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EightDVersion)) or 0


def test_draft_edit_sign_amend(sessions: sessionmaker[Session]) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1")
    with sessions.begin() as session:
        draft(session, complaint_id, _form(run_id), actor="王芳", now=T0)
    with sessions.begin() as session, pytest.raises(EightDStateError, match="edit its draft"):
        draft(session, complaint_id, _form(run_id), actor="王芳")
    with sessions.begin() as session:
        edit(session, complaint_id, _form(run_id, "无法开机"), actor="王芳", reason="wording")
        sign(session, complaint_id, signer="王芳", printed_name="Wang Fang", meaning="authored")
    with sessions.begin() as session, pytest.raises(EightDStateError, match="separation"):
        sign(session, complaint_id, signer="王芳", printed_name="Wang Fang", meaning="approved")
    with sessions.begin() as session:
        assert for_report(session, complaint_id)[1] is True  # only a draft so far
        sign(session, complaint_id, signer="zhao", printed_name="Zhao Li", meaning="approved")
    with sessions.begin() as session, pytest.raises(EightDStateError, match="amend"):
        edit(session, complaint_id, _form(run_id, "x"), actor="王芳")
    with sessions.begin() as session, pytest.raises(ValidationError, match="reason"):
        amend(session, complaint_id, actor="王芳", reason=" ")
    with sessions.begin() as session:
        amend(session, complaint_id, actor="王芳", reason="customer asked for D7 date")
    with sessions() as session:
        first, second = view(session, complaint_id, 1), view(session, complaint_id)
        assert first.status == "signed" and first.content.problem.what == "无法开机"
        assert [s["meaning"] for s in first.signatures] == ["authored", "approved"]
        assert all(s["valid"] == "yes" for s in first.signatures)
        assert second.version == 2 and second.status == "draft"
        assert second.amended_from_version == 1 and second.content == first.content
        shown, is_draft = for_report(session, complaint_id)
        assert shown == first.content and is_draft is False  # latest signed wins over draft
        actions = [e.action for e in audit.history(session, "eightd", complaint_id)]
        assert actions == [
            "eightd.drafted",
            "eightd.edited",
            "eightd.signed",
            "eightd.signed",
            "eightd.amended",
        ]


def test_signed_version_is_frozen_in_the_database(sessions: sessionmaker[Session]) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1")
    with sessions.begin() as session:
        draft(session, complaint_id, _form(run_id), actor="王芳", now=T0)
        sign(session, complaint_id, signer="zhao", printed_name="Zhao Li", meaning="approved")
    for statement in (
        "UPDATE eightd_version SET content_json = '{}'",
        "DELETE FROM eightd_version",
        "UPDATE eightd_signature SET meaning = 'reviewed'",
        "DELETE FROM eightd_signature",
    ):
        with sessions.begin() as session, pytest.raises(DBAPIError):
            session.execute(text(statement))


def test_evidence_of_another_complaint_is_refused_and_nothing_written(
    sessions: sessionmaker[Session],
) -> None:
    first, _ = new_complaint(sessions)
    second, _ = new_complaint(sessions)
    other_run = record_unit(sessions, second, "SN-9")
    with sessions.begin() as session, pytest.raises(ValidationError, match="not a run of this"):
        draft(session, first, _form(other_run), actor="王芳")
    with sessions() as session:
        assert _count(session) == 0 and audit.history(session, "eightd", first) == []


def test_form_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="qty_ng"):
        EightDForm.model_validate(
            {"containment": [{"location": "warehouse", "qty_checked": 1, "qty_ng": 2}]}
        )
    with pytest.raises(ValueError, match="kind"):
        EightDForm.model_validate({"causes": [{"kind": "guess", "description": "x"}]})
    with pytest.raises(ValueError, match="unknown"):
        EightDForm.model_validate({"unknown": 1})


def test_prefill_from_complaint_pauses_containment_and_runs(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1")
    pause = "2025-03-05 to 2025-03-07: paused for a sample build (customer informed)"
    with sessions() as session:
        form = prefill(
            session,
            complaint_id,
            pause_sentences=[pause],
            containment=[ContainmentLine("warehouse", 40, 2, True, "OCV", "王芳")],
        )
    assert form.problem.who == "深圳市华强电子有限公司" and form.problem.how_many == "3/100"
    assert pause in form.problem.when and "装机后无法开机" in form.problem.what
    assert form.containment[0].qty_ng == 2
    assert form.causes and all(c.evidence[0].ref == str(run_id) for c in form.causes)
    with sessions.begin() as session:  # the pre-filled draft passes the store's own checks
        draft(session, complaint_id, form, actor="王芳")


def test_report_marks_a_draft_8d(sessions: sessionmaker[Session]) -> None:
    complaint_id, _ = new_complaint(sessions)
    run_id = record_unit(sessions, complaint_id, "SN-1")
    with sessions.begin() as session:
        draft(session, complaint_id, _form(run_id), actor="王芳", now=T0)
        report = approval.create_report(session, complaint_id, locale="en", actor="li", now=T0)
        html = approval.render(session, report.id, "html").decode()
        assert "DRAFT: this 8D has not been signed" in html and "库存过放" in html
        sign(session, complaint_id, signer="zhao", printed_name="Zhao Li", meaning="approved")
        signed = approval.create_report(session, complaint_id, locale="en", actor="li", now=T0)
        html = approval.render(session, signed.id, "html").decode()
    assert "DRAFT: this 8D" not in html and "库存过放" in html


def _legacy_row(session: Session, complaint_id: int, record: EightD) -> None:
    """An 8D as the save before versions wrote it (one ``eightd_record`` row); nothing in the
    product writes that table any more, so the test writes the row itself."""
    content = json.dumps(to_plain(record), sort_keys=True, ensure_ascii=False)
    session.add(
        EightDRecord(
            complaint_id=complaint_id,
            content_json=content,
            revision=1,
            updated_at=T0,
            updated_by="王芳",
        )
    )


def test_a_legacy_8d_with_no_version_is_read_through_the_versions_api(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _ = new_complaint(sessions)
    old = EightD(problem=ProblemDescription(what="旧 8D", how_many="3/100"))
    with sessions.begin() as session:
        assert for_report(session, complaint_id) == (None, False)
        _legacy_row(session, complaint_id, old)
    with sessions() as session:
        assert for_report(session, complaint_id) == (old, False)


def test_migration_0012_turns_old_records_into_version_1(empty_store: str) -> None:
    upgrade(empty_store)
    engine = make_engine(empty_store)
    sessions = session_factory(engine)
    try:
        complaint_id, _ = new_complaint(sessions)
        old = EightD(problem=ProblemDescription(what="旧 8D", how_many="3/100"))
        with sessions.begin() as session:
            _legacy_row(session, complaint_id, old)
        engine.dispose()
        downgrade(empty_store, "0011")
        upgrade(empty_store)
        with sessions() as session:
            rows = session.scalars(select(EightDVersion)).all()
            assert [(r.complaint_id, r.version, r.status) for r in rows] == [
                (complaint_id, 1, "draft")
            ]
            assert view(session, complaint_id).content == old
            assert session.scalar(select(func.count()).select_from(EightDSignature)) == 0
            assert for_report(session, complaint_id) == (old, True)
    finally:
        engine.dispose()
