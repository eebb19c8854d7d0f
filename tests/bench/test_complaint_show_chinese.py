"""``packbench complaint show`` speaks the station's language (``[station] language``,
``bench.complaint_show_words``).

On a zh_CN station the header, the coded values, the verdict table and the runs set aside show
none of the English words of the command's catalogue entries (``complaint_show.*`` and the
table's ``live.column.*`` of ``bench/locale``, taken from the catalogue, not listed here) and no
raw code; an English station prints what it printed before, codes included, and ``--json``
keeps the codes. The complaint has a unit in each state: not run, a valid diagnosis with a root
cause and a proposed disposition, a disposition QA confirmed, a run QA declared invalid; runs
still recording (here or on another host) and an aborted run are checked on the rows alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bench_helpers import cli, register
from catalogue_leaks import cli_english_left, cli_english_pieces, leaks, raw_codes
from test_cli_run_validity import token_for
from test_live_chinese import _chinese

from bench.cli_words import Words
from bench.complaint_show_words import set_aside_lines, unit_rows

PREFIXES = ("complaint_show.", "live.column.")
"""The catalogue entries of what ``complaint show`` prints (its own, the table's columns)."""
FAULT = "deep_discharge_uv"
"""A fault whose diagnosis concludes a root cause and proposes a disposition."""
REASON = "电池包放错夹具"
"""QA's reason for declaring a run invalid: shown as typed, in any language."""
DIAGNOSIS = "returned-pack-diagnosis"
"""The procedure's name: typed as it is in every language (as on the pages)."""


def english_left(text: str) -> dict[str, str]:
    """Key -> an English piece of a ``complaint show`` entry that ``text`` shows."""
    return cli_english_left(text, PREFIXES)


def _diagnose(capsys: pytest.CaptureFixture[str], station: Path, number: str, serial: str) -> None:
    code, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", serial, "--sim-fault", FAULT, "--yes",
        "--station", str(station),
    )  # fmt: skip
    assert code == 0, err


def _complaint(capsys: pytest.CaptureFixture[str], station: Path) -> str:
    """A complaint with U-1 not run, U-2 diagnosed (disposition proposed), U-3 diagnosed and
    its disposition confirmed by QA, U-4 diagnosed and the run declared invalid by QA."""
    number = register(capsys, station, "U-1", "U-2", "U-3", "U-4")
    for serial in ("U-2", "U-3", "U-4"):
        _diagnose(capsys, station, number, serial)
    qa = token_for(station.parent / "store.sqlite3", "wang.fang", "qa")
    s = ("--token", qa, "--station", str(station))
    code, _, err = cli(
        capsys, "unit", "disposition", number, "U-3", "recharge_and_return", "--reason", "ok", *s
    )
    assert code == 0, err
    code, out, err = cli(capsys, "complaint", "show", number, "--json", "--station", str(station))
    (u4,) = [u for u in json.loads(out)["units"] if u["unit"] == "U-4"]
    code, _, err = cli(capsys, "invalidate", str(u4["run_id"]), "--reason", REASON, *s)
    assert code == 0, err
    return number


def _show(capsys: pytest.CaptureFixture[str], station: Path, *more: str) -> str:
    number = _complaint(capsys, station)
    code, out, err = cli(capsys, "complaint", "show", number, "--station", str(station), *more)
    assert code == 0, err
    return out


def _rows(out: str) -> dict[str, list[str]]:
    """Unit -> the cells of its table rows."""
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():
        if re.match(r" U-\d ", line):
            cells = [c.strip() for c in line.split("|")]
            rows.setdefault(cells[0], []).extend(cells[1:])
    return rows


RUNNING = {"run_id": 9, "host": "here", "pid": 1, "process": "running"}
ELSEWHERE = {"run_id": 10, "host": "elsewhere", "pid": 2, "process": "unknown"}
ABORTED = {"run_id": 8, "procedure": "diagnosis", "standing": "aborted", "reason": ""}


def _recording(*runs: dict[str, object]) -> dict[str, object]:
    """A unit with no result yet, its runs ``runs`` still recording, an aborted run set aside."""
    return {
        "unit": "U-5", "results": [], "set_aside": [ABORTED], "in_progress": list(runs),
        "disposition": None, "disposition_state": None, "run_id": None,
    }  # fmt: skip


