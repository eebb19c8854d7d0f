"""Every English sentence template that a lower layer's text is read back through (the store's
refusals, the command line's own, click's, doctor's findings, sync's lines, the text check's)
reads its own sentence back: the sentence filled with sample values comes out in Chinese with
no English catalogue sentence left, and unchanged in English. A template that another one
shadows, or that the reading cannot match, fails here rather than at a QA engineer's desk."""

from __future__ import annotations

import re
from string import Formatter

import pytest
from catalogue_leaks import leaks

from bench.cli_words import cli_messages, read_back
from results.store_words import store_error_text, store_messages, warning_text

STORE = ("store_error.", "return_warning.")
CLI = (
    "cli_error.", "click_error.", "click_value.", "doctor_detail.", "doctor_fix.", "self_test.",
    "safe_state.", "sync_line.", "text_problem.",
)  # fmt: skip


def _filled(template: str) -> str:
    names = [name for _, name, _, _ in Formatter().parse(template) if name]
    return template.format(**{name: f"V{i}x" for i, name in enumerate(dict.fromkeys(names))})


def _keys(messages: dict[str, str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(k for k in messages if k.startswith(prefixes))


@pytest.mark.parametrize("key", _keys(store_messages("en"), STORE))
def test_a_store_template_reads_its_own_sentence(key: str) -> None:
    english = _filled(store_messages("en")[key])
    said = warning_text if key.startswith("return_warning.") else store_error_text
    chinese = said(english, "zh_CN")
    assert said(english, "en") == english
    assert chinese != english and leaks(chinese) == {}, (key, chinese)
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese


@pytest.mark.parametrize("key", _keys(cli_messages("en"), CLI))
def test_a_command_line_template_reads_its_own_sentence(key: str) -> None:
    english = _filled(cli_messages("en")[key])
    prefix = key.split(".", 1)[0] + "."
    chinese = read_back(english, "zh_CN", prefix)
    assert read_back(english, "en", prefix) == english
    assert chinese != english and leaks(chinese) == {}, (key, chinese)
