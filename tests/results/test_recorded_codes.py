"""Codes quoted in a recorded sentence read by their labels in Chinese, the step or measurement
code kept after the label in brackets; a reading's category by its words; a quoted comparison as
the report writes it; English sentences stay as recorded.

Walks every template of the procedures' catalogue that has a placeholder holding codes."""

from __future__ import annotations

import re

import pytest

from procedures.phrases import NAME_ARGS, SENTENCE_ARGS, messages, parse, placeholders, say
from results.reports.labels import catalogue
from results.reports.names import measurement_label, step_label, value_label
from results.reports.recorded import CATEGORY_ARGS, CODE_ARGS, said

REF = "pack_tests/pack_path"
CELL = "cell2_resistance"
NAMED = f"{REF} ('open' not in passing ['closed'])"
CATEGORY_SAMPLE = {"wake": "under_voltage", "end": "cut_off", "state": "none"}
FILLER = "12"


def _sample(name: str) -> str:
    if name in CATEGORY_ARGS:
        return CATEGORY_SAMPLE[name]
    if name in SENTENCE_ARGS:
        return say("skip.condition")
    if name == "named":
        return NAMED
    if name in NAME_ARGS:
        return CELL
    if name in CODE_ARGS:
        return f"{REF}, {CELL}"
    return FILLER


def coded_templates() -> list[str]:
    return sorted(
        key
        for key, text in messages("en").items()
        if set(placeholders(text)) & (CODE_ARGS | set(CATEGORY_ARGS))
    )


def test_the_walk_sees_the_templates_that_quote_codes() -> None:
    keys = coded_templates()
    assert {"finding.consequences", "finding.unexplained", "skip.capacity_end"} <= set(keys)
    assert {"skip.item", "skip.failed_in", "nothing_found.mor", "appearance.visual_defects"} <= (
        set(keys)
    )


def _bare(text: str) -> str:
    """``text`` without the bracketed codes kept for QA."""
    return re.sub(r"\[[^\]]*\]", "", text)


@pytest.mark.parametrize("key", coded_templates())
def test_every_code_a_sentence_quotes_reads_by_its_label_in_chinese(key: str) -> None:
    zh = catalogue("zh_CN")
    args = {name: _sample(name) for name in placeholders(messages("en")[key])}
    text = say(key, **args)
    found = parse(text)
    assert found is not None and found[0] == key, "the sample must read back to its template"
    shown = said(text, "zh_CN")
    assert said(text, "en") == text  # the English report quotes the record as it is
    bare = _bare(shown)
    codes = {"pack_path", "pack_tests", CELL, "open", "closed", *CATEGORY_SAMPLE.values()}
    left = {c for c in codes if re.search(rf"(?<![\w/]){c}(?![\w/])", bare)}
    assert left == set(), shown
    assert re.findall(r"[a-z]+_[a-z_]+", bare) == [], shown  # nor a code of the template's own
    for name, value in args.items():
        if name in CATEGORY_ARGS:
            assert value_label(zh, CATEGORY_ARGS[name], value) in shown
        elif name in CODE_ARGS or name in NAME_ARGS:
            if name != "named":
                assert f"{measurement_label(zh, CELL)} [{CELL}]" in shown
            if name not in NAME_ARGS:
                assert f"{measurement_label(zh, 'pack_path')} [{REF}]" in shown


def test_a_failed_categorical_reading_quoted_in_a_finding_reads_in_chinese() -> None:
    zh = catalogue("zh_CN")
    shown = said(say("finding.unexplained", named=NAMED), "zh_CN")
    assert f"{value_label(zh, 'pack_path', 'open')}：" in shown
    assert value_label(zh, "pack_path", "closed") in shown
    assert "not in passing" not in shown


def test_steps_are_labelled_and_an_english_word_in_free_text_is_left_alone() -> None:
    zh = catalogue("zh_CN")
    shown = said(say("skip.failed_in", steps="pack_tests, board_tests"), "zh_CN")
    assert f"{step_label(zh, 'board_tests')} [board_tests]" in shown
    assert f"[pack_tests]{zh['summary.separator']}{step_label(zh, 'board_tests')}" in shown
    refused = say("skip.cannot_emulate", current="3 A", refused="the label limit of board_output")
    shown = said(refused, "zh_CN")
    assert "the label limit of" in shown and "[board_output]" in shown


def test_an_answer_listed_in_a_finding_reads_by_its_option() -> None:
    zh = catalogue("zh_CN")
    shown = said(
        say("appearance.visual_defects", answers="dents = minor, label = damaged"), "zh_CN"
    )
    assert f"{measurement_label(zh, 'dents')} [dents] = {value_label(zh, 'dents', 'minor')}" in (
        shown
    )
    assert "minor" not in shown and "damaged" not in shown