def _said(say: Words) -> str:
    """The rows' texts of units still recording and the line of an aborted run."""
    cells = [unit_rows(_recording(*runs), say)[0].verdict for runs in ([RUNNING], [ELSEWHERE])]
    return "\n".join([*cells, *set_aside_lines(_recording(), say)])


def test_every_entry_has_english_words_the_english_command_prints(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """The check looks for something: the English command prints every piece it forbids in
    Chinese (so their absence there means something)."""
    out = _show(capsys, sim_station) + _said(Words())
    assert {"complaint_show.not_run", "complaint_show.set_aside_reason"} <= set(
        cli_english_pieces(PREFIXES)
    )
    left_out = set(cli_english_pieces(PREFIXES)) - set(english_left(out))
    assert left_out <= {"live.column.fault"}, out  # a bench's complaint has no simulated fault


def test_the_chinese_command_prints_no_english_word_of_its_catalogue(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    out = _show(capsys, _chinese(sim_station))
    assert english_left(out) == {}, out
    assert leaks(out) == {}, out
    assert raw_codes(out) == set(), out
    lines = out.splitlines()
    assert lines[1:6] == [  # right-aligned in terminal columns: a Chinese character takes two
        "          客户: ACME",
        "      产品型号: PB-1S2P-18650-5200",
        "      不良现象: 不开机",
        "      严重程度: 一般",
        "          状态: 已登记",
    ]
    rows = _rows(out)
    assert rows["U-1"][0] == "未测试"
    assert rows["U-2"][0] == f"{DIAGNOSIS}：合格" and rows["U-2"][3] == "补电后退回（建议）"
    assert rows["U-3"][3] == "补电后退回（已确认）"
    assert rows["U-4"][0] == "尚无有效测试" and rows["U-4"][3] == "-"
    assert re.search(
        rf"^  U-4：测试记录 \d+（{DIAGNOSIS}）经质量部判定无效，不作为证据：{REASON}$", out, re.M
    )
    assert re.search(r"^ 单元 +\| 判定 +\| 根本原因 +\| 不良现象 +\| 处置 +\| 测试记录$", out, re.M)


def test_runs_still_recording_and_an_aborted_run_are_said_in_chinese() -> None:
    said = _said(Words("zh_CN"))
    assert english_left(said) == {} and leaks(said) == {}, said
    assert said.splitlines() == [
        "测试中",
        "状态未知（在其他主机上测试）",
        "  U-5：测试记录 8（diagnosis）未完成（中止），不作为证据",
    ]


def test_an_english_station_prints_what_it_printed(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    out = _show(capsys, sim_station)
    lines = out.splitlines()
    assert lines[:6] == [
        f"     complaint: {lines[0].split(': ')[1]}",
        "      customer: ACME",
        " product_model: PB-1S2P-18650-5200",
        "       symptom: no_power_on",
        "      severity: general",
        "        status: registered",
    ]
    rows = _rows(out)
    assert rows["U-1"][:4] == ["not run", "-", "-", "-"]
    assert rows["U-2"] == [
        f"{DIAGNOSIS}: pass",
        "over_discharge_in_storage",
        "cannot power on",
        "recharge_and_return (proposed)",
        "1",
    ]
    assert rows["U-3"][3] == "recharge_and_return (confirmed)"
    assert rows["U-4"][:4] == ["no valid run", "-", "-", "-"]
    assert re.search(
        rf"^  U-4: run \d+ \({DIAGNOSIS}\) is invalid, not evidence: {REASON}$", out, re.M
    )
    assert _said(Words()).splitlines() == [
        "running", "unknown", "  U-5: run 8 (diagnosis) is aborted, not evidence"
    ]  # fmt: skip


def test_json_keeps_the_codes_on_a_chinese_station(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    document = json.loads(_show(capsys, _chinese(sim_station), "--json"))
    assert (document["symptom"], document["severity"]) == ("no_power_on", "general")
    (u2,) = [u for u in document["units"] if u["unit"] == "U-2"]
    assert (u2["disposition"], u2["disposition_state"]) == ("recharge_and_return", "proposed")
