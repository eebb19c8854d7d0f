"""``packbench feedback`` in the station's language: on a zh_CN station the form's steps, the
complaint's status and every closure blocker (``results.closure``'s messages, said through
``results.store_words`` as the process page says them) carry no English catalogue sentence and
no raw status code; an English station prints what it printed before; ``--json`` keeps the
store's English blockers for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, register
from catalogue_leaks import leaks, raw_codes
from test_cli_chinese import _chinese
from test_cli_containment import users

from results.reports.labels import catalogue


def _closing(capsys: pytest.CaptureFixture[str], station: Path) -> dict[str, tuple[int, str]]:
    """The feedback form written and approved around a refused close; command -> (exit, text)."""
    number = register(capsys, station, "U-1")
    users(station.with_name("store.sqlite3"))
    s = ("--station", str(station))
    commands = {
        "status": ("feedback", "status", number, *s),
        "write": ("feedback", "write", number, "--solution", "更换电芯", *s),
        "approve": ("feedback", "approve", number, "--by", "sun.qam", *s),
        "close": ("feedback", "close", number, *s),
    }
    seen = {}
    for name, args in commands.items():
        code, out, err = cli(capsys, *args)
        seen[name] = (code, out + err)
    return seen


def test_a_chinese_station_s_feedback_commands_and_blockers_read_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    seen = _closing(capsys, _chinese(sim_station))
    assert [code for code, _ in seen.values()] == [0, 0, 0, 2]
    shown = "\n".join(text for _, text in seen.values())
    assert leaks(shown) == {}
    assert raw_codes(shown) == set()
    zh = catalogue("zh_CN")
    assert zh.enum("status", "registered") in seen["status"][1]
    assert zh.enum("unit_status", "received") in seen["close"][1]
    words = {w.strip("()（）:：,，") for w in shown.split()}
    assert not words & {"registered", "received", "closed", "feedback"}, shown


def test_an_english_station_s_feedback_commands_print_as_before(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    seen = _closing(capsys, sim_station)
    number = seen["status"][1].split(":")[0]
    assert seen["status"][1].startswith(f"{number}: registered\n  - customer feedback handling")
    assert seen["write"] == (
        0, f"{number}: feedback form written; the QA manager approves it next\n"
    )  # fmt: skip
    assert seen["approve"] == (0, f"{number}: feedback form approved by sun.qam\n")
    code, text = seen["close"]
    assert code == 2 and text.startswith(f"packbench: complaint {number} cannot close:\n  - ")
    assert "  - unit U-1 is received: move it to a final status (" in text


def test_feedback_status_json_keeps_the_store_s_english_blockers(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    station = _chinese(sim_station)
    number = register(capsys, station, "U-1")
    code, out, _ = cli(capsys, "feedback", "status", number, "--json", "--station", str(station))
    document = json.loads(out)
    assert code == 0 and document["status"] == "registered"
    assert "report: no approved report" in document["blockers"]


def test_complaint_class_gives_its_reasons_in_the_station_s_language(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """The reasons ``complaint class`` gives for a severe proposal (the Chinese station's
    complaint repeats the English one's) and the one for none; English prints the store's
    reasons as before."""
    flags = ("--formal-demand", "--line-stopped", "--assembly-defect")
    for language in ("en", "zh_CN"):
        station = sim_station if language == "en" else _chinese(sim_station)
        model = "PB-1S2P-18650-5200" if language == "en" else "PB-2S1P-18650-2600"
        number = register(capsys, station, "U-1", model=model)
        s = ("--station", str(station))
        code, none, err = cli(capsys, "complaint", "class", number, *s)
        assert code == 0, err
        code, severe, err = cli(capsys, "complaint", "class", number, *flags, *s)
        assert code == 0, err
        if language == "en":
            assert none.endswith(" - no severe criterion met\n"), none
            assert severe.endswith(
                " - customer demands corrective actions in a formal document; customer's line "
                "stopped or seriously affected; functional defect in assembly\n"
            ), severe
        else:
            shown = none + severe
            assert leaks(shown) == {} and raw_codes(shown) == set(), shown
            assert "未满足任何严重等级标准" in none and "客户产线停线" in severe, shown
            repeat = register(capsys, station, "U-2", model=model)
            code, again, err = cli(capsys, "complaint", "class", repeat, *s)
            assert code == 0 and leaks(again) == {}, (again, err)
            assert f"90 天内同型号同症状重复发生：{number}" in again, again
