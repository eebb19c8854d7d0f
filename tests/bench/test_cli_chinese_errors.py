"""The command line's own refusals in the station's language (``bench.cli_words.error_text``,
``cli_error.*``): an unknown complaint, a date it cannot read, a hidden character refused before
the command loads its station (the station file is then read for its language), and
``packbench``'s last words on an abort or a bug; English stations print what they printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, refusals
from catalogue_leaks import leaks
from test_cli_chinese import _chinese

import bench.cli
from bench.cli_words import cli_messages


def _refused(capsys: pytest.CaptureFixture[str], station: Path) -> dict[str, str]:
    s = ("--station", str(station))
    commands = {
        "no_complaint": ("complaint", "show", "CC-1999-0001", *s),
        "not_date": ("kpi", "--from", "yesterday", "--to", "2026-12-31", *s),
        "hidden_character": ("complaint", "list", "--customer", "AC\u200bME", *s),
    }
    return refusals(capsys, commands)


def _interrupted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, station: Path
) -> tuple[int, str]:
    def interrupt(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bench.cli.cli, "main", interrupt)
    code, _, err = cli(capsys, "complaint", "list", "--station", str(station))
    return code, err


def test_a_chinese_station_s_command_line_refuses_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sim_station: Path
) -> None:
    station = _chinese(sim_station)
    said = _refused(capsys, station)
    zh = cli_messages("zh_CN")
    assert said["no_complaint"] == (
        "packbench: 客诉 CC-1999-0001 不存在；请查看 `packbench complaint list`\n"
    )
    assert said["not_date"].startswith("packbench: --from 'yesterday' 不是 ISO 日期")
    assert zh["cli_value.hidden.Cf"] in said["hidden_character"]
    assert said["hidden_character"].startswith("packbench: --customer：第 3 个字符是")
    code, err = _interrupted(capsys, monkeypatch, station)
    assert (code, err) == (130, zh["error.aborted_safe"] + "\n")
    everything = "\n".join([*said.values(), err])
    assert leaks(everything) == {}, everything
    assert "does not exist" not in everything and "not an ISO" not in everything


def test_an_english_station_s_command_line_refuses_as_before(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sim_station: Path
) -> None:
    said = _refused(capsys, sim_station)
    assert said["no_complaint"] == (
        "packbench: complaint CC-1999-0001 does not exist; see `packbench complaint list`\n"
    )
    assert said["not_date"] == ("packbench: --from 'yesterday' is not an ISO date (2026-03-01)\n")
    assert said["hidden_character"] == (
        "packbench: --customer: contains an invisible formatting character (U+200B) at "
        "character 3. Fix: retype it without that character\n"
    )
    code, err = _interrupted(capsys, monkeypatch, sim_station)
    assert (code, err) == (130, "packbench: aborted; instruments were asked to go safe\n")


USAGE_ERRORS = {
    "missing": ("kpi", "--from", "2026-01-01"),
    "bad_value": ("return", "receive", "1", "--qty", "x"),
    "unknown_option": ("complaint", "list", "--foo"),
}


def _usage_errors(capsys: pytest.CaptureFixture[str], station: Path) -> dict[str, str]:
    said = {}
    for name, args in USAGE_ERRORS.items():
        code, out, err = cli(capsys, *args, "--station", str(station))
        assert (code, out) == (2, ""), (args, out, err)
        said[name] = err
    return said


def test_a_chinese_station_s_usage_errors_read_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    said = _usage_errors(capsys, _chinese(sim_station))
    assert said["missing"].endswith("错误：缺少选项 '--to'。\n")
    assert said["bad_value"].startswith("用法：packbench return receive [OPTIONS] NOTICE_ID\n")
    assert "运行 'packbench return receive --help' 查看帮助。\n" in said["bad_value"]
    assert said["bad_value"].endswith(
        "错误：'--qty' 的值无效：'x' 不是整数。解决：请填写整数，例如 10\n"
    )
    assert said["unknown_option"].endswith(
        "错误：没有选项 '--foo'。（是否要用以下之一：'--from', '--lot', '--to'？）\n"
    )
    everything = "\n".join(said.values())
    assert leaks(everything) == {}, everything
    for english in ("Usage:", "Try ", "Error:", "Missing", "Invalid value", "No such option"):
        assert english not in everything, (english, everything)


def test_an_english_station_s_usage_errors_are_click_s(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    said = _usage_errors(capsys, sim_station)
    assert said["missing"] == (
        "Usage: packbench kpi [OPTIONS]\nTry 'packbench kpi --help' for help.\n\n"
        "Error: Missing option '--to'.\n"
    )
    assert said["bad_value"].endswith(
        "Error: Invalid value for '--qty': 'x' is not a whole number. Fix: give e.g. 10\n"
    )


def test_a_store_refusal_of_an_option_reads_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """``--model`` refused by the store's model check: the option as typed, the rest through
    the store's templates; English as before."""
    args = ("complaint", "new", "--customer", "ACME", "--model", "NOPE", "--shipped", "5",
            "--defect", "1", "--symptom", "leakage", "--received-by", "li")  # fmt: skip
    code, _, english = cli(capsys, *args, "--station", str(sim_station))
    assert code == 2 and english.startswith(
        "packbench: --model 'NOPE': no built-in pack spec of that name; use one of: "
    ), english
    code, _, chinese = cli(capsys, *args, "--station", str(_chinese(sim_station)))
    assert code == 2 and chinese.startswith(
        "packbench: --model 'NOPE'：没有该名称的内置电池包规格；请使用以下之一："
    ), chinese
    assert "--custom-model" in chinese and leaks(chinese) == {}, chinese
