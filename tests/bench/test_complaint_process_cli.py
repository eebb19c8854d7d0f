"""Issue 14 acceptance, station level: one general and one severe complaint walked from intake to
closure through ``packbench`` on the built-in simulated station.

The diagnosis and the outgoing inspection are real simulator runs (``packbench run``), the
outgoing inspection report is rendered by ``packbench report --kind outgoing``. Steps the CLI
takes only with a service token (confirming a disposition, approving the report, signing the 8D)
are done through the store's API on the same SQLite file. Every gate is first tried too early:
the refusal exits 2 naming the missing piece and the store is byte-for-byte unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, dump, write_sim_station
from sqlalchemy.orm import Session, sessionmaker

from bench.errors import EXIT_BAD_INPUT, EXIT_FAIL, EXIT_PASS
from procedures.appearance import CHECKLIST
from results.accounts import Role, create_user
from results.complaints import get_complaint, set_unit_status
from results.eightd_versions import sign, view
from results.models import ReturnedUnit, UnitStatus
from results.reports.approval import approve, create_report
from results.store import open_store
from results.workflow import transition

SERIALS = ("SN-A", "SN-B")
RSM, SGM, QAM = "zhou.rsm", "wu.sgm", "sun.qam"


class Walk:
    """The CLI against one station file, and the gate check every refusal goes through."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.database = tmp_path / "store.sqlite3"
        self.station = tmp_path / "station.toml"
        write_sim_station(self.station, tmp_path, operator="zhao.qa", max_voltage="20 V")
        self.capsys = capsys
        self.tmp_path = tmp_path

    def ok(self, *args: str, code: int = 0) -> str:
        got, out, err = cli(self.capsys, *args, "--station", str(self.station))
        assert got == code, (args, got, out, err)
        return out

    def refused(self, *args: str, names: tuple[str, ...]) -> str:
        """``packbench args`` exits 2 naming every one of ``names`` and writes nothing."""
        before = dump(self.database)
        got, out, err = cli(self.capsys, *args, "--station", str(self.station))
        assert got == EXIT_BAD_INPUT, (args, got, out, err)
        for name in names:
            assert name in err, (name, err)
        assert dump(self.database) == before, args
        return err

    def store(self) -> sessionmaker[Session]:
        return open_store(str(self.database))


NOTIFICATIONS = """
[notifications]
emergency_group = ["qa.lead@plant.example"]
channel = "log"
"""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _major_path(walk: Walk, number: str) -> None:
    """The emergency path of a major complaint: each stage first refused by name, then done."""
    # the containment recorded on the ordinary path counts for the major record too
    err = walk.refused("major", "close", number,
                       names=("no emergency meeting decisions",
                              "written acceptance is not attached"))  # fmt: skip
    assert "containment" not in err
    walk.ok("major", "meeting", number, "--attendee", "zhao.qa", "--decision",
            "zhao.qa:recall lot L2511")  # fmt: skip
    walk.refused("major", "close", number, names=("written acceptance is not attached",))
    letter = walk.tmp_path / "acceptance.txt"
    letter.write_text("we accept", encoding="utf-8")
    walk.refused("major", "accept", number, str(letter), names=("PDF",))
    scan = walk.tmp_path / "acceptance.png"
    scan.write_bytes(PNG)
    walk.ok("major", "accept", number, str(scan))
    walk.ok("major", "close", number)


