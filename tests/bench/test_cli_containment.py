"""Containment, claims and closure from the command line: every refusal names the missing piece
and leaves the store exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register

from results.accounts import Role, create_user
from results.complaints import get_complaint, set_unit_status
from results.reports.approval import approve, create_report
from results.store import open_store
from results.workflow import transition


def run(capsys: pytest.CaptureFixture[str], station: Path, *args: str) -> tuple[int, str, str]:
    return cli(capsys, *args, "--station", str(station))


def users(database: Path) -> None:
    sessions = open_store(database)
    with sessions.begin() as session:
        for name, role in (
            ("zhou.rsm", Role.REGIONAL_SALES_MANAGER),
            ("wu.sgm", Role.SALES_GENERAL_MANAGER),
            ("sun.qam", Role.QA_MANAGER),
        ):
            create_user(session, name, role=role.value, printed_name=name, actor="admin")
    sessions.kw["bind"].dispose()


def report_and_units(database: Path, number: str) -> None:
    """Outside this CLI's subject: the workflow up to the decision, the approved report and the
    units' final status."""
    sessions = open_store(database)
    with sessions.begin() as session:
        complaint = get_complaint(session, number)
        for target, extra in (
            ("handling_reported", {}),
            ("under_analysis", {}),
            ("decided", {"decision": "scrap", "rationale": "cells leak"}),
        ):
            transition(session, complaint.id, target, actor="tester", **extra)
        report = create_report(session, complaint.id, locale="en", actor="tester")
        approve(session, report.id, signer="qian.qa", printed_name="Qian")
        for unit in complaint.units:
            set_unit_status(session, unit.id, "dispositioned", actor="tester", disposition="scrap")
            set_unit_status(session, unit.id, "scrapped", actor="tester", reason="scrapped")
    sessions.kw["bind"].dispose()


def refused(capsys: pytest.CaptureFixture[str], station: Path, database: Path, *args: str) -> str:
    before = dump(database)
    code, _out, err = run(capsys, station, *args)
    assert code == 2, err
    assert dump(database) == before
    return err


def test_containment_claim_and_closure_walk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    database = tmp_path / "store.sqlite3"
    number = register(capsys, sim_station, "SN-1")
    users(database)
    for area, bad in (
        ("finished_stock", "2"),
        ("work_in_progress", "0"),
        ("incoming_material", "0"),
    ):
        code, _, err = run(
            capsys,
            sim_station,
            "containment",
            "check",
            number,
            "--area",
            area,
            "--checked",
            "50",
            "--bad",
            bad,
        )
        assert code == 0, err
    code, out, err = run(
        capsys,
        sim_station,
        "containment",
        "action",
        number,
        "--kind",
        "freeze_outgoing_stock",
        "--owner",
        "wu.wh",
        "--qty",
        "120",
        "--location",
        "FG A3",
    )
    assert code == 0, err
    action_id = out.split("containment action ")[1].split()[0]

    err = refused(capsys, sim_station, database, "containment", "release", "999", "--note", "x")
    assert "containment action 999 was never opened" in err
    err = refused(
        capsys,
        sim_station,
        database,
        "containment",
        "action",
        number,
        "--kind",
        "pray",
        "--owner",
        "x",
        "--qty",
        "1",
    )
    assert "--kind" in err

    err = refused(
        capsys,
        sim_station,
        database,
        "claim",
        "new",
        "CC-1999-0099",
        "--amount",
        "100",
        "--basis",
        "freight",
        "--way",
        "credit_to_zero",
    )
    assert "complaint_number" in err and "not a registered complaint" in err
    code, out, err = run(
        capsys,
        sim_station,
        "claim",
        "new",
        number,
        "--amount",
        "38000.50",
        "--basis",
        "rework fee",
        "--way",
        "labour_paid_in_goods",
        "--case-description",
        "line stop 2 days",
    )
    assert code == 0, err
    claim_id = out.split("claim ")[1].split()[0]
    err = refused(capsys, sim_station, database, "claim", "settle", claim_id, "--reference", "C")
    assert "regional sales manager's approval" in err
    code, out, _ = run(capsys, sim_station, "claim", "list", number)
    assert out.strip() == (
        f"claim {claim_id} RMB 38000.50 labour_paid_in_goods: open; missing: the regional sales "
        "manager's approval, the sales general manager's confirmation"
    )
    code, _, err = run(capsys, sim_station, "claim", "approve", claim_id, "--by", "zhou.rsm")
    assert code == 0, err
    err = refused(capsys, sim_station, database, "claim", "confirm", claim_id, "--by", "zhou.rsm")
    assert "sales_general_manager" in err  # the approver cannot confirm
    code, _, err = run(capsys, sim_station, "claim", "confirm", claim_id, "--by", "wu.sgm")
    assert code == 0, err

    code, _, err = run(capsys, sim_station, "feedback", "write", number, "--solution", "replace")
    assert code == 0, err
    err = refused(capsys, sim_station, database, "feedback", "close", number)
    assert f"containment action {action_id} (freeze_outgoing_stock, owner wu.wh)" in err
    assert f"claim {claim_id} (RMB 38000.50) is confirmed" in err
    assert "not approved by the QA manager" in err and "report: no approved report" in err
    assert "unit SN-1 is received" in err

    for args in (
        ("containment", "release", action_id, "--note", "re-inspected, 2 scrapped"),
        ("claim", "settle", claim_id, "--reference", "DN-2026-0088"),
        ("feedback", "approve", number, "--by", "sun.qam"),
    ):
        code, _, err = run(capsys, sim_station, *args)
        assert code == 0, (args, err)
    report_and_units(database, number)
    code, out, err = run(capsys, sim_station, "feedback", "status", number, "--json")
    assert code == 0 and json.loads(out)["blockers"] == [], err
    code, out, err = run(capsys, sim_station, "feedback", "close", number)
    assert code == 0 and out.strip() == f"{number}: closed", err
    code, out, err = run(capsys, sim_station, "containment", "show", number, "--json")
    shown = json.loads(out)
    assert shown["completed_at"] is not None and shown["actions"][0]["open"] is False


def test_containment_show_flags_an_overdue_containment(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = run(
        capsys, sim_station, "complaint", "new", "--customer", "ACME",
        "--model", "PB-1S2P-18650-5200", "--shipped", "100", "--defect", "1",
        "--symptom", "no_power_on", "--severity", "severe", "--received-by", "li.na",
        "--received-at", "2026-03-02T01:30:00",
    )  # fmt: skip
    assert code == 0, err
    number = out.strip()
    code, out, err = run(capsys, sim_station, "containment", "show", number)
    assert code == 0, err
    assert "clock containment: OVERDUE, due 2026-03-03 01:30:00+00:00" in out
    assert "clock containment_check: not_started" in out
    code, out, err = run(capsys, sim_station, "containment", "show", number, "--json")
    assert json.loads(out)["overdue"] == ["containment"]
    code, out, err = run(capsys, sim_station, "complaint", "clocks", number)
    assert code == 0 and any(
        line.startswith("containment ") and "overdue" in line for line in out.splitlines()
    ), out
