"""``packbench verify``: a checkpoint after a clean verify, routine then ``--full`` with
progress lines (not a terminal here), and the exported anchor checked back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, register
from sqlalchemy import text

from results.db import make_engine


def test_verify_checkpoints_then_checks_against_an_exported_anchor(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path
) -> None:
    register(capsys, sim_station, "SN-0001")
    code, out, err = cli(capsys, "verify", "--station", str(sim_station))
    assert code == 0 and out.rstrip().endswith("OK"), out + err
    assert out.startswith("full:")  # no checkpoint yet: everything
    anchor = tmp_path / "anchor.json"
    code, out, err = cli(
        capsys, "verify", "--station", str(sim_station), "--export-anchor", str(anchor)
    )
    assert code == 0 and out.startswith("routine"), out + err
    saved = json.loads(anchor.read_text("utf-8"))
    assert saved["seq"] > 0 and len(saved["hash"]) == 64 and saved["taken_at"]
    code, out, err = cli(capsys, "verify", "--station", str(sim_station), "--full")
    assert code == 0 and out.startswith("full:"), out + err
    assert "audit events: 100%" in err  # plain progress lines when stderr is no terminal
    code, out, err = cli(capsys, "verify", "--station", str(sim_station), "--anchor", str(anchor))
    assert code == 0, out + err

    engine = make_engine(tmp_path / "store.sqlite3")
    try:
        with engine.begin() as connection:  # a rewritten head event, as a full rewrite leaves it
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
            connection.execute(
                text("UPDATE audit_event SET hash = :h WHERE seq = :s"),
                {"h": "e" * 64, "s": saved["seq"]},
            )
    finally:
        engine.dispose()
    code, out, err = cli(capsys, "verify", "--station", str(sim_station), "--anchor", str(anchor))
    assert code != 0 and "PROBLEM anchor" in out, out + err
