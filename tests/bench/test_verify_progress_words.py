"""``packbench verify``'s progress on stderr in the station's language: each phase by its
``verify_phase.*`` label, the plain lines (a log) and the bar (a terminal) alike; English keeps
the lines it printed."""

from __future__ import annotations

import io

from catalogue_leaks import leaks

from bench.cli_verify import ProgressLine
from bench.cli_words import Words


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _feed(progress: ProgressLine) -> None:
    for phase, total in (("audit events", 40), ("runs", 3), ("records", 0)):
        for done in range(0, total + 1, max(1, total // 4)):
            progress(phase, done, total)
    progress.end()


def test_english_progress_lines_are_as_before() -> None:
    out = io.StringIO()
    _feed(ProgressLine(out))
    assert out.getvalue().splitlines()[:3] == [
        "audit events: 0% (0/40)",
        "audit events: 25% (10/40)",
        "audit events: 50% (20/40)",
    ]
    assert "runs: 100% (3/3)" in out.getvalue()
    bar = _Terminal()
    _feed(ProgressLine(bar))
    assert "\raudit events  [" + "#" * 30 + "] 100% 40/40\n" in bar.getvalue()


def test_chinese_progress_names_each_phase_by_its_label() -> None:
    out = io.StringIO()
    _feed(ProgressLine(out, Words("zh_CN")))
    lines = out.getvalue().splitlines()
    assert lines[0] == "审计事件：0%（0/40）"
    assert "测试：100%（3/3）" in lines
    assert "audit" not in out.getvalue() and "runs" not in out.getvalue()
    bar = _Terminal()
    _feed(ProgressLine(bar, Words("zh_CN")))
    # 审计事件 is 8 terminal columns: padded to 13 like the English label
    assert "\r审计事件      [" + "#" * 30 + "] 100% 40/40\n" in bar.getvalue()
    assert leaks(bar.getvalue()) == {}
