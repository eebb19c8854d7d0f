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
    "safe_state.", "sync_line.", "text_problem.", "live.notice.", "live.detail.", "run_notice.",
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
    prefix = next(p for p in CLI if key.startswith(p))
    chinese = read_back(english, "zh_CN", prefix)
    assert read_back(english, "en", prefix) == english
    assert chinese != english and leaks(chinese) == {}, (key, chinese)


def test_values_holding_a_semicolon_are_read_whole() -> None:
    """Two reconciliation warnings in one refusal, a self-test that explains itself with a
    ``;``: each reads back whole, not cut at the first ``;``."""
    refused = (
        "the request does not reconcile: 3 units under complaint CC-1 but 1 defective were "
        "reported; 3 units requested against notice 2 but 2 were expected; correct the unit "
        "list, or accept it with a reason (--reason / override_reason)"
    )
    said = store_error_text(refused, "zh_CN")
    assert "报告的不良数为 1；针对退货通知 2 申请了 3 件，但预计只有 2 件；请更正" in said, said
    chamber = (
        "ESPEC SU-241 s/n  fw T,S2,150.0; self-test pass (no self-test command; TYPE? and TEMP? "
        "answered: air 25.0 °C); nothing to switch off"
    )
    said = read_back(chamber, "zh_CN", "doctor_detail.")
    assert said == (
        "ESPEC SU-241 s/n  fw T,S2,150.0；自检 通过（无自检命令；TYPE? 与 TEMP? 均有应答：空气 "
        "25.0 °C）；无需关闭"
    ), said
