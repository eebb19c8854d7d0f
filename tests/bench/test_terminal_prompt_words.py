"""The terminal asks in the station's language, names a question's picture and gives its help."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_helpers import SIM_STATION

from bench.config import load_station
from bench.errors import ConfigError
from bench.terminal_prompts import TerminalPrompts
from procedures.questions import images, prompt_messages

BOARD = "Place the unit on the board fixture (bare protection board, source on B+/B-)."
CHARGER = "Which charger was used?"


def terminal(locale: str, *lines: str) -> tuple[TerminalPrompts, io.StringIO]:
    replies: Iterator[str] = iter([f"{line}\n" for line in lines])
    out = io.StringIO()
    return TerminalPrompts(read_line=lambda: next(replies), out=out, locale=locale), out


def test_a_chinese_station_asks_in_chinese_with_the_help_and_the_picture() -> None:
    prompts, out = terminal("zh_CN", "")
    prompts.confirm("fixture_board_0", BOARD)
    zh = prompt_messages("zh_CN")
    shown = out.getvalue()
    assert zh["prompt.fixture_board"] in shown and zh["prompt.fixture_board.help"] in shown
    assert str(images()["board_fixture.svg"].path()) in shown
    assert zh["image.board_fixture"] in shown and zh["terminal.confirm_hint"] in shown
    assert "Place the unit" not in shown


def test_a_chinese_choice_lists_labels_and_takes_a_label_a_value_or_a_number() -> None:
    options = ("original", "third_party", "unknown")
    prompts, out = terminal("zh_CN", "不是选项", "第三方")
    assert prompts.choice("usage_charger", CHARGER, options) == "third_party"
    shown = out.getvalue()
    assert "1) 原装  2) 第三方  3) 不详" in shown and "请回答 1..3" in shown
    prompts, _ = terminal("zh_CN", "unknown")
    assert prompts.choice("usage_charger", CHARGER, options) == "unknown"
    prompts, _ = terminal("zh_CN", "1")
    assert prompts.choice("usage_charger", CHARGER, options) == "original"


ECHO_KEYS = ("terminal.scripted", "terminal.yes", "terminal.no", "terminal.done")


def _echoes(locale: str) -> str:
    """A scripted and a ``--yes`` answer of each kind, echoed at the terminal."""
    out = io.StringIO()
    answers = {"usage_charger": "third_party", "fixture_board_0": True, "pack_swelling": "none"}
    scripted = TerminalPrompts(answers=answers, out=out, locale=locale)
    scripted.choice("usage_charger", CHARGER, ("original", "third_party", "unknown"))
    scripted.confirm("fixture_board_0", BOARD)
    defaulted = TerminalPrompts(yes=True, out=out, locale=locale)
    defaulted.yes_no("known_good_pack_works", "Does a known-good pack work?")
    defaulted.text("usage_device", "Which device?")
    return out.getvalue()


def test_a_chinese_station_echoes_the_answers_in_chinese() -> None:
    """The echo of a scripted or defaulted answer: the choice by its label, the terminal's own
    words (``scripted``, ``yes``, ``done``, ``not recorded``) from the catalogue."""
    shown = _echoes("zh_CN")
    zh = prompt_messages("zh_CN")
    assert f"-> {zh['option.third_party']} ({zh['terminal.scripted']})" in shown
    assert f"-> {zh['terminal.done']} ({zh['terminal.scripted']})" in shown
    assert f"-> {zh['terminal.yes']} (--yes)" in shown
    assert f"-> {zh['terminal.not_recorded']} (--yes)" in shown
    english = prompt_messages("en")
    for key in (*ECHO_KEYS, "terminal.not_recorded"):
        assert f"-> {english[key]} " not in shown and f"({english[key]})" not in shown, key
    assert "third_party" not in shown


def test_an_english_station_echoes_the_answers_as_before() -> None:
    lines = _echoes("en").splitlines()
    assert [line for line in lines if line.startswith("    -> ")] == [
        "    -> third_party (scripted)",
        "    -> done (scripted)",
        "    -> yes (--yes)",
        "    -> not recorded (--yes)",
    ]


def test_an_english_station_lists_the_values_as_before_and_names_the_picture() -> None:
    prompts, out = terminal("en", "third_party")
    assert prompts.choice("usage_charger", CHARGER, ("original", "third_party")) == "third_party"
    assert f"? {CHARGER} \n    1) original  2) third_party" in out.getvalue()
    prompts, out = terminal("en", "")
    prompts.confirm("fixture_board_0", BOARD)
    assert f"picture: {images()['board_fixture.svg'].path()}" in out.getvalue()


def test_a_chinese_number_names_its_unit_in_chinese() -> None:
    prompts, out = terminal("zh_CN", "37.1")
    text = "Measure the width (drawing width: 37 mm -0.5 mm/+0.5 mm)"
    assert prompts.number("appearance.dim.width", text, "mm").m_as("mm") == pytest.approx(37.1)
    assert "[毫米]" in out.getvalue() and "测量宽度" in out.getvalue()


def test_yes_no_takes_the_chinese_words() -> None:
    prompts, _ = terminal("zh_CN", "是")
    assert prompts.yes_no("custom.check", "Fan running?") is True


def _station(tmp_path: Path, language: str | None) -> Path:
    text = SIM_STATION.format(database=tmp_path / "s.sqlite3", evidence=tmp_path / "evidence")
    if language is not None:
        text = text.replace("[station]\n", f'[station]\nlanguage = "{language}"\n', 1)
    path = tmp_path / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_station_file_sets_the_language(tmp_path: Path) -> None:
    assert load_station(_station(tmp_path, None)).language == "en"
    assert load_station(_station(tmp_path, "zh_CN")).language == "zh_CN"
    with pytest.raises(ConfigError, match=r"station\.language.*en, zh_CN"):
        load_station(_station(tmp_path, "fr"))


def test_the_answers_file_check_knows_every_question_as_its_definition_says() -> None:
    """``bench.answers_check`` checks by the procedures' definitions (kind, options, unit), and
    every example a refusal suggests is itself an answer the check accepts."""
    from bench.answers_check import PATTERNS, QUESTIONS, check_answers_file
    from procedures.questions import definition

    for procedure, declared in QUESTIONS.items():
        for question in declared:
            found = definition(question.id)
            assert found is not None, question.id
            assert (found.kind, found.options, found.unit) == (
                question.kind,
                question.options,
                question.unit,
            ), question.id
        examples: dict[str, object] = {
            q.id: True if q.kind in ("confirm", "yes_no") else q.example for q in declared
        }
        assert set(check_answers_file(procedure, examples, "examples.toml")) == set(examples)
    looped = {"fixture_board_2": True, "cell1_swelling": "none"}
    assert check_answers_file("diagnosis", looped, "x") == looped
    dimension = {"appearance.dim.length": "69.0 mm"}
    assert check_answers_file("appearance", dimension, "x") == dimension
    assert [d.key for patterns in PATTERNS.values() for _, d in patterns] == [
        "fixture_pack",
        "fixture_board",
        "fixture_cell",
        "cell_swelling_each",
        "appearance.dim",
    ]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_refused_number_is_explained_in_the_station_s_language(locale: str) -> None:
    """A number in the wrong unit, then no number at all: each refusal is the prompt
    catalogue's sentence in the station's language (English as before)."""
    prompts, out = terminal(locale, "3 V", "abc", "65.1")
    assert prompts.number("dim.length", "Measure the length", "mm").magnitude == 65.1
    words = prompt_messages(locale)
    shown = out.getvalue()
    assert words["answer.not_in_unit"].format(answer="'3 V'", unit="mm") in shown
    assert words["answer.not_a_number"].format(answer="'abc'", unit="mm") in shown
    if locale == "en":
        assert "'3 V' is not in mm (or a compatible unit such as mmm)" in shown
    else:
        assert "is not" not in shown
