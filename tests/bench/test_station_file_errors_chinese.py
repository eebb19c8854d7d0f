"""A refused station file (``ConfigError``) in the language its ``[station] language`` names,
read from the file without the checks that refused it; English stations, and a file that is no
TOML at all, print what they printed. Every station-file refusal worded in ``bench/`` (found by
walking the source) has a ``station_problem.*`` template that reads it back."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_helpers import cli
from catalogue_leaks import leaks
from source_words import call_name, message_format

from bench.cli_words import config_error_text
from bench.config import load_station
from bench.errors import ConfigError

BENCH = Path(__file__).resolve().parents[2] / "bench"
PROBLEM_FUNCTIONS = {"_quantity_problem_text", "channel_problem"}
"""Functions that word a station-file problem as a (problem, fix) pair."""


def _station_refusals() -> Iterator[tuple[str, str, str]]:
    """(where, problem, fix) of every ``ConfigError`` worded in ``bench/``: the exception's own
    calls, the station reader's ``fail`` and the (problem, fix) pairs of PROBLEM_FUNCTIONS."""
    for path in sorted(BENCH.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(BENCH.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = call_name(node)
                positions = {"ConfigError": (2, 3)}.get(name)
                if name == "fail" and path.name == "config.py":  # _Reader.fail(key, problem, fix)
                    positions = (1, 2)
                args = node.args
                starred = any(isinstance(a, ast.Starred) for a in args)  # a PROBLEM_FUNCTION's
                if positions and len(args) > positions[1] and not starred:
                    problem, fix = (message_format(args[i]) for i in positions)
                    if (problem, fix) != ("{x}", "{x}"):  # handed on from its caller
                        yield f"{where}:{node.lineno}", problem, fix
            if isinstance(node, ast.FunctionDef) and node.name in PROBLEM_FUNCTIONS:
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple):
                        problem, fix = (message_format(e) for e in ret.value.elts)
                        yield f"{where}:{ret.lineno}", problem, fix


def _sample(text: str, start: int) -> str:
    count = iter(range(start, start + 100))
    return re.sub(
        r"\{x(!r)?\}",
        lambda m: repr(f"V{next(count)}x") if m.group(1) else f"V{next(count)}x",
        text,
    ).format()


REFUSALS = sorted(_station_refusals())


def test_the_walk_finds_the_station_refusals() -> None:
    assert len(REFUSALS) > 50


@pytest.mark.parametrize(("where", "problem", "fix"), REFUSALS, ids=[w for w, *_ in REFUSALS])
def test_a_station_refusal_reads_back_in_chinese(where: str, problem: str, fix: str) -> None:
    refused = ConfigError("bench.toml", "station.x", _sample(problem, 0), _sample(fix, 50))
    chinese = config_error_text(refused, "zh_CN")
    assert config_error_text(refused, "en") == str(refused)
    assert chinese != str(refused), f"{where}: no station_problem.* template reads {refused}"
    assert re.search(r"[\u4e00-\u9fff]", chinese) and leaks(chinese) == {}, (where, chinese)
    assert chinese.startswith("bench.toml：station.x："), chinese


def _station(tmp_path: Path, language: str, extra: str = 'colour = "blue"') -> Path:
    path = tmp_path / f"{language}.toml"
    path.write_text(
        f'[station]\nid = "B1"\nsimulated = true\nlanguage = "{language}"\n{extra}\n',
        encoding="utf-8",
    )
    return path


def test_a_chinese_station_file_is_refused_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    station = _station(tmp_path, "zh_CN")
    code, out, err = cli(capsys, "complaint", "list", "--station", str(station))
    assert (code, out) == (2, "")
    assert err == (
        f"packbench: {station}：station.colour：未知的键；请删除，或使用以下之一：database, "
        "evidence_dir, id, language, operator, simulated\n"
    )


def test_an_english_station_file_is_refused_as_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    station = _station(tmp_path, "en")
    with pytest.raises(ConfigError) as refused:
        load_station(station)
    code, out, err = cli(capsys, "complaint", "list", "--station", str(station))
    assert (code, out, err) == (2, "", f"packbench: {refused.value}\n")
    assert "Fix: remove it or use one of" in err


def test_a_file_that_is_no_toml_is_refused_in_english(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No language can be read from it: the TOML parser's own words, in English."""
    station = tmp_path / "broken.toml"
    station.write_text('[station\nlanguage = "zh_CN"\n', encoding="utf-8")
    code, _, err = cli(capsys, "complaint", "list", "--station", str(station))
    assert code == 2 and "Fix: correct the TOML syntax" in err, err


def test_a_refused_quantity_is_said_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    station = _station(tmp_path, "zh_CN", '[limits]\nmax_voltage = "5 A"')
    code, _, err = cli(capsys, "complaint", "list", "--station", str(station))
    assert code == 2 and "'5 A' 的单位是 A，不是 'V' 的单位" in err, err
    assert leaks(err) == {}, err


def test_doctor_names_a_chinese_station_file_s_problem_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One row: the problem and its fix read back as one sentence (no English fix row)."""
    station = _station(tmp_path, "zh_CN")
    code, out, _ = cli(capsys, "doctor", "--station", str(station))
    assert code == 2
    row = next(line for line in out.splitlines() if "station.colour" in line)
    assert row.endswith(f"{station}：station.colour：未知的键；请删除，或使用以下之一：database, "
                        "evidence_dir, id, language, operator, simulated")  # fmt: skip
    assert "remove it" not in out and leaks(out) == {}, out


def test_doctor_on_an_english_station_file_prints_as_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    station = _station(tmp_path, "en")
    code, out, _ = cli(capsys, "doctor", "--station", str(station))
    assert code == 2
    assert (
        f"FAIL  station file {station}: station.colour: unknown key\n{'':19}Fix: remove it or use "
        "one of: database, evidence_dir, id, language, operator, simulated\n"
    ) in out
