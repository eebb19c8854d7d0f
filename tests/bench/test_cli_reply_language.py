"""``packbench reply check`` explains each hit in the letter's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, register

from results.reply_rules import explanations


def test_a_chinese_letter_is_explained_in_chinese_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    letter = tmp_path / "letter-zh.txt"
    letter.write_text("尊敬的客户：\n这不关我们的事。改天再通知您。\n", encoding="utf-8")
    station = ("--station", str(sim_station))
    code, _, err = cli(
        capsys, "reply", "draft", number, "--lang", "zh_CN", "--body", str(letter), *station
    )
    assert code == 0, err
    code, _, err = cli(capsys, "reply", "check", number, *station)
    assert code == 2
    zh, en = explanations("zh_CN"), explanations("en")
    for rule in ("not_our_business", "some_other_day"):
        assert zh[f"rule.{rule}"] in err
        assert en[f"rule.{rule}"] not in err
