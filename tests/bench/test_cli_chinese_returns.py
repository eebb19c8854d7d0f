"""``packbench return ...`` and ``unit disposition|move|status`` on a zh_CN station: the lines,
the reconciliation warnings and refusal (``return_warning.*``), unit statuses and dispositions
by their labels; no English catalogue sentence. English output is ``test_cli_returns``'."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli
from catalogue_leaks import leaks
from test_cli_chinese import _chinese
from test_cli_returns import _complaint, _notice, _qa_token

from bench.cli_words import cli_messages
from results.reports.labels import catalogue
from results.store_words import store_messages


def test_a_chinese_station_s_return_and_unit_commands_print_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    station = _chinese(sim_station)
    s = ("--station", str(station))
    number = _complaint(capsys, station, defect=1)
    notice = _notice(capsys, station, number, "2")
    request = ("return", "request", notice, "A-1", "A-2", "--analysis", "diagnose_pack")
    said: dict[str, tuple[int, str]] = {}
    for name, args in {
        "receive": ("return", "receive", notice, "--qty", "2", *s),
        "refused": (*request, *s),
        "request": (*request, "--reason", "两件都退回了", *s),
        "show": ("return", "show", number, *s),
        "bad_move": ("unit", "move", number, "A-1", "scrap", "--reason", "x", *s),
    }.items():
        code, out, err = cli(capsys, *args)
        said[name] = (code, out + err)
    qa = _qa_token(tmp_path / "store.sqlite3")
    for name, args in {
        "disposition": (
            "unit", "disposition", number, "A-1", "scrap", "--reason", "电芯鼓胀", "--token", qa,
            *s,
        ),
        "move": ("unit", "move", number, "A-1", "dismantle", "--reason", "拆板", *s),
        "status": ("unit", "status", number, "A-1", *s),
    }.items():  # fmt: skip
        code, out, err = cli(capsys, *args)
        said[name] = (code, out + err)
    assert {k: c for k, (c, _) in said.items()} == {
        "receive": 0, "refused": 2, "request": 0, "show": 0, "bad_move": 2,
        "disposition": 0, "move": 0, "status": 0,
    }  # fmt: skip
    words, labels, store = cli_messages("zh_CN"), catalogue("zh_CN"), store_messages("zh_CN")
    assert said["refused"][1].startswith("packbench: 接受原因: 申请与记录不符：客诉 ")
    assert "仓库只收到" not in said["refused"][1]  # two came, two were expected: no such warning
    assert "报告的不良数为 1" in said["request"][1] and "已接受：" in said["request"][1]
    assert said["show"][1].startswith(f"{number}：已登记 2 件退回品，报告不良 1 件")
    assert labels.enum("unit_status", "received") in said["bad_move"][1]
    assert labels.enum("disposition", "scrap") in said["disposition"][1]
    assert labels.enum("unit_status", "dismantled") in said["move"][1]
    assert said["status"][1].splitlines()[1].startswith(words["unit.next"].split("{")[0])
    assert store["record.unit"] in said["bad_move"][1]
    everything = "\n".join(text for _, text in said.values())
    assert leaks(everything) == {}, everything
    for english in ("unit(s)", "defective", "accepted", "next:", "dismantled", "scrapped"):
        assert english not in everything, (english, everything)
