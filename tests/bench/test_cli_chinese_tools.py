"""``verify``, ``sync status``, ``sync``'s progress lines and ``instruments check`` on a zh_CN
station: the lines from the command line's catalogue, an instrument's self-test read back through
``self_test.*``; no English catalogue sentence. English output is the other tests' (verify,
sync, instruments check)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, register
from catalogue_leaks import leaks
from test_cli_chinese import _chinese

from bench.cli_words import cli_messages, read_back


def test_verify_sync_status_and_instruments_check_speak_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    station = _chinese(sim_station)
    station.write_text(
        station.read_text(encoding="utf-8").replace('model = "DL3021"', 'model = "IT8511"')
    )
    register(capsys, station, "SN-0001")
    s = ("--station", str(station))
    said = {}
    for name, args in {
        "verify": ("verify", *s),
        "sync": ("sync", "status", *s),
        "instruments": ("instruments", "check", *s),
    }.items():
        code, out, err = cli(capsys, *args)
        assert code == 0, (args, out, err)
        said[name] = out
    zh = cli_messages("zh_CN")
    assert said["verify"].startswith(zh["verify.full"] + "：已校验 ")
    assert said["sync"] == "待发送 0 个，已发送 0 个，被拒绝 0 个\n"
    assert "通过（无自检命令；识别帧与电压/电流读数均有应答：" in said["instruments"]
    assert "通过（*ESR? 错误位均为 0）" in said["instruments"]
    assert "      型号标识  ITECH IT8511" in said["instruments"]
    everything = "\n".join(said.values())
    assert leaks(everything) == {}, everything
    for english in ("checked", "audit events", "pending", "identity", "pass", "BAD", "ok "):
        assert english not in everything, (english, everything)


@pytest.mark.parametrize(
    ("line", "chinese"),
    [
        ("run 4 (abc-1): sent", "测试 4（abc-1）：已发送"),
        ("run 4 (abc-1): refused HTTP 422: bad unit", "测试 4（abc-1）：被拒绝 HTTP 422: bad unit"),
        ("blob ab12: resuming at byte 10 of 99", "数据块 ab12：从第 10 字节（共 99 字节）继续上传"),
    ],
)
def test_sync_s_progress_lines_read_back_in_chinese_and_stay_in_english(
    line: str, chinese: str
) -> None:
    assert read_back(line, "zh_CN", "sync_line.") == chinese
    assert read_back(line, "en", "sync_line.") == line


def test_doctor_speaks_chinese(capsys: pytest.CaptureFixture[str], sim_station: Path) -> None:
    """Marks, check names, each finding and its fix (the store not created yet: a warning with
    a fix) from the catalogue; an instrument's role as the station file names it."""
    station = _chinese(sim_station)
    code, out, err = cli(capsys, "doctor", "--station", str(station))
    assert code == 0, out + err
    zh = cli_messages("zh_CN")
    lines = out.splitlines()
    assert lines[0].startswith(zh["doctor.mark.ok"] + "  " + zh["doctor_check.station_file"])
    assert "：测试台 sim-test（模拟）" in lines[0]
    assert any(line.startswith(zh["doctor.mark.warning"]) for line in lines), out
    assert "解决：无需处理，或现在用 `packbench db upgrade` 创建" in out
    assert "自检 通过；通道 1, 2, 3 输出已关闭（已回读确认）" in out
    assert zh["doctor_detail.watchdog_ok"] in out
    assert leaks(out) == {}, out
    for english in ("self-test", "Fix:", "station file", "WARN", "reachable", "read back"):
        assert english not in out, (english, out)
