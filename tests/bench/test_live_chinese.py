"""The station's live output speaks its language (``[station] language``, ``bench.live``).

On a zh_CN station, what ``packbench run`` and ``packbench demo`` print while the run goes on
(steps, progress lines, live values, verdicts, conclusions, the verdict table, the demo's
headline and report line) shows none of the English words of the view's own catalogue entries
(``live.*``, ``demo.*`` of ``bench/locale``, taken from the catalogue, not listed here); an
English station prints what it printed before. Every key being in both languages is checked
with the other catalogues (``tests/service/test_chinese_complete.py``, ``cli``).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from bench_helpers import cli, register
from catalogue_leaks import cli_english_left, cli_english_pieces, leaks

from bench.cli_words import ENGLISH_WORDS, cli_messages, columns
from bench.live import LiveView, TableRow
from bench.panel.i18n import panel_messages
from bench.runner import _unit_outcome, pending_notice
from instruments.units import Q_
from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunOutcome,
    StepRecord,
    Verdict,
)

VIEW_PREFIXES = ("live.", "demo.")
"""The catalogue entries of the live view and of the demo around it."""
FAULT = "deep_discharge_uv"
"""A fault whose diagnosis recharges (progress lines with a time limit) and concludes."""


def english_left(text: str) -> dict[str, str]:
    """Key -> an English piece of a live-view or demo entry that ``text`` shows."""
    return cli_english_left(text, VIEW_PREFIXES)


def _chinese(station: Path) -> Path:
    text = station.read_text(encoding="utf-8")
    station.write_text(
        text.replace('operator = "tester"', 'operator = "tester"\nlanguage = "zh_CN"', 1),
        encoding="utf-8",
    )
    return station


def _reading(name: str, verdict: Verdict, comparison: str) -> MeasurementRecord:
    return MeasurementRecord(
        name, None, "V", LimitsRecord(), verdict, comparison, datetime.now(UTC)
    )


def _every_event(view: LiveView) -> None:
    """Each thing the view prints, once: a unit (simulated, of a model, plain, replayed), its
    steps and progress (with and without a time limit), a step with readings not taken, a failed
    reading, the run's end, a notice of the run's own, the verdict table with a root cause other
    than the expected one, and none."""
    now = datetime.now(UTC)
    view.unit_started("U-1", "simulated fault open_fuse")
    view.unit_started("U-2", "PB-1S2P-18650-5200")
    view.unit_started("U-3")
    view.unit_started("U-4", "replay of session/U-4")
    view.step_started("wake_recharge")
    values = {"elapsed_s": 60.0, "limit_s": 14400.0, "voltage": Q_(4.0, "V")}
    view.progress("wake_recharge", 0.0, values | {"current": Q_(2.6, "A"), "mode": "cc"})
    view.progress("wake_recharge", 0.5, {"elapsed_s": 60.0, "temperature": Q_(25.0, "degC")})
    view.progress("wake_recharge", 1.0, {"elapsed_s": 60.0})
    skipped = _reading("board_self_consumption", Verdict.SKIPPED, "not measured")
    failed = _reading("board_overcurrent_protection", Verdict.FAIL, "0.2 V < 2.5 V")
    took = now + timedelta(seconds=1)
    view.step_finished(
        StepRecord("board_tests", 5, now, took, Verdict.FAIL, measurements=[skipped, failed])
    )
    for verdict in Verdict:
        view.step_finished(StepRecord("pack_tests", 4, now, took, verdict))
    view.run_finished(
        RunOutcome(
            Verdict.FAIL,
            now,
            conclusions=(
                Conclusion("root_cause", "fuse_open", ""),
                Conclusion("symptom", "cannot power on", ""),
                Conclusion("disposition", "repair_board", ""),
            ),
        )
    )
    view.line(ENGLISH_WORDS("live.notice.safe_start", found="source channel 1 output on"))
    row = TableRow("U-1", "fail", "fuse_open", "cannot power on", "repair_board", 7, "open_fuse")
    view.table([row, TableRow("U-2", "pass", "-", "-", "-", None, "healthy", "fuse_open")])
    view.table([])


def test_every_view_entry_has_english_words_to_look_for() -> None:
    """The check below looks for something: each of the view's entries with words has some,
    and the English view prints them (so their absence in Chinese means something)."""
    assert {"live.elapsed_limit", "live.column.root_cause", "live.no_units"} <= set(
        cli_english_pieces(VIEW_PREFIXES)
    )
    out = io.StringIO()
    _every_event(LiveView(out, tty=False))
    printed = english_left(out.getvalue())
    demo_only = {k for k in cli_english_pieces(VIEW_PREFIXES) if k.startswith("demo.")}
    assert set(cli_english_pieces(VIEW_PREFIXES)) - demo_only - set(printed) == set()


def test_the_chinese_view_prints_no_english_word_of_its_catalogue() -> None:
    out = io.StringIO()
    _every_event(LiveView(out, tty=False, locale="zh_CN"))
    text = out.getvalue()
    assert english_left(text) == {}, text
    assert leaks(text) == {}, text
    assert "== 单元 U-1  （模拟故障 open_fuse）" in text  # the scenario's name, as typed
    assert "保险丝断开（应为 保险丝断开）" not in text  # only a differing cause shows "expected"


def test_the_chinese_table_aligns_in_terminal_columns() -> None:
    out = io.StringIO()
    row = TableRow("U-1", "fail", "fuse_open", "cannot power on", "repair_board", 7, "open_fuse")
    LiveView(out, tty=False, locale="zh_CN").table([row])
    lines = [line for line in out.getvalue().splitlines() if "|" in line]
    wide = [
        sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in line.split("|")[3]) for line in lines
    ]
    assert len(set(wide)) == 1, out.getvalue()


def test_a_chinese_progress_line_fits_the_terminal_in_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Chinese character takes two columns: a redrawn line cut by characters would wrap."""
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    view = LiveView(out, tty=True, locale="zh_CN")
    values = {"elapsed_s": 60.0, "limit_s": 14400.0, "voltage": Q_(4.0, "V"), "mode": "cv"}
    view.progress("wake_recharge", 0.2, values)
    drawn = out.getvalue().rsplit("\r\x1b[2K", 1)[1]
    assert columns(drawn) < 60 and drawn.endswith("~"), drawn
    assert drawn.startswith("  .. 唤醒与补充充电 [")


