"""Stored outgoing inspection reports: frozen per run, approved by a second user only, final once
approved, rendered with the approval, and checked by ``verify`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_reports_outgoing_store as outgoing_runs
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from results.models import AuditEvent
from results.reports.errors import ApprovalError, ImmutableReportError
from results.reports.outgoing import NoOutgoingRun
from results.reports.outgoing_approval import (
    approve_outgoing_report,
    create_outgoing_report,
    outgoing_reports_of,
    render_stored_outgoing,
)
from results.verify import verify_store


def _events(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _unit(sessions: sessionmaker[Session]) -> tuple[int, str, int]:
    complaint_id, number, unit_id, _status = outgoing_runs.reworked_unit(sessions)
    return complaint_id, number, unit_id


def test_an_outgoing_report_is_frozen_and_approved_by_a_second_user(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, number, unit_id = _unit(sessions)
    before = _events(sessions)
    with pytest.raises(NoOutgoingRun), sessions.begin() as session:
        create_outgoing_report(session, number, "SN1", locale="en", actor="zhao.qa")
    assert _events(sessions) == before
    run_id = outgoing_runs.record(sessions, complaint_id, unit_id, number, mohm=60.0)
    with sessions.begin() as session:
        row = create_outgoing_report(session, number, "SN1", locale="en", actor="zhao.qa")
        report_id = row.id
        assert (row.run_id, row.decision, row.status) == (run_id, "release", "draft")
        draft_html = render_stored_outgoing(row, "html").decode()
    assert "Not signed." in draft_html and "SN1" in draft_html
    # refused, naming why, writing nothing: the same run again; its creator approving it
    before = _events(sessions)
    again = f"already has outgoing report {report_id}"
    with pytest.raises(ApprovalError, match=again), sessions.begin() as session:
        create_outgoing_report(session, number, "SN1", locale="en", actor="qian.qa")
    with pytest.raises(ApprovalError, match="separation of duties"), sessions.begin() as session:
        approve_outgoing_report(session, report_id, signer="zhao.qa", printed_name="Zhao")
    assert _events(sessions) == before
    with sessions.begin() as session:
        row = approve_outgoing_report(session, report_id, signer="qian.qa", printed_name="Qian QA")
        assert (row.status, row.approved_by) == ("approved", "qian.qa")
    with pytest.raises(ImmutableReportError), sessions.begin() as session:
        approve_outgoing_report(session, report_id, signer="sun.qam", printed_name="Sun")
    with sessions() as session:
        [stored] = outgoing_reports_of(session, complaint_id)
        html = render_stored_outgoing(stored, "html").decode()
        pdf = render_stored_outgoing(stored, "pdf")
        assert verify_store(session, evidence_dir).ok
    assert "Qian QA" in html and stored.content_hash in html and "Not signed." not in html
    assert pdf.startswith(b"%PDF")
    # a zh_CN version of the same run is its own version
    with sessions.begin() as session:
        other = create_outgoing_report(session, number, "SN1", locale="zh_CN", actor="zhao.qa")
        assert other.id != report_id
    # edited behind the store's back: verify names the row
    with sessions.begin() as session:
        session.execute(
            text(f"UPDATE outgoing_report SET decision = 'hold' WHERE id = {report_id}")
        )
    with sessions() as session:
        problems = [(p.kind, p.ref) for p in verify_store(session, evidence_dir).problems]
    assert problems == [("record", f"outgoing_report id={report_id}")]


def test_a_held_unit_gets_a_hold_report(sessions: sessionmaker[Session]) -> None:
    complaint_id, number, unit_id = _unit(sessions)
    outgoing_runs.record(sessions, complaint_id, unit_id, number, mohm=500.0)
    with sessions.begin() as session:
        row = create_outgoing_report(session, number, "SN1", locale="en", actor="zhao.qa")
        assert row.decision == "hold"
        assert "on hold" in render_stored_outgoing(row, "html").decode()
