"""Major complaints from the command line: a leakage complaint end to end on the log channel."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli, dump

NOTIFICATIONS = """
[notifications]
emergency_group = ["qa.lead@plant.example", "plant.manager@plant.example"]
channel = "log"
"""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture
def station(sim_station: Path) -> Path:
    sim_station.write_text(sim_station.read_text() + NOTIFICATIONS)
    return sim_station


def new_complaint(
    capsys: pytest.CaptureFixture[str], station: Path, symptom: str, *extra: str
) -> tuple[int, str, str]:
    return cli(
        capsys,
        "complaint",
        "new",
        "--station",
        str(station),
        "--customer",
        "ACME",
        "--model",
        "PB-1S2P-18650-5200",
        "--shipped",
        "500",
        "--defect",
        "2",
        "--symptom",
        symptom,
        "--received-by",
        "tester",
        *extra,
    )


def major(capsys: pytest.CaptureFixture[str], station: Path, *args: str) -> tuple[int, str, str]:
    return cli(capsys, "major", *args, "--station", str(station))


def test_leakage_complaint_notifies_and_closes_only_with_acceptance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], station: Path
) -> None:
    code, out, err = new_complaint(capsys, station, "leakage")
    assert code == 0, err
    number, *report = out.splitlines()
    assert report[0] == "major complaint (leakage), severity severe"
    assert report[1] == (
        "notified via log: qa.lead@plant.example, plant.manager@plant.example (delivered)"
    )
    assert f"[MAJOR COMPLAINT] {number} leakage - ACME" in report[2]
    connection = sqlite3.connect(tmp_path / "store.sqlite3")
    try:
        rows = list(connection.execute("SELECT channel, delivered FROM emergency_notification"))
        severity = connection.execute("SELECT severity FROM complaint").fetchone()
    finally:
        connection.close()
    assert rows == [("log", 1)] and severity == ("severe",)

    code, _, err = major(capsys, station, "close", number)
    assert code == 2
    assert "the customer's written acceptance is not attached" in err
    assert "no containment record" in err

    code, _, err = major(
        capsys, station, "containment", number, "--stock-frozen", "40", "--locations", "WH-A"
    )
    assert code == 0, err
    code, _, err = major(
        capsys, station, "meeting", number, "--attendee", "li", "--decision", "li:recall lot L7"
    )
    assert code == 0, err
    code, _, err = major(capsys, station, "close", number)
    assert code == 2
    assert "acceptance is not attached" in err and "no containment record" not in err

    letter = tmp_path / "acceptance.txt"
    letter.write_text("we accept")
    code, _, err = major(capsys, station, "accept", number, str(letter))
    assert code == 2 and "PDF" in err  # typed text is not a written acceptance
    scan = tmp_path / "acceptance.png"
    scan.write_bytes(PNG)
    assert major(capsys, station, "accept", number, str(scan))[0] == 0

    code, out, err = major(capsys, station, "close", number)
    assert code == 0, err
    code, out, _ = major(capsys, station, "status", number, "--json")
    status = json.loads(out)
    assert status["category"] == "leakage" and status["closure_blockers"] == []
    assert status["closed_at"] is not None
    done = {s["stage"]: s["done_at"] is not None for s in status["stages"]}
    assert done == {
        "emergency_group_notified": True,
        "containment_opened": True,
        "emergency_meeting_held": True,
        "supplier_notified": False,
        "closed_with_acceptance": True,
    }


def test_severe_complaint_of_a_key_customer_is_major(
    capsys: pytest.CaptureFixture[str], station: Path
) -> None:
    code, out, err = new_complaint(
        capsys, station, "no_power_on", "--severe", "--key-customer", "--json"
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["major"]["category"] == "key_customer_severe"
    assert document["major"]["notifications"][0]["delivered"] is True
    code, out, err = new_complaint(capsys, station, "no_power_on", "--severity", "general")
    assert code == 0 and len(out.splitlines()) == 1  # an ordinary complaint: no alert
    code, _, err = major(capsys, station, "status", out.strip())
    assert code == 2 and "is not a major complaint" in err


def test_the_alert_is_in_the_language_of_the_notifications_section(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """``[notifications] language``: the group's alert in its language; the station's own
    (``[station] language``) stays the operator's."""
    chinese = NOTIFICATIONS + 'language = "zh_CN"\n'
    sim_station.write_text(sim_station.read_text() + chinese)
    code, out, err = new_complaint(capsys, sim_station, "leakage")
    assert code == 0, err
    number, *report = out.splitlines()
    assert report[0] == "major complaint (leakage), severity severe"  # the operator's English
    assert f"[重大客诉] {number} leakage - ACME" in report[2]


def test_a_language_the_alert_is_not_written_in_is_refused_naming_the_setting(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    sim_station.write_text(sim_station.read_text() + NOTIFICATIONS + 'language = "fr"\n')
    code, out, err = new_complaint(capsys, sim_station, "leakage")
    assert (code, out) == (2, "")
    assert "[notifications] language" in err or "notifications.language" in err, err
    assert "'fr' is not a language the alert is written in" in err and "zh_CN" in err


def test_major_complaint_without_notifications_section_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    assert cli(capsys, "db", "upgrade", "--station", str(sim_station))[0] == 0
    before = dump(tmp_path / "store.sqlite3")
    code, _, err = new_complaint(capsys, sim_station, "short_circuit_fire")
    assert code == 2
    assert "notifications: is missing" in err and "emergency_group" in err
    assert dump(tmp_path / "store.sqlite3") == before
