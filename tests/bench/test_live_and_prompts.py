"""The live view's text and the terminal prompts' answer rules, without a bench."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bench.live import LiveView, TableRow, bar, clock_text, fit, progress_text
from bench.terminal_prompts import TerminalPrompts
from instruments.units import Q_
from procedures.errors import AbortRequested, MissingAnswer
from procedures.records import StepRecord, Verdict


def test_progress_text_shows_elapsed_remaining_and_values() -> None:
    text = progress_text(
        0.25,
        {"elapsed_s": 3600.0, "limit_s": 14400.0, "voltage": Q_(4.05, "V"), "mode": "cc"},
    )
    assert text == " 25% elapsed 1:00:00 (time limit 4:00:00)  voltage 4.050 V  mode CC"
    assert progress_text(0.5, {"elapsed_s": 60.0}) == " 50% elapsed 0:01:00 (about 0:01:00 to go)"
    assert progress_text(None, {"current": Q_(2.6, "A")}) == "current 2.600 A"


def test_tty_progress_line_never_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line wider than the terminal wraps, and each redraw would then leave a line behind."""
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    view = LiveView(out, tty=True)
    view.step_started("wake_recharge")
    values = {"elapsed_s": 60.0, "limit_s": 14400.0, "voltage": Q_(4.0, "V"), "mode": "cv"}
    view.progress("wake_recharge", 0.2, values)
    drawn = out.getvalue().rsplit("\r\x1b[2K", 1)[1]
    assert len(drawn) < 60
    assert drawn.startswith("  .. wake_recharge [") and drawn.endswith("~")
    assert fit("short", 60) == "short"


def test_empty_table_says_how_to_log_units() -> None:
    out = io.StringIO()
    LiveView(out, tty=False).table([])
    assert "packbench unit add" in out.getvalue()
    assert clock_text(-5) == "0:00:00"
    assert bar(0.5, 10) == "[#####-----]"
    assert bar(None, 4) == "[????]"


def test_plain_output_prints_each_quarter_once() -> None:
    out = io.StringIO()
    view = LiveView(out, tty=False)
    view.step_started("wake_recharge")
    for k in range(101):
        view.progress("wake_recharge", k / 100, {"elapsed_s": k * 60.0})
    lines = out.getvalue().splitlines()
    assert lines[0] == "  .. wake_recharge"
    assert [line.split()[1] for line in lines[1:]] == ["0%", "25%", "50%", "75%", "100%"]
    assert "\r" not in out.getvalue()


def test_tty_output_redraws_in_place_and_clears_before_lines() -> None:
    out = io.StringIO()
    view = LiveView(out, tty=True)
    view.step_started("wake_recharge")
    view.progress("wake_recharge", 0.1, {"elapsed_s": 600.0})
    now = datetime.now(UTC)
    view.step_finished(StepRecord("wake_recharge", 2, now, now, Verdict.PASS))
    text = out.getvalue()
    assert "\r\x1b[2K  .. wake_recharge [##" in text
    assert text.endswith("\r\x1b[2K  ok   wake_recharge (0 values, 0.00 s)\n")


def test_verdict_table_aligns_columns() -> None:
    out = io.StringIO()
    LiveView(out, tty=False).table(
        [
            TableRow("U-1", "fail", "fuse_open", "cannot power on", "repair_board", 7, "open_fuse"),
            TableRow("U-22", "pass", "customer_misjudgement", "x", "no_fault_found", 8, "healthy"),
        ]
    )
    lines = out.getvalue().splitlines()[1:]
    assert lines[0].split(" | ")[0].strip() == "unit"
    assert len({line.index("|") for line in lines if "|" in line}) == 1
    assert "fuse_open" in lines[2] and "| 7" in lines[2]


def reader(*answers: str) -> Iterator[str]:
    return iter(answers)


def prompts(*typed: str, **options: object) -> tuple[TerminalPrompts, io.StringIO]:
    out = io.StringIO()
    lines = iter(typed)
    return TerminalPrompts(read_line=lambda: next(lines, ""), out=out, **options), out  # type: ignore[arg-type]


def test_keyboard_answers_are_checked_and_asked_again() -> None:
    p, out = prompts("7\n", "third_party\n", "maybe\n", "n\n", "abc\n", "3.7\n", "500 mV\n")
    assert p.choice("q1", "Charger?", ("original", "third_party")) == "third_party"
    assert "answer 1..2" in out.getvalue()
    assert p.yes_no("q2", "Hot?") is False
    assert p.number("q3", "Voltage?", "V") == Q_(3.7, "V")
    assert p.number("q4", "Voltage?", "V") == Q_(500, "mV")


def test_abort_word_and_closed_stdin_abort_the_run() -> None:
    p, _ = prompts("abort\n")
    with pytest.raises(AbortRequested, match="operator aborted"):
        p.text("q", "Device?")
    p, _ = prompts()
    with pytest.raises(AbortRequested, match="--yes or --answers"):
        p.confirm("q", "Connect the pack.")


def test_yes_picks_honest_defaults_and_refuses_to_invent_numbers() -> None:
    p, out = prompts(yes=True)
    assert p.choice("c", "Charger?", ("original", "unknown")) == "unknown"
    assert p.choice("k", "Works?", ("yes", "no", "not_tried")) == "not_tried"
    assert p.yes_no("y", "Ok?") is True
    p.confirm("f", "Place the pack.")
    assert "(--yes)" in out.getvalue()
    with pytest.raises(MissingAnswer, match="--answers"):
        p.number("n", "Voltage?", "V")


def test_scripted_answers_win_and_are_echoed() -> None:
    p, out = prompts(answers={"c": "original", "v": "4.1 V"}, yes=True)
    assert p.choice("c", "Charger?", ("original", "unknown")) == "original"
    assert p.number("v", "Voltage?", "V") == Q_(4.1, "V")
    assert "-> original (scripted)" in out.getvalue()
