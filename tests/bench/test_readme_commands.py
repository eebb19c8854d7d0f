"""Every command the README shows runs as written on a fresh clone after ``make demo``: the files
its command blocks name exist in the repository (or an earlier line of the same block makes
them), the answers file it names has its photos, and the cheap commands run."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from bench_helpers import REPO, cli, register

README = REPO / "README.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
INPUT_OPTIONS = {"--answers", "--station", "--config", "--spec"}
MAKES_A_FILE = {"--database", "--evidence-dir", "--out", "--output"}
FILE_SUFFIXES = (".toml", ".json", ".csv", ".jpg", ".png", ".yaml", ".yml")


def commands(text: str) -> list[list[list[str]]]:
    """Each ``sh`` block of the README as its commands (continuation lines joined, comments
    dropped), each command as its words."""
    blocks = []
    for body in BLOCK.findall(text):
        joined = body.replace("\\\n", " ")
        blocks.append([shlex.split(line, comments=True) for line in joined.splitlines()])
    return [[words for words in block if words] for block in blocks]


def named_files(block: list[list[str]]) -> list[str]:
    """Files the block's commands read that no earlier command of the block makes."""
    made: set[str] = set()
    needed: list[str] = []
    for words in block:
        for before, word in zip(["", *words], words, strict=False):
            if before in (">", *MAKES_A_FILE):
                made.add(word)
            elif word.startswith(">") and len(word) > 1:
                made.add(word[1:])
            elif (
                (before in INPUT_OPTIONS or word.endswith(FILE_SUFFIXES))
                and word not in made
                and not word.startswith(("-", "$", "http"))
            ):
                needed.append(word)
    return needed


def test_the_extraction_sees_the_blocks_and_the_files_they_name() -> None:
    blocks = commands(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    named = [f for block in blocks for f in named_files(block)]
    assert "examples/appearance/answers.toml" in named
    assert "bench/stations/simulated.toml" in named
    # a file an earlier line makes is not asked for; one nothing makes is
    made = [["tool", "--database", "x.toml"], ["tool", "--station", "x.toml"]]
    assert named_files(made) == []
    assert named_files([["tool", "--answers", "answers.toml"]]) == ["answers.toml"]


def test_every_file_the_readme_commands_name_exists_in_a_fresh_clone() -> None:
    missing = [
        name
        for block in commands(README.read_text(encoding="utf-8"))
        for name in named_files(block)
        if not (REPO / name).exists()
    ]
    assert missing == []


def test_the_readme_answers_file_names_photos_that_exist_and_runs(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path
) -> None:
    answers = REPO / "examples" / "appearance" / "answers.toml"
    photos = tomllib.loads(answers.read_text(encoding="utf-8"))["appearance"]["photo"]
    assert photos and all((answers.parent / p).is_file() for p in photos.values())
    number = register(capsys, sim_station, "SN-0001")
    code, out, err = cli(
        capsys, "run", "appearance", "--complaint", number, "--unit", "SN-0001",
        "--answers", str(answers), "--station", str(sim_station), "--operator", "li.na",
    )  # fmt: skip
    assert code == 0, (out, err)
    assert "no_fault_found" in out


def test_the_readme_station_commands_run_on_the_shipped_station(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, err = cli(
        capsys, "instruments", "check", "--station", str(REPO / "bench/stations/simulated.toml")
    )
    assert code == 0, (out, err)
