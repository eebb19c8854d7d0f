"""``packbench return ...`` and ``unit disposition|move|status`` from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from bench_helpers import cli, dump

from results.accounts import create_user, issue_token
from results.store import open_store


def _complaint(capsys: pytest.CaptureFixture[str], station: Path, defect: int) -> str:
    code, out, err = cli(
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
        "100",
        "--defect",
        str(defect),
        "--symptom",
        "no_power_on",
        "--severity",
        "general",
        "--received-by",
        "tester",
    )
    assert code == 0, err
    return out.strip()


def _json(capsys: pytest.CaptureFixture[str], station: Path, *args: str) -> Any:
    code, out, err = cli(capsys, *args, "--json", "--station", str(station))
    assert code == 0, err
    return json.loads(out)


def _notice(capsys: pytest.CaptureFixture[str], station: Path, number: str, qty: str) -> str:
    notice = _json(
        capsys, station, "return", "notice", number, "--qty", qty, "--lot", "L2511",
        "--carrier", "SF123", "--sales", "zhao.min",
    )  # fmt: skip
    return str(notice["id"])


def _qa_token(database: Path) -> str:
    sessions = open_store(str(database))
    with sessions.begin() as session:
        create_user(session, "wang.fang", role="qa", printed_name="Wang Fang", actor="admin")
        raw, _ = issue_token(session, "wang.fang", actor="admin")
    return raw


def test_notice_receipt_request_from_a_scan_and_a_csv(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = _complaint(capsys, sim_station, defect=3)
    notice = _notice(capsys, sim_station, number, "3")
    _json(capsys, sim_station, "return", "receive", notice, "--qty", "3")
    csv_file = tmp_path / "units.csv"
    csv_file.write_text("serial,lot\nSN-3,L2511\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("SN-1\r\n\nSN-2\n"))  # a scanner on stdin
    request = _json(
        capsys, sim_station, "return", "request", notice, "--scan", "-", "--csv", str(csv_file),
        "--analysis", "diagnose_pack",
    )  # fmt: skip
    assert [u["serial"] for u in request["units"]] == ["SN-1", "SN-2", "SN-3"]
    shown = _json(capsys, sim_station, "return", "show", number)
    assert shown["units_logged"] == 3
    code, out, err = cli(capsys, "return", "show", number, "--station", str(sim_station))
    assert code == 0 and "request 1: SN-1, SN-2, SN-3; analyses diagnose_pack" in out, err


def test_a_request_that_does_not_reconcile_needs_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = _complaint(capsys, sim_station, defect=1)
    notice = _notice(capsys, sim_station, number, "2")
    _json(capsys, sim_station, "return", "receive", notice, "--qty", "2")
    before = dump(tmp_path / "store.sqlite3")
    args = ("return", "request", notice, "A-1", "A-2", "--analysis", "diagnose_pack")
    code, _out, err = cli(capsys, *args, "--station", str(sim_station))
    assert code != 0 and "override_reason" in err and "1 defective" in err
    assert dump(tmp_path / "store.sqlite3") == before
    code, out, err = cli(capsys, *args, "--reason", "two came back", "--station", str(sim_station))
    assert code == 0, err
    assert "accepted: 2 units under" in out


def test_unit_disposition_move_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = _complaint(capsys, sim_station, defect=1)
    code, _out, err = cli(capsys, "unit", "add", number, "U-1", "--station", str(sim_station))
    assert code == 0, err
    station = ("--station", str(sim_station))
    code, _out, err = cli(capsys, "unit", "move", number, "U-1", "scrap", "--reason", "x", *station)
    assert code != 0 and "allowed from 'received'" in err
    qa = _qa_token(tmp_path / "store.sqlite3")
    code, _out, err = cli(
        capsys, "unit", "disposition", number, "U-1", "scrap", "--reason", "cells swollen",
        "--token", "nope", *station,
    )  # fmt: skip
    assert code != 0 and "QA account" in err
    code, out, err = cli(
        capsys, "unit", "disposition", number, "U-1", "scrap", "--reason", "cells swollen",
        "--token", qa, *station,
    )  # fmt: skip
    assert code == 0 and "by wang.fang" in out, err
    code, out, err = cli(
        capsys, "unit", "move", number, "U-1", "dismantle", "--reason", "harvest board", *station
    )
    assert code == 0 and "next: back_to_stock, scrapped" in out, err
    code, out, err = cli(capsys, "unit", "move", number, "U-1", "ship", "--reason", "y", *station)
    assert code != 0 and "cannot go from 'dismantled' to 'shipped'" in err
    state = _json(capsys, sim_station, "unit", "status", number, "U-1")
    assert state["status"] == "dismantled"
    assert [e["status"] for e in state["history"]] == ["received", "dispositioned", "dismantled"]
    assert state["history"][-1]["reason"] == "harvest board"
