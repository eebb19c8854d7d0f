"""``packbench reply check|draft|export`` name each broken rule in the station's language: on a
zh_CN station by its label (``reply_rule.*`` in the report catalogue), never by its code; an
English station prints the code as before (scripts and QA's notes match it)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from bench_helpers import cli, register
from catalogue_leaks import leaks
from test_cli_chinese import _chinese
from test_cli_replies import BAD_LETTER, BAD_LETTER_ZH

from results.reports.labels import catalogue


def _rule_codes() -> set[str]:
    """Every rule a reply can break: the letter catalogue's explanations, ``rule.<code>``."""
    path = resources.files("results") / "replies_locale" / "en.json"
    keys = json.loads(path.read_text(encoding="utf-8"))
    return {k.removeprefix("rule.") for k in keys if k.startswith("rule.")} - {"none"}


def _checked(
    capsys: pytest.CaptureFixture[str], station: Path, tmp_path: Path, body: str, lang: str
) -> str:
    number = register(capsys, station, "U-1")
    letter = tmp_path / f"letter-{lang}.txt"
    letter.write_text(body, encoding="utf-8")
    s = ("--station", str(station))
    code, _, drafted = cli(
        capsys, "reply", "draft", number, "--lang", lang, "--body", str(letter), *s
    )
    assert code == 0, drafted
    code, _, checked = cli(capsys, "reply", "check", number, *s)
    assert code == 2, checked
    target = tmp_path / "reply.txt"
    code, _, exported = cli(capsys, "reply", "export", number, "--out", str(target), *s)
    assert code == 2 and not target.exists(), exported
    return drafted + checked + exported


def test_every_rule_has_a_label_in_both_languages() -> None:
    for locale in ("en", "zh_CN"):
        labels = catalogue(locale)
        assert {c for c in _rule_codes() if f"reply_rule.{c}" not in labels.messages} == set()


@pytest.mark.parametrize("body", [BAD_LETTER, BAD_LETTER_ZH])
def test_a_chinese_station_names_the_broken_rules_by_their_labels(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path, body: str
) -> None:
    lang = "zh_CN" if body == BAD_LETTER_ZH else "en"
    said = _checked(capsys, _chinese(sim_station), tmp_path, body, lang)
    words = {w.strip("()（）:：,，'") for w in said.split()}
    assert words & _rule_codes() == set(), said
    expected = "company_policy" if body == BAD_LETTER_ZH else "not_our_business"
    assert catalogue("zh_CN").enum("reply_rule", expected) in said, said
    if lang == "zh_CN":  # an English letter's explanations are in English, as the letter
        lines = [line for line in said.splitlines() if not line.strip().startswith("- '")]
        assert leaks("\n".join(lines)) == {}  # the quoted sentences are the letter's own


def test_an_english_station_names_the_rule_codes_as_before(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path
) -> None:
    said = _checked(capsys, sim_station, tmp_path, BAD_LETTER, "en")
    assert "      not_our_business: forbidden phrase 10 of the manual" in said
    assert "      unapproved_compensation: offers compensation" in said
