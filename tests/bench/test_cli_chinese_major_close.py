"""``packbench major close`` in the station's language: refused on a zh_CN station, the refusal
and each blocker read as the pages say them (``results.store_words``), no English catalogue
sentence; the English refusal is the one printed before (``test_cli_major``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogue_leaks import leaks
from test_cli_chinese import _chinese
from test_cli_major import NOTIFICATIONS, PNG, major, new_complaint

from bench.cli_words import cli_messages
from results.reports.labels import catalogue
from results.store_words import store_messages


def test_a_chinese_station_s_major_close_names_the_blockers_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    station = _chinese(sim_station)
    station.write_text(station.read_text(encoding="utf-8") + NOTIFICATIONS, encoding="utf-8")
    code, out, err = new_complaint(capsys, station, "leakage")
    assert code == 0, err
    number = out.splitlines()[0]
    code, refused_out, refused = major(capsys, station, "close", number)
    assert code == 2 and refused_out == "", refused
    zh = store_messages("zh_CN")
    for key in ("major_blocker.no_containment", "major_blocker.no_acceptance"):
        assert zh[key] in refused, (key, refused)
    assert number in refused.splitlines()[0]
    assert leaks(refused) == {}, refused

    assert (
        major(capsys, station, "containment", number, "--stock-frozen", "4", "--locations", "A")[0]
        == 0
    )
    meeting = ("meeting", number, "--attendee", "li", "--decision", "li:recall lot L7")
    assert major(capsys, station, *meeting)[0] == 0
    scan = tmp_path / "acceptance.png"
    scan.write_bytes(PNG)
    assert major(capsys, station, "accept", number, str(scan))[0] == 0
    code, closed, err = major(capsys, station, "close", number)
    assert code == 0 and number in closed and leaks(closed) == {}, (closed, err)
    assert "major complaint closed" not in closed


def test_a_chinese_station_s_major_commands_print_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """The alert of ``complaint new`` and every ``major`` command's line, the category and the
    stages by their labels, the blockers as the pages say them (no English sentence, no code)."""
    station = _chinese(sim_station)
    station.write_text(station.read_text(encoding="utf-8") + NOTIFICATIONS, encoding="utf-8")
    code, out, err = new_complaint(capsys, station, "leakage")
    assert code == 0, err
    number, alert, notified, _subject = out.splitlines()
    scan = tmp_path / "acceptance.png"
    scan.write_bytes(PNG)
    steps = [
        ("status", number),
        ("containment", number, "--stock-frozen", "4", "--locations", "A"),
        ("meeting", number, "--attendee", "li", "--decision", "li:recall lot L7"),
        ("supplier", number, "--supplier", "CellCo", "--content", "lot L7 leaks"),
        ("accept", number, str(scan)),
        ("status", number),
    ]
    said = [alert, notified]
    for args in steps:
        code, shown, err = major(capsys, station, *args)
        assert code == 0 and err == "", (args, shown, err)
        said.append(shown)
    labels, words = catalogue("zh_CN"), cli_messages("zh_CN")
    everything = "\n".join(said)
    assert alert == words["major.registered"].format(
        category=labels.enum("major_category", "leakage")
    )
    assert words["major.delivered"] in notified
    assert labels.enum("major_stage", "containment_opened") in said[2]
    assert store_messages("zh_CN")["major_blocker.no_containment"] in said[2]
    assert said[3].startswith(f"{number}：已启动围堵")
    assert said[-1].splitlines()[-1] == words["major.may_close"]
    assert leaks(everything) == {}, everything
    # the alert's subject is printed as it was sent (the e-mail's words; the stage clock finds
    # the alert by it): the one English line
    ours = "\n".join(line for line in everything.splitlines() if "[MAJOR COMPLAINT]" not in line)
    for english in ("leakage", "containment_opened", " due ", "open", "recorded", "attached"):
        assert english not in ours, (english, ours)


def test_an_english_station_s_major_status_prints_as_before(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    sim_station.write_text(sim_station.read_text(encoding="utf-8") + NOTIFICATIONS)
    number = new_complaint(capsys, sim_station, "leakage")[1].splitlines()[0]
    code, out, _ = major(capsys, sim_station, "status", number)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"{number}: major (leakage), escalated ")
    assert lines[1].startswith("  emergency_group_notified   due ")
    assert lines[-1].startswith("closure blocked: no containment record (stock frozen, ")
