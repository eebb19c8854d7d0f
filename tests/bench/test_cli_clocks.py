"""``packbench kpi`` and ``packbench complaint class|pause|clocks`` on a simulated station."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register


def test_class_pause_and_clocks_from_the_command_line(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path
) -> None:
    number = register(capsys, sim_station, "SN-1")
    station = ("--station", str(sim_station))
    code, out, err = cli(capsys, "complaint", "class", number, "--line-stopped", "--json", *station)
    assert code == 0, err
    document = json.loads(out)
    assert (document["class"], document["proposed"], document["deck_class"]) == (
        "general",
        "severe",
        "urgent",
    )
    code, out, err = cli(
        capsys, "complaint", "class", number, "--set", "major", "--reason", "line stop", *station
    )
    assert code == 0, err
    assert f"{number}: class severe" in out

    before = dump(tmp_path / "store.sqlite3")
    code, out, err = cli(
        capsys, "complaint", "class", number, "--set", "gold", "--reason", "x", *station
    )
    assert code == 2 and "class: unknown class 'gold'" in err
    code, out, err = cli(capsys, "complaint", "pause", "end", number, *station)
    assert code == 2 and "no running pause" in err
    assert dump(tmp_path / "store.sqlite3") == before

    code, out, err = cli(
        capsys,
        "complaint", "pause", "start", number,
        "--kind", "test", "--reason", "cycle test",
        "--sales-informed", "--customer-informed",
        *station,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = cli(capsys, "complaint", "pause", "end", number, *station)
    assert code == 0, err
    code, out, err = cli(capsys, "complaint", "pause", "list", number, "--lang", "zh_CN", *station)
    assert code == 0 and "原因:cycle test" in out
    code, out, err = cli(capsys, "complaint", "clocks", number, "--json", *station)
    assert code == 0, err
    clocks = {c["name"]: c for c in json.loads(out)["clocks"]}
    assert clocks["whole_case"]["pausable"] and not clocks["registered"]["pausable"]
    assert clocks["registered"]["state"] == "met"


def test_kpi_command(capsys: pytest.CaptureFixture[str], sim_station: Path) -> None:
    register(capsys, sim_station, "SN-1")
    today = datetime.now(UTC).date()
    args = ("kpi", "--from", str(today - timedelta(days=2)), "--to", str(today + timedelta(days=1)))
    code, out, err = cli(capsys, *args, "--json", "--station", str(sim_station))
    assert code == 0, err
    classes = json.loads(out)["classes"]
    assert [c["class"] for c in classes] == ["general"]
    registered = classes[0]["targets"][0]
    assert (registered["name"], registered["met"], registered["missed"]) == ("registered", 1, 0)
    code, out, err = cli(capsys, *args, "--class", "bogus", "--station", str(sim_station))
    assert code == 2 and "unknown class" in err
    # registered without a type: a product complaint, none among the non-product ones
    for kind, count in (("product", 1), ("non-product", 0)):
        code, out, err = cli(capsys, *args, "--type", kind, "--json", "--station", str(sim_station))
        assert code == 0, err
        document = json.loads(out)
        assert document["type"] == kind
        assert sum(c["complaints"] for c in document["classes"]) == count
    code, out, err = cli(capsys, *args, "--type", "goods", "--station", str(sim_station))
    assert code == 2 and "non-product" in err