def _answers(tmp_path: Path) -> Path:
    """Every appearance item of the outgoing checklist answered with its passing answer."""
    path = tmp_path / "answers.toml"
    lines = [f'"appearance.visual.{item.name}" = "{item.passing[0]}"' for item in CHECKLIST]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("channel", "severity", "symptom"),
    [("phone", "general", "no_power_on"), ("on-site", "severe", "no_power_on"),
     ("hotline", "severe", "leakage")],
)  # fmt: skip
def test_a_complaint_walks_through_the_station_from_intake_to_closure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], channel: str, severity: str, symptom: str
) -> None:
    walk = Walk(tmp_path, capsys)
    is_major = symptom == "leakage"  # a leakage complaint also takes the major-complaint path
    if is_major:
        walk.station.write_text(walk.station.read_text(encoding="utf-8") + NOTIFICATIONS)
    # --- intake ----------------------------------------------------------------------------
    walk.refused(
        "complaint", "new", "--customer", "ACME", "--model", "PB-1S2P-18650-5200",
        "--shipped", "100", "--defect", "2", "--symptom", symptom,
        "--severity", severity, "--received-by", "li.na", "--channel", "pigeon",
        names=("channel",),
    )  # fmt: skip
    number, *alert = walk.ok(
        "complaint", "new", "--customer", "ACME", "--model", "PB-1S2P-18650-5200",
        "--shipped", "100", "--defect", "2", "--symptom", symptom,
        "--severity", severity, "--received-by", "li.na", "--channel", channel,
        "--type", "product", "--fault-stage", "customer_line",
        "--customer-tests", "OCV on the line tester", "--replacement-needed",
        "--samples-returned",
    ).splitlines()  # fmt: skip
    number = number.strip()
    assert bool(alert) == is_major and (not alert or "major complaint (leakage)" in alert[0])
    sessions = walk.store()
    with sessions.begin() as session:
        complaint = get_complaint(session, number)
        assert (complaint.channel, complaint.severity) == (channel, severity)
        complaint_id = complaint.id
        for name, role in (
            (RSM, Role.REGIONAL_SALES_MANAGER),
            (SGM, Role.SALES_GENERAL_MANAGER),
            (QAM, Role.QA_MANAGER),
            ("qian.qa", Role.QA),
        ):
            create_user(session, name, role=role.value, printed_name=name.title(), actor="admin")
        transition(session, complaint_id, "handling_reported", actor="li.na")

    # --- return notice, receipt, inspection request, units ------------------------------------
    walk.ok("return", "notice", number, "--qty", "2", "--lot", "L2511", "--carrier", "SF123",
            "--sales", "li.na")  # fmt: skip
    walk.refused("return", "request", "1", *SERIALS, "--analysis", "diagnose_pack",
                 names=("no receipt yet", "return receive"))  # fmt: skip
    walk.refused("return", "receive", "1", "--qty", "1", names=("discrepancies",))
    walk.ok("return", "receive", "1", "--qty", "2")
    walk.refused("return", "request", "1", *SERIALS, "SN-C", "--analysis", "diagnose_pack",
                 names=("3 units under complaint", "reason"))  # fmt: skip
    walk.ok("return", "request", "1", *SERIALS, "--analysis", "diagnose_pack")

    # --- diagnosis on the simulator ---------------------------------------------------------
    with sessions.begin() as session:
        transition(session, complaint_id, "under_analysis", actor="zhao.qa")
    for serial in SERIALS:
        cli_code, out, err = cli(
            capsys, "run", "diagnosis", "-c", number, "-u", serial, "--sim-fault", "aged_cell",
            "--capacity-check", "--yes", "--station", str(walk.station),
        )  # fmt: skip
        assert cli_code == EXIT_FAIL and "cell_aged_high_resistance" in out + err, err

    # --- containment ------------------------------------------------------------------------
    walk.refused(
        "containment",
        "release",
        "1",
        "--note",
        "never opened",
        names=("containment action 1 was never opened",),
    )
    walk.ok("containment", "check", number, "--area", "finished_stock", "--checked", "200",
            "--bad", "4")  # fmt: skip
    for area in ("work_in_progress", "incoming_material"):
        walk.ok("containment", "check", number, "--area", area, "--checked", "50", "--bad", "0")
    walk.ok("containment", "action", number, "--kind", "freeze_outgoing_stock",
            "--owner", "wu.wh", "--qty", "120", "--location", "FG A3")  # fmt: skip

    # --- 8D pre-filled from the records, approved by the QA manager ---------------------------
    walk.ok("eightd", "draft", number)
    walk.refused("eightd", "draft", number, names=("already has an 8D",))
    with sessions.begin() as session:
        content = view(session, complaint_id).content
        run_ids = {str(r.id) for r in get_complaint(session, number).runs}
        # D3 carries the containment check, D4 a hypothesis per diagnosis finding citing its run
        # (and the measurements its sentence quotes, ``<run>/<step>/<name>``)
        assert 4 in {line.qty_ng for line in content.containment}
        cited = [e for c in content.causes for e in c.evidence]
        assert content.causes and {e.ref for e in cited if e.kind == "run"} <= run_ids
        assert {e.ref.split("/")[0] for e in cited} <= run_ids
        sign(session, complaint_id, signer=QAM, printed_name="Sun", meaning="approved")

    # --- claims -----------------------------------------------------------------------------
    walk.refused("claim", "new", number, "--amount", "38000.50", "--basis", "rework",
                 "--way", "labour_paid_in_goods",
                 names=("case_description", "above 25000.00"))  # fmt: skip
    case = tmp_path / "case.txt"
    case.write_text("line stopped 6 h; 2 packs dead; rework labour and freight", encoding="utf-8")
    walk.ok("claim", "new", number, "--amount", "38000.50", "--basis", "rework",
            "--way", "labour_paid_in_goods", "--case-file", str(case))  # fmt: skip
    walk.refused("claim", "settle", "1", "--reference", "DN-1",
                 names=("regional sales manager's approval",
                        "sales general manager's confirmation"))  # fmt: skip
    walk.ok("claim", "approve", "1", "--by", RSM)
    walk.refused("claim", "confirm", "1", "--by", RSM, names=("sales_general_manager",))
    walk.ok("claim", "confirm", "1", "--by", SGM)
    walk.ok("claim", "settle", "1", "--reference", "DN-2026-0088")
    # the second claim above RMB 25,000: its approver tries the confirmation too
    walk.ok("claim", "new", number, "--amount", "26000.00", "--basis", "line stop",
            "--way", "credit_to_zero", "--case-file", str(case))  # fmt: skip
    walk.ok("claim", "approve", "2", "--by", RSM)
    walk.refused("claim", "confirm", "2", "--by", RSM,
                 names=(f"{RSM} approved claim 2", "different user",
                        "sales_general_manager"))  # fmt: skip
    walk.refused("claim", "settle", "2", "--reference", "DN-3",
                 names=("sales general manager's confirmation",))  # fmt: skip
    walk.ok("claim", "reject", "2", "--reason", "one sign-off only; resubmit")
    assert "claim 2 RMB 26000.00 credit_to_zero: rejected" in walk.ok("claim", "list", number)

    # --- rework with outgoing inspection; the other unit scrapped -----------------------------
    with sessions.begin() as session:
        transition(
            session, complaint_id, "decided", actor="zhao.qa", decision="repair", rationale="cell"
        )
        for unit in session.query(ReturnedUnit).filter_by(complaint_id=complaint_id):
            set_unit_status(
                session, unit.id, UnitStatus.DISPOSITIONED, actor="zhao.qa",
                disposition="replace_cells",
            )  # fmt: skip
    walk.ok("unit", "move", number, "SN-A", "rework", "--reason", "cells replaced")
    walk.refused("unit", "move", number, "SN-A", "ship", "--reason", "to the customer",
                 names=("run the outgoing inspection first",))  # fmt: skip
    walk.ok("run", "outgoing_inspection", "-c", number, "-u", "SN-A",
            "--answers", str(_answers(tmp_path)), "--yes", code=EXIT_PASS)  # fmt: skip
    report = tmp_path / "outgoing.html"
    walk.ok("report", number, "--kind", "outgoing", "--unit", "SN-A", "--format", "html",
            "--out", str(report))  # fmt: skip
    assert "SN-A" in report.read_text(encoding="utf-8")

    # --- closure ----------------------------------------------------------------------------
    err = walk.refused(
        "feedback", "close", number,
        names=("feedback handling form", "containment action 1", "no approved report",
               "unit SN-A is reworked", "unit SN-B is dispositioned"),
    )  # fmt: skip
    assert "claim" not in err
    assert ("major complaint: " in err) == is_major
    if is_major:
        _major_path(walk, number)
    walk.ok("unit", "move", number, "SN-A", "ship", "--reason", "to the customer")
    walk.ok("unit", "move", number, "SN-B", "scrap", "--reason", "cells swollen")
    walk.ok("containment", "release", "1", "--note", "re-inspected, 4 scrapped",
            "--qty-released", "116")  # fmt: skip
    with sessions.begin() as session:
        report_id = create_report(session, complaint_id, locale="en", actor="zhao.qa").id
        approve(session, report_id, signer="qian.qa", printed_name="Qian QA")
    walk.ok("feedback", "write", number, "--solution", "reworked pack shipped; SN-B scrapped")
    walk.refused("feedback", "approve", number, "--by", "qian.qa", names=("qa_manager",))
    walk.refused("feedback", "close", number, names=("not approved by the QA manager",))
    walk.ok("feedback", "approve", number, "--by", QAM)
    walk.ok("feedback", "close", number)
    with sessions() as session:
        closed = get_complaint(session, number)
        assert closed.status == "closed"
        assert {u.serial: u.status for u in closed.units} == {
            "SN-A": "shipped",
            "SN-B": "scrapped",
        }
