"""``packbench verify`` names a pack logged as two units with the command that merges them; that
command, run as printed, leaves a store that verifies."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench_helpers import cli, register
from test_cli_chinese import _chinese
from twin_units import log_twice

from results.accounts import create_user, issue_token
from results.store import open_store

SERIAL = "SN-0042"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_merge_command_verify_prints_fixes_what_it_found(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path, language: str
) -> None:
    if language == "zh_CN":
        _chinese(sim_station)
    register(capsys, sim_station, "SN-0001")  # creates the store
    sessions = open_store(tmp_path / "store.sqlite3")
    try:
        with sessions.begin() as session:
            log_twice(session, SERIAL, datetime.now(UTC))
        with sessions.begin() as session:
            create_user(session, "wang.fang", role="qa", printed_name="Wang Fang", actor="admin")
            qa_token, _ = issue_token(session, "wang.fang", actor="admin")
            create_user(session, "li.na", role="technician", printed_name="Li Na", actor="admin")
            technician_token, _ = issue_token(session, "li.na", actor="admin")
    finally:
        sessions.kw["bind"].dispose()

    code, out, err = cli(capsys, "verify", "--station", str(sim_station), "--full")
    assert code != 0, out + err
    found = re.search(rf"unit serial {SERIAL}[:：].*`(packbench unit merge [^`]+)`", out)
    assert found is not None, out
    printed = found.group(1).replace("TEXT", "'one pack, synced by two benches'")
    station = ["--station", str(sim_station)]
    command = [*shlex.split(printed.replace("QA_TOKEN", qa_token))[1:], *station]

    refused = shlex.split(printed.replace("QA_TOKEN", technician_token))[1:]
    code, out, err = cli(capsys, *refused, *station)
    decision = {"en": "merge units", "zh_CN": "合并重复登记的样品"}[language]
    assert code == 2 and decision in err, out + err  # a technician may not

    code, out, err = cli(capsys, *command)
    assert code == 0, out + err
    merged = {
        "en": rf"unit {SERIAL}: unit \d+ kept; 0 run\(s\) moved onto it from unit\(s\) \d+, "
        r"which are deleted\n",
        "zh_CN": rf"退回品 {SERIAL}：保留样品 \d+；从样品 \d+ 移入 0 条测试记录，"
        r"这些样品记录已删除\n",
    }
    assert re.fullmatch(merged[language], out), out
    code, out, err = cli(capsys, "verify", "--station", str(sim_station), "--full")
    assert code == 0, out + err

    code, out, err = cli(capsys, *command)
    nothing = {"en": "without a complaint, nothing to merge", "zh_CN": "无需合并"}[language]
    assert code == 2 and nothing in err, out + err
