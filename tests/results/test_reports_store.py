"""Assembling a report from the store, approving, immutability and amendments (SQLite and PG)."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from results import audit
from results.eightd_models import ReportContent, ReportSignature
from results.errors import ValidationError
from results.models import Report
from results.reports import approval
from results.reports.assemble import assemble_report
from results.reports.errors import ApprovalError, ImmutableReportError
from results.reports.html import render_html


def _complaint_with_units(sessions: sessionmaker[Session]) -> tuple[int, str, list[int]]:
    complaint_id, number = new_complaint(sessions)
    runs = [
        record_unit(sessions, complaint_id, "SN-B", started=T0 + timedelta(hours=1)),
        record_unit(sessions, complaint_id, "SN-A", volts=3.9, disposition="no_fault_found"),
    ]
    return complaint_id, number, runs


def test_assembly_orders_units_and_carries_measurements_traces_conclusions(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number, runs = _complaint_with_units(sessions)
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=T0)
        again = assemble_report(session, complaint_id, locale="en", issued_at=T0)
    assert data == again
    assert data.report_no == f"{number}-PB-1S2P-18650-5200"
    assert [u.serial for u in data.units] == ["SN-A", "SN-B"]
    unit_b = data.units[1]
    assert unit_b.disposition == "recharge_and_return"
    run = unit_b.runs[0]
    assert run.run_id == str(runs[0])
    row = run.steps[0].measurements[0]
    assert (row.name, row.value, row.unit, row.low, row.high) == (
        "pack_voltage",
        0.4,
        "V",
        3.0,
        4.2,
    )
    assert row.instrument and row.verdict.name == "FAIL"
    trace = run.steps[1].traces[0]
    assert [c.name for c in trace.channels] == ["voltage", "current"]
    assert len(trace.time_s) == 200 and trace.channels[0].values[-1] == pytest.approx(4.2)
    assert run.conclusions[0].evidence == (
        "voltage_check/pack_voltage",
        "wake_recharge/voltage_after_wake",
    )
    html = render_html(data)
    assert html.count('href="#m-') == 6 and row.anchor in html
    assert data.complaint.customer in html


def test_author_cannot_approve_and_approved_report_is_frozen(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _number, _runs = _complaint_with_units(sessions)
    with sessions.begin() as session:
        report = approval.create_report(session, complaint_id, locale="zh_CN", actor="李工", now=T0)
        report_id = report.id
        approval.sign(
            session, report_id, signer="李工", printed_name="李工", meaning="authored", now=T0
        )
    with sessions.begin() as session, pytest.raises(ApprovalError, match="cannot approve"):
        approval.approve(session, report_id, signer="李工", printed_name="李工")
    with sessions.begin() as session:
        approval.sign(
            session,
            report_id,
            signer="zhao",
            printed_name="赵六",
            meaning="reviewed",
            now=T0 + timedelta(hours=1),
        )
        approval.approve(
            session, report_id, signer="wang", printed_name="王芳", now=T0 + timedelta(hours=2)
        )
    with sessions() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.status == "approved" and report.approved_by == "wang"
        data = approval.report_data(session, report_id)
        assert [(s.name, s.meaning) for s in data.signatures] == [
            ("李工", "authored"),
            ("赵六", "reviewed"),
            ("王芳", "approved"),
        ]
        assert {s.content_sha256 for s in data.signatures} == {report.content_hash}
        actions = [e.action for e in audit.history(session, "report", report_id)]
        assert actions == [
            "report.created",
            "report.authored",
            "report.reviewed",
            "report.approved",
        ]
        pdf = approval.render(session, report_id, "pdf")
        assert pdf == approval.render(session, report_id, "pdf")
        text_ = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert "王芳" in text_ and "批准" in text_ and report.content_hash in text_
    # every way of changing it is refused
    with sessions.begin() as session, pytest.raises(ImmutableReportError, match="amend"):
        approval.refresh_draft(session, report_id, actor="李工")
    with sessions.begin() as session, pytest.raises(ImmutableReportError):
        approval.sign(session, report_id, signer="x", printed_name="X", meaning="reviewed")
    with sessions.begin() as session, pytest.raises(DBAPIError, match="immutable"):
        session.execute(
            update(ReportContent)
            .where(ReportContent.report_id == report_id)
            .values(content_json="{}")
        )
    with sessions.begin() as session, pytest.raises(DBAPIError, match="immutable"):
        session.execute(update(Report).where(Report.id == report_id).values(status="draft"))
    with sessions.begin() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM report_signature"))


def test_amendment_is_a_new_version_referencing_the_old(sessions: sessionmaker[Session]) -> None:
    complaint_id, _number, _runs = _complaint_with_units(sessions)
    with sessions.begin() as session:
        first = approval.create_report(session, complaint_id, locale="en", actor="li", now=T0)
        approval.approve(session, first.id, signer="wang", printed_name="Wang Fang", now=T0)
        first_id, first_hash = first.id, first.content_hash
    with sessions.begin() as session, pytest.raises(ValidationError, match="reason"):
        approval.amend(session, first_id, actor="li", reason=" ")
    record_unit(sessions, complaint_id, "SN-C", started=T0 + timedelta(days=1))
    with sessions.begin() as session:
        second = approval.amend(
            session, first_id, actor="li", reason="third unit analysed", now=T0 + timedelta(days=2)
        )
        second_id = second.id
        assert second.amended_from == first_id and second.version == 2
        assert second.status == "draft"
    with sessions() as session:
        old = approval.report_data(session, first_id)
        new = approval.report_data(session, second_id)
        assert len(old.units) == 2 and len(new.units) == 3
        assert new.amends is not None and new.amends.version == 1
        assert new.amends.reason == "third unit analysed"
        assert session.get(Report, first_id).content_hash == first_hash  # type: ignore[union-attr]
        html = approval.render(session, second_id, "html").decode()
        assert "Amendment to report" in html and "third unit analysed" in html
        reasons = [e.reason for e in audit.history(session, "report", second_id)]
        assert reasons == ["third unit analysed"]


def test_draft_refresh_picks_up_new_runs_and_is_audited(sessions: sessionmaker[Session]) -> None:
    complaint_id, _number, _runs = _complaint_with_units(sessions)
    with sessions.begin() as session:
        report = approval.create_report(session, complaint_id, locale="en", actor="li", now=T0)
        report_id, before = report.id, report.content_hash
    with sessions.begin() as session, pytest.raises(ApprovalError, match="draft"):
        approval.amend(session, report_id, actor="li", reason="x")
    record_unit(sessions, complaint_id, "SN-D")
    with sessions.begin() as session:
        report = approval.refresh_draft(session, report_id, actor="li", reason="new unit")
        assert report.content_hash != before
    with sessions() as session:
        assert len(approval.report_data(session, report_id).units) == 3
        signatures = session.scalars(select(ReportSignature)).all()
        assert signatures == []
