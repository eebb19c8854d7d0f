"""``packbench demo`` end to end in a fresh HOME: exit 0, a report naming every unit with the
diagnosis the fault catalogue expects, and ``complaint show --json`` agreeing with it."""

from __future__ import annotations

import json
import subprocess
from html import escape
from pathlib import Path

import pytest
from bench_helpers import PYTHON, child_env

from results.reports.labels import catalogue
from simulators.faults import CATALOGUE


@pytest.mark.slow
def test_demo_in_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = child_env(home)
    done = subprocess.run(
        [PYTHON, "-m", "bench.cli", "demo", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(done.stdout)
    report = Path(document["report"])
    assert report.is_file()
    assert report.is_relative_to(home / ".local/share/packbench")
    assert (home / ".local/share/packbench/packbench.sqlite3").is_file()
    html = report.read_text(encoding="utf-8")
    labels = catalogue("en")  # the report shows the catalogue's wording of each root cause
    units = document["units"]
    assert len(units) >= 6
    assert len({u["simulated_fault"] for u in units}) == len(units)
    for unit in units:
        expected = CATALOGUE[unit["simulated_fault"]]
        diagnosis = unit["diagnosis"]
        assert diagnosis["root_cause"] == expected.expected_root_cause, unit
        assert diagnosis["symptom"] == expected.symptom, unit
        assert diagnosis["disposition"] == expected.expected_disposition, unit
        cause = escape(labels.conclusion("root_cause", expected.expected_root_cause))
        row = f"<tr><td>{unit['unit']}</td><td>Root cause</td><td>{cause}<"
        assert row in html, f"report lacks the diagnosis row of {unit['unit']}"
    assert "HTML report:" in done.stderr and "verdict" in done.stderr

    shown = subprocess.run(
        [PYTHON, "-m", "bench.cli", "complaint", "show", document["complaint"], "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    stored = {u["unit"]: u for u in json.loads(shown.stdout)["units"]}
    for unit in units:
        assert stored[unit["unit"]]["run_id"] == unit["run_id"]
        assert stored[unit["unit"]]["diagnosis"]["root_cause"] == unit["diagnosis"]["root_cause"]
        assert stored[unit["unit"]]["verdict"] == unit["verdict"]
