"""``packbench replay DIR`` speaks the recorded station's language (``bench.cli_replay``).

A session recorded on a zh_CN station (its ``station.toml`` copy says ``language = "zh_CN"``)
replays with the steps, the verdict table and the result lines in Chinese: none of the English
words of the catalogue entries it prints (``replay.*``, ``live.*`` of ``bench/locale``, taken
from the catalogue, not listed here) when it matches, when a command diverges and when a reply
changes the outcome. The instrument commands and replies are quoted as recorded; the error a
driver raised when the replay diverged is its own (English, as ``packbench run`` shows it). An
English recording prints what it printed (``tests/bench/test_session_replay.py``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_helpers import SIM_STATION, cli, register
from catalogue_leaks import cli_english_left, cli_english_pieces, leaks
from test_session_replay import _Capture, _copy, _edit, _index

from bench.cli_replay import _difference, _entry
from bench.cli_words import Words
from bench.session_files import MeasurementEntry, OutcomeEntry, StepEntry
from bench.session_replay import describe_entry, outcome_differences
from instruments.transports.replay import Exchange

PREFIXES = ("replay.", "live.")
"""The catalogue entries of what ``replay`` prints (its own lines, the live view's)."""
QUOTED = re.compile(r"'[^']*'|\S+\.jsonl|/\S+")
"""What a line quotes as recorded: a command or reply, a transcript file, a path."""


def english_left(text: str) -> dict[str, str]:
    """Key -> an English piece of a ``replay`` entry that ``text`` shows outside what it
    quotes as recorded."""
    return cli_english_left(text, PREFIXES, QUOTED)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A simulated diagnosis of one healthy unit on a zh_CN station, recorded (seed 3)."""
    base = tmp_path_factory.mktemp("recorded_zh")
    station = base / "sim.toml"
    text = SIM_STATION.format(database=base / "store.sqlite3", evidence=base / "evidence")
    station.write_text(
        text.replace('operator = "tester"', 'operator = "tester"\nlanguage = "zh_CN"', 1)
        + "seed = 3\n",
        encoding="utf-8",
    )
    capture = _Capture()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(capture.stdout),
        contextlib.redirect_stderr(capture.stderr),
    ):
        patch.setenv("XDG_DATA_HOME", str(base / "xdg"))
        number = register(capture, station, "REC-1")  # type: ignore[arg-type]
        code, out, err = cli(
            capture,  # type: ignore[arg-type]
            "run", "diagnosis", "-c", number, "-u", "REC-1", "--station", str(station), "--yes",
            "--record", str(base / "session"),
        )  # fmt: skip
        assert code == 0, out + err
        yield base / "session"


def test_a_matching_replay_is_said_in_the_recorded_station_s_language(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "replay", str(recorded))
    assert code == 0, out
    assert english_left(out) == {}, out
    assert leaks(out) == {}, out
    assert f"== 单元 REC-1  （回放 {recorded}）" in out
    assert re.search(
        rf"^回放 {re.escape(str(recorded))}：与录制一致（与 \d+ 台仪器通信 ", out, re.M
    )
    assert re.search(r"^ 单元 +\| 模拟故障 +\| 判定 +\| 根本原因", out, re.M), out


def test_a_divergence_is_said_in_the_recorded_station_s_language(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(recorded, tmp_path)
    found: list[int] = []

    def change(lines: list[dict[str, object]]) -> None:
        found.append(_index(lines, "write", "VOLT:DC:NPLC"))
        lines[found[0]]["data"] = "VOLT:DC:NPLC 100"

    _edit(folder, "dmm", change)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    # the step the divergence broke ends in the driver's own error (English, as on ``run``)
    table_on = out[out.index("\n 单元 ") :]
    assert english_left(table_on) == {}, out
    line = found[0]
    assert f"与录制不一致，位置：dmm 第 {line} 次通信（dmm.jsonl 第 {line + 1} 行，" in out, out
    assert "录制中为 发送 'VOLT:DC:NPLC 100'，回放中为 发送 'VOLT:DC:NPLC 1'" in out


def test_a_changed_outcome_is_said_in_the_recorded_station_s_language(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(recorded, tmp_path)

    def change(lines: list[dict[str, object]]) -> None:
        reading = _index(lines, "write", "READ?") + 1
        lines[reading]["data"] = f"{float(str(lines[reading]['data'])) + 0.001:+.8E}"

    _edit(folder, "dmm", change)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    assert english_left(out) == {}, out
    assert leaks(out) == {}, out
    assert "每次通信都与录制一致" in out and "但结果与录制的不同：" in out
    assert re.search(r"^    步骤 \S+：测量项 \S+：录制为 \S+ V，回放为 \S+ V$", out, re.M), out


def _differences() -> list[str]:
    """Every kind of line ``outcome_differences`` writes, once."""
    reading = MeasurementEntry(name="voltage_as_received", value=3.7, unit="V", verdict="pass")
    recorded = OutcomeEntry(
        verdict="pass",
        steps=[
            StepEntry(name="voltage_check", verdict="pass", measurements=[reading]),
            StepEntry(name="pack_tests", verdict="pass", measurements=[reading, reading]),
            StepEntry(name="board_tests", verdict="pass"),
        ],
        conclusions=[{"kind": "root_cause", "value": "fuse_open"}],
    )
    replayed = OutcomeEntry(
        verdict="fail",
        steps=[
            StepEntry(
                name="voltage_check",
                verdict="fail",
                measurements=[reading.model_copy(update={"value": 3.8})],
            ),
            StepEntry(name="pack_tests", verdict="pass", measurements=[reading]),
            StepEntry(name="disassembly", verdict="pass"),
        ],
    )
    return outcome_differences(recorded, replayed)


def test_every_difference_of_the_outcome_is_said_in_chinese() -> None:
    english = _differences()
    kinds = {k for k in cli_english_pieces(PREFIXES) if k.startswith("replay.difference.")}
    assert set(english_left("\n".join(english))) >= kinds  # each kind is there to be said
    said = [_difference(line, Words("zh_CN")) for line in english]
    assert english_left("\n".join(said)) == {} and leaks("\n".join(said)) == {}, said
    assert "步骤 电压检查：录制为 合格，回放为 不合格" in said, said
    assert "测试判定：录制为 合格，回放为 不合格" in said, said
    assert [_difference(line, Words()) for line in english] == english


def _entries() -> list[str]:
    """Each side of a divergence the replay words: every recorded exchange (``Exchange``), what a
    driver did, every stream entry (``describe_entry``) and replayed call."""
    exchanges = [
        Exchange("write", "VOLT:DC:NPLC 10"), Exchange("read", "+1.0E+00"),
        Exchange("write_raw", b"\xaa\x00"), Exchange("read_raw", b"\xaa\x01"),
        Exchange("timeout", ""), Exchange("error", "link down"), Exchange("reopen", ""),
        Exchange("reopen", "refused"),
    ]  # fmt: skip
    streams = [
        {"call": "sleep", "seconds": 1.5}, {"call": "now"}, {"call": "monotonic"},
        {"call": "move_to", "name": "pack", "cell": 0},
        {"call": "text", "id": "usage", "abort": True},
    ]  # fmt: skip
    did = ["read", "read raw", "send 'READ?'", "send raw b'\\xaa'", "the end of the recording",
           "nothing more (the run ended)", "sleep 1.5 s", "a now() reading",
           "a move to the pack fixture (cell 0)"]  # fmt: skip
    return [e.describe() for e in exchanges] + [describe_entry(e) for e in streams] + did


def test_every_side_of_a_divergence_is_said_in_chinese() -> None:
    english = _entries()
    kinds = {k for k in cli_english_pieces(PREFIXES) if k.startswith("replay.entry.")}
    assert set(english_left("\n".join(english))) >= kinds  # each kind is there to be said
    said = [_entry(text, Words("zh_CN")) for text in english]
    unread = [e for e, z in zip(english, said, strict=True) if e == z]
    assert unread == [] and english_left("\n".join(said)) == {}, said
    assert [_entry(text, Words()) for text in english] == english