def test_live_words_are_the_panels() -> None:
    """The terminal and the operator panel show one run: one Chinese word per live value."""
    live, panel = cli_messages("zh_CN"), panel_messages("zh_CN")
    for value in ("voltage", "current", "mode", "temperature"):
        assert live[f"live.value.{value}"] == panel[f"panel.{value}"]
    assert panel["panel.elapsed"] in live["live.elapsed"]
    assert panel["panel.time_limit"] in live["live.elapsed_limit"]
    assert live["live.detail.simulated_fault"] == panel["panel.simulated_fault"]


def _run(capsys: pytest.CaptureFixture[str], station: Path) -> tuple[int, str, str]:
    number = register(capsys, station, "U-1")
    return cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--sim-fault",
        FAULT,
        "--station",
        str(station),
        "--yes",
    )


def test_a_run_on_a_chinese_station_is_shown_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = _run(capsys, _chinese(sim_station))
    assert code == 0, err
    assert english_left(out) == {}, out
    assert leaks(out) == {}, out
    assert f"== 单元 U-1  （模拟故障 {FAULT}）" in out
    assert (
        "  .. 唤醒与补充充电" in out and "已用时间 0:00:0" in out and "（时间上限 4:00:00）" in out
    )
    assert re.search(r"  => 合格\n     根本原因: \S", out), out
    assert re.search(r"^ 单元 +\| 模拟故障 +\| 判定 +\| 根本原因", out, re.M), out


def test_a_run_on_an_english_station_prints_as_before(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = _run(capsys, sim_station)
    assert code == 0, err
    lines = out.splitlines()
    assert f"== unit U-1  (simulated fault {FAULT})" in lines
    assert "  .. wake_recharge" in lines
    assert any(
        re.fullmatch(
            r"     wake_recharge   0% elapsed 0:00:0\d \(time limit 4:00:00\)  voltage \S+ V  "
            r"current \S+ A  mode CC(  temperature .*)?",
            line,
        )
        for line in lines
    ), out
    assert any(re.fullmatch(r"  ok   pack_tests \(\d+ values, \d+\.\d\d s\)", x) for x in lines)
    assert "  => pass" in lines and "     root_cause: over_discharge_in_storage" in lines
    header = next(line for line in lines if line.startswith(" unit "))
    assert [h.strip() for h in header.split("|")] == [
        "unit",
        "fault (sim)",
        "verdict",
        "root cause",
        "symptom",
        "disposition",
        "run",
    ]
    assert re.search(rf"^ U-1 +\| {FAULT} +\| pass +\| over_discharge_in_storage +\|", out, re.M)


@pytest.mark.slow
def test_the_demo_on_a_chinese_station_is_shown_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path
) -> None:
    station = _chinese(sim_station)
    report = tmp_path / "demo.html"
    code, out, err = cli(capsys, "demo", "--station", str(station), "--out", str(report))
    assert code == 0, err
    assert english_left(out) == {}, out
    assert re.search(
        r"^客诉 CC-\d{4}-\d{4}：7 个退回电池包（PB-1S2P-18650-5200），测试台 sim-test$", out, re.M
    )
    assert f"HTML 报告：{report}" in out
    assert 'lang="zh' in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("recorded", ["", "V1x"])
def test_a_run_kept_in_its_journal_is_said_in_the_station_s_language(recorded: str) -> None:
    """The notice ``packbench run`` prints for a run the store could not take (the outcome's
    message stays English: ``--json`` carries it)."""
    now = datetime.now(UTC)
    ref = SimpleNamespace(complaint_number="CC-2026-0001", serial="U-1")
    recorder = SimpleNamespace(
        pending_journal=Path("journal/run.jsonl"), outage="OperationalError: locked", run_id=None
    )
    result = SimpleNamespace(
        verdict=Verdict.PASS, outcome=RunOutcome(Verdict.PASS, now, recorded), steps=[]
    )
    outcome = _unit_outcome(ref, recorder, result, "")  # type: ignore[arg-type]
    assert outcome.message.startswith("results store unavailable (OperationalError: locked)")
    assert pending_notice(outcome, "en") == f"unit U-1: {outcome.message}"
    chinese = pending_notice(outcome, "zh_CN")
    assert chinese.startswith("unit U-1: 结果存储不可用（OperationalError: locked）"), chinese
    assert chinese.endswith(recorded) and str(Path("journal/run.jsonl")) in chinese
    assert leaks(chinese) == {}, chinese
