"""The operator panel's refusals and details in each language: a start refused before anything
ran (an unknown complaint: the command line's sentence, ``bench.cli_words``), a typed answer the
text check refuses (``text_problem.*``), and a simulated unit's ``simulated fault <name>``; in
Chinese with no English catalogue sentence, in English as before, every character in the
panel's font."""

from __future__ import annotations

import io
from pathlib import Path

from catalogue_leaks import leaks

from bench.config import load_station
from bench.panel.controller import PanelController, StartRequest
from bench.panel.font import chinese_words
from bench.panel.hub import EventHub
from bench.panel.prompts import AnswerRefused, OpenPrompt, convert
from bench.panel.view import PanelView
from bench.panel.words import detail_words
from bench.runner import open_store_for


def _in_font(text: str) -> list[str]:
    served = set(chinese_words())
    return sorted(c for c in text if ord(c) > 0x2E7F and c not in served)


def test_a_refused_start_is_published_in_each_language(sim_station: Path) -> None:
    config = load_station(sim_station)
    hub = EventHub()
    controller = PanelController(
        config, open_store_for(config), hub, PanelView(hub, io.StringIO(), tty=False)
    )
    controller.run(StartRequest("li", "CC-1999-0001", "U-1", "diagnosis"))
    (ended,) = [e for e in hub.backlog() if e["type"] == "run_ended"]
    assert ended["refused"].startswith("complaint CC-1999-0001 does not exist; ")  # as before
    zh = ended["shown"]["zh_CN"]["refused"]
    assert zh.startswith("客诉 CC-1999-0001 不存在；"), zh
    assert ended["shown"]["en"]["refused"] == ended["refused"]
    assert leaks(zh) == {} and _in_font(zh) == []


def test_a_refused_typed_answer_is_explained_in_each_language() -> None:
    prompt = OpenPrompt("remark", "text", "Remark?")
    try:
        convert(prompt, "scratch\u200bon case", None)
    except AnswerRefused as refused:
        words = refused.words
    else:
        raise AssertionError("a hidden character was accepted")
    assert words["en"].startswith("contains an invisible formatting character (U+200B)")
    assert words["zh_CN"].startswith("第 8 个字符是不可见的格式字符（U+200B）。解决：")
    assert leaks(words["zh_CN"]) == {} and _in_font(words["zh_CN"]) == []
    long = OpenPrompt("remark", "text", "Remark?")
    try:
        convert(long, "x" * 600, None)
    except AnswerRefused as refused:
        assert refused.words["zh_CN"] == "长度为 600 个字符。解决：缩短到不超过 500 个字符"
    else:
        raise AssertionError("600 characters were accepted")


def test_a_simulated_unit_s_detail_names_the_fault_in_each_language() -> None:
    shown = detail_words("simulated fault deep_discharge_uv+aged_cell")
    assert shown["zh_CN"]["detail"] == "模拟故障 deep_discharge_uv+aged_cell"
    assert shown["en"]["detail"] == "simulated fault deep_discharge_uv+aged_cell"
    assert detail_words("PB-1S2P-18650-5200")["zh_CN"]["detail"] == "PB-1S2P-18650-5200"
