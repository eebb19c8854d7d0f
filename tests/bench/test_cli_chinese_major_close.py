"""``packbench major close`` in the station's language: refused on a zh_CN station, the refusal
and each blocker read as the pages say them (``results.store_words``), no English catalogue
sentence; the English refusal is the one printed before (``test_cli_major``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogue_leaks import leaks
from test_cli_chinese import _chinese
from test_cli_major import NOTIFICATIONS, PNG, major, new_complaint

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
