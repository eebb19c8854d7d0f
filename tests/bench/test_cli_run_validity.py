"""``complaint show`` keeps each procedure's latest valid run apart; ``packbench invalidate`` is
QA's: a QA token marks a run invalid (audited, ``verify`` still OK), a bench token is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register
from test_cli_appearance import answers_file, query, run_appearance

from results.accounts import create_user, issue_token
from results.store import open_store


def diagnose(capsys: pytest.CaptureFixture[str], station: Path, number: str) -> None:
    code, _, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--sim-fault",
        "deep_discharge_uv",
        "--yes",
        "--station",
        str(station),
    )
    assert code == 0, err


def token_for(database: Path, name: str, role: str) -> str:
    sessions = open_store(str(database))
    with sessions.begin() as session:
        create_user(session, name, role=role, printed_name=name.title(), actor="admin")
        raw, _ = issue_token(session, name, actor="admin")
    return raw


def show(capsys: pytest.CaptureFixture[str], station: Path, number: str) -> dict[str, object]:
    code, out, err = cli(capsys, "complaint", "show", number, "--json", "--station", str(station))
    assert code == 0, err
    units = json.loads(out)["units"]
    assert isinstance(units[0], dict)
    return units[0]


def test_show_keeps_diagnosis_and_appearance_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    diagnose(capsys, sim_station, number)
    code, _, err = run_appearance(capsys, sim_station, number, answers_file(tmp_path), "--yes")
    assert code == 0, err
    unit = show(capsys, sim_station, number)
    results = {r["procedure"]: r for r in unit["results"]}  # type: ignore[attr-defined]
    assert len(results) == 2
    (diagnosis,) = [r for p, r in results.items() if "diagnosis" in p]
    (appearance,) = [r for p, r in results.items() if "appearance" in p]
    assert diagnosis["diagnosis"]["root_cause"] == "over_discharge_in_storage"
    assert diagnosis["diagnosis"]["disposition"] == "recharge_and_return"
    assert appearance["diagnosis"]["root_cause"] is None
    assert appearance["run_id"] > diagnosis["run_id"]
    # the unit-level fields are the diagnosis run's, all of them: never the later run's blank
    assert unit["run_id"] == diagnosis["run_id"]
    assert unit["diagnosis"]["root_cause"] == "over_discharge_in_storage"  # type: ignore[index]
    code, out, _ = cli(capsys, "complaint", "show", number, "--station", str(sim_station))
    rows = [line for line in out.splitlines() if line.startswith(" U-1 ")]
    assert len(rows) == 2
    (diag_row,) = [r for r in rows if "diagnosis: pass" in r]
    assert "over_discharge_in_storage" in diag_row and "recharge_and_return (proposed)" in diag_row
    (look_row,) = [r for r in rows if "appearance" in r]
    assert "over_discharge_in_storage" not in look_row and "recharge_and_return" not in look_row


def test_only_qa_invalidates_and_the_run_leaves_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    database = tmp_path / "store.sqlite3"
    number = register(capsys, sim_station, "U-1")
    diagnose(capsys, sim_station, number)
    code, _, err = run_appearance(capsys, sim_station, number, answers_file(tmp_path), "--yes")
    assert code == 0, err
    appearance_run = max(r for (r,) in query(database, "SELECT id FROM run"))
    bench = token_for(database, "bench-07", "bench")
    qa = token_for(database, "wang.fang", "qa")

    before = dump(database)
    code, _, err = cli(
        capsys,
        "invalidate",
        str(appearance_run),
        "--reason",
        "wrong pack on the fixture",
        "--token",
        bench,
        "--station",
        str(sim_station),
    )
    assert code == 2 and "only QA may declare a run invalid" in err
    assert dump(database) == before
    code, _, err = cli(
        capsys, "invalidate", str(appearance_run), "--reason", " ", "--token", qa,
        "--station", str(sim_station),
    )  # fmt: skip
    assert code == 2 and "reason" in err

    code, out, err = cli(
        capsys,
        "invalidate",
        str(appearance_run),
        "--reason",
        "wrong pack on the fixture",
        "--token",
        qa,
        "--station",
        str(sim_station),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["invalidated_by"] == "wang.fang"
    assert query(
        database, "SELECT actor, reason FROM audit_event WHERE action = 'run.invalidated'"
    ) == [("wang.fang", "wrong pack on the fixture")]

    unit = show(capsys, sim_station, number)
    assert [r["procedure"] for r in unit["results"]] == ["returned-pack-diagnosis"]  # type: ignore[attr-defined]
    assert unit["set_aside"] == [
        {
            "run_id": appearance_run,
            "procedure": "appearance_inspection",
            "standing": "invalid",
            "reason": "wrong pack on the fixture",
        }
    ]
    code, out, _ = cli(capsys, "complaint", "show", number, "--station", str(sim_station))
    assert f"run {appearance_run} (appearance_inspection) is invalid, not evidence" in out

    report = tmp_path / "report.html"
    code, _, err = cli(
        capsys, "report", number, "--out", str(report), "--station", str(sim_station)
    )
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    annex = html[html.index('id="evidence"') :]
    assert "overall_front.jpg" not in annex  # the invalid run's photos left the annex
    assert "wrong pack on the fixture" in html  # and the record says why

    diagnosis_run = min(r for (r,) in query(database, "SELECT id FROM run"))
    code, _, err = cli(
        capsys, "invalidate", str(diagnosis_run), "--reason", "spec file was wrong",
        "--token", qa, "--station", str(sim_station),
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = cli(capsys, "complaint", "show", number, "--station", str(sim_station))
    (row,) = [line for line in out.splitlines() if line.startswith(" U-1 ")]
    assert "no valid run" in row and "over_discharge_in_storage" not in row
    assert "recharge_and_return" not in row  # the invalid run's proposal is not shown

    code, out, err = cli(capsys, "verify", "--station", str(sim_station))
    assert code == 0, out + err
