"""Bad input is refused before anything runs (exit 2, nothing written, no traceback), and a bug
of ours exits 70 with one line that points to the developers' log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register

import bench.runner
from bench.errors import EXIT_BAD_INPUT, EXIT_SOFTWARE
from procedures.context import StepContext
from procedures.engine import Procedure

DIAGNOSIS_ANSWERS = """
usage_device = {device}
usage_charger = "original"
usage_temperature = "normal"
usage_time_in_use = "1_to_12_months"
usage_location = "indoor"
known_good_pack_works = "yes"
pack_swelling = "none"
disassembly_confirm = true
cell_swelling = "none"
"""


def answers(tmp_path: Path, text: str, name: str = "answers.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_with(
    capsys: pytest.CaptureFixture[str], station: Path, number: str, procedure: str, file: Path
) -> tuple[int, str, str]:
    return cli(
        capsys,
        "run",
        procedure,
        "-c",
        number,
        "-u",
        "U-1",
        "--station",
        str(station),
        "--answers",
        str(file),
    )


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("device", "words"),
    [
        ("[1, 2]", ["usage_device: [1, 2] is not text", 'usage_device = "handheld scanner"']),
        ("42", ["usage_device: 42 is not text"]),
        ('"drill\\u200b"', ["usage_device", "invisible formatting character (U+200B)"]),
        ('"drill\\u001b[31m"', ["usage_device", "control character (U+001B)"]),
        ('"\\u202edrill"', ["usage_device", "(U+202E)"]),
    ],
    ids=["list", "number", "zero-width", "escape", "bidi-override"],
)
def test_bad_diagnosis_answers_are_refused_before_the_run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    device: str,
    words: list[str],
) -> None:
    number = register(capsys, sim_station, "U-1")
    before = dump(tmp_path / "store.sqlite3")
    file = answers(tmp_path, DIAGNOSIS_ANSWERS.format(device=device))
    code, _out, err = run_with(capsys, sim_station, number, "diagnosis", file)
    assert code == EXIT_BAD_INPUT, err
    for word in words:
        assert word in err
    assert "Fix:" in err and "Traceback" not in err
    assert dump(tmp_path / "store.sqlite3") == before


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            '"appearance.visual.dents" = "dent"',
            [
                "appearance.visual.dents: 'dent' is not one of the listed choices (none, minor, "
                "severe)",
                'appearance.visual.dents = "none"',
            ],
        ),
        ('"appearance.prepare" = 1', ["appearance.prepare: 1 is not true"]),
        ('"appearance.dim.length" = "1e30"', ["appearance.dim.length", "outside 0 .. 10000 mm"]),
        ('"appearance.dim.girth" = "5 mm"', ["appearance.dim.girth", "has no dimension"]),
        ('"appearance.visual.dent" = "none"', ["did you mean appearance.visual.dents"]),
    ],
    ids=["choice", "confirm", "range", "unknown-dimension", "typo"],
)
def test_bad_appearance_answers_are_refused_and_no_run_is_recorded(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    line: str,
    words: list[str],
) -> None:
    number = register(capsys, sim_station, "U-1")
    before = dump(tmp_path / "store.sqlite3")
    file = answers(tmp_path, line + "\n")
    code, _out, err = run_with(capsys, sim_station, number, "appearance", file)
    assert code == EXIT_BAD_INPUT, err
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert dump(tmp_path / "store.sqlite3") == before


def test_answers_are_normalised_nfkc_before_they_are_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    file = answers(tmp_path, DIAGNOSIS_ANSWERS.format(device='"Ｓｃａｎｎｅｒ\u00a0ＭＫ２"'))
    code, _out, err = run_with(capsys, sim_station, number, "diagnosis", file)
    assert code in (0, 1), err
    rows = query(
        tmp_path / "store.sqlite3", "SELECT text_value FROM measurement WHERE name = 'usage_device'"
    )
    assert rows == [("Scanner MK2",)]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--shipped", "99999999999999999999999", ["--shipped", "too large", "at most 2147483647"]),
        ("--defect", "-99999999999999999999999", ["--defect", "too small"]),
        ("--shipped", "ten", ["--shipped", "'ten' is not a whole number"]),
        ("--customer", "ACME\u200b", ["--customer", "U+200B"]),
        ("--received-by", "bob\x07", ["--received-by", "control character (U+0007)"]),
    ],
)
def test_bad_complaint_form_values_are_refused_without_a_trace(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    option: str,
    value: str,
    words: list[str],
) -> None:
    values = {
        "--customer": "ACME",
        "--model": "PB-1S2P-18650-5200",
        "--shipped": "100",
        "--defect": "1",
        "--symptom": "no_power_on",
        "--severity": "general",
        "--received-by": "tester",
    } | {option: value}
    argv = [word for pair in values.items() for word in pair]
    code, _out, err = cli(capsys, "complaint", "new", "--station", str(sim_station), *argv)
    assert code == EXIT_BAD_INPUT, err
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert not (tmp_path / "store.sqlite3").exists()


def test_full_width_serial_finds_its_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "ＵＮＩＴ－０１")
    assert query(tmp_path / "store.sqlite3", "SELECT serial FROM returned_unit") == [("UNIT-01",)]
    code, out, _err = cli(capsys, "complaint", "show", number, "--station", str(sim_station))
    assert code == 0 and "UNIT-01" in out


def test_a_bug_before_the_run_exits_70_with_one_line_and_the_devlog(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    devlog = tmp_path / "dev.log"
    monkeypatch.setenv("PACKBENCH_DEVLOG", str(devlog))
    number = register(capsys, sim_station, "U-1")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("lookup table broken near TCPIP::10.9.8.7::5025::SOCKET")

    monkeypatch.setattr(bench.runner, "find_unit", broken)
    code, _out, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--station", str(sim_station)
    )
    assert code == EXIT_SOFTWARE
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "software error (RuntimeError)" in lines[0]
    assert str(devlog) in lines[0] and "Traceback" not in err and "10.9.8.7" not in err
    logged = devlog.read_text()
    assert "Traceback" in logged and "lookup table broken" in logged


def test_a_bug_inside_a_step_is_an_error_run_without_traceback_evidence(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    devlog = tmp_path / "dev.log"
    monkeypatch.setenv("PACKBENCH_DEVLOG", str(devlog))
    number = register(capsys, sim_station, "U-1")

    def broken(ctx: StepContext) -> None:
        raise KeyError("rule table at TCPIP::10.9.8.7::5025::SOCKET")

    monkeypatch.setitem(
        bench.runner.PROCEDURES, "diagnosis", lambda fixtures, config: Procedure("d", "1", [broken])
    )
    code, _out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U-1",
        "--yes",
        "--station",
        str(sim_station),
    )
    assert code == EXIT_SOFTWARE, err
    database = tmp_path / "store.sqlite3"
    assert query(database, "SELECT count(*) FROM attachment") == [(0,)]
    (reason,) = query(database, "SELECT message FROM run")[0]
    assert "software error: KeyError" in str(reason) and "10.9.8.7" not in str(reason)
    assert "Traceback" in devlog.read_text()
    report = tmp_path / "report.html"
    code, _out, err = cli(
        capsys, "report", number, "--out", str(report), "--station", str(sim_station)
    )
    assert code == 0, err
    html = report.read_text()
    assert "traceback" not in html.lower() and "10.9.8.7" not in html


def test_typed_text_is_normalised_and_asked_again_when_it_hides_a_character() -> None:
    import io

    from bench.terminal_prompts import TerminalPrompts

    out = io.StringIO()
    typed = iter(["drill\x1b[2J\n", "ｄｒｉｌｌ\u00a0X\n"])
    prompts = TerminalPrompts(read_line=lambda: next(typed, ""), out=out)
    assert prompts.text("usage_device", "Device?") == "drill X"
    assert "control character (U+001B)" in out.getvalue()
