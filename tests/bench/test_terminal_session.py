"""A real terminal (pexpect pty): the operator answers the intake at the keyboard and the
recharge draws its progress bar in place."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest
from bench_helpers import PYTHON, child_env, register

TTY_TIMEOUT_S = 90
"""How long one expected line may take: a bound for a 2-core machine running the suite on
several xdist workers beside it, not a speed claim."""


def test_prompts_and_progress_bar_on_a_tty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "TTY-1")
    child = pexpect.spawn(
        PYTHON,
        [
            "-m",
            "bench.cli",
            "run",
            "diagnosis",
            "-c",
            number,
            "-u",
            "TTY-1",
            "--station",
            str(sim_station),
        ],
        env=child_env(tmp_path),
        encoding="utf-8",
        timeout=TTY_TIMEOUT_S,
        dimensions=(40, 200),
    )
    try:
        child.expect_exact("Operator (your name) [tester]: ")  # asked at a terminal, per run
        child.sendline("li.na")
        child.expect_exact("Which device did the customer use the pack in?")
        child.expect_exact("> ")
        child.sendline("barcode scanner")
        child.expect_exact("Which charger was used?")
        child.expect(r"1\) original\s+2\) third_party")
        child.sendline("7")  # out of range: asked again
        child.expect_exact("answer 1..3")
        child.sendline("1")
        # ... and the look at the closed pack (1: none, no bulge)
        for question in (
            "Ambient temperature",
            "How long",
            "Where was it",
            "known-good pack",
            "is it swollen",
        ):
            child.expect_exact(question)
            child.expect_exact("> ")
            child.sendline("1")
        child.expect(r"wake_recharge \[[#-]{24}\] +\d+% elapsed \d:\d\d:\d\d \(time limit ")
        child.expect(r"voltage \d\.\d+ V  current \d\.\d+ A  mode (CC|CV)")
        child.expect_exact("open the pack")
        child.expect_exact("[Enter when done, 'abort' to stop]")
        child.sendline("")
        child.expect_exact("Look at the opened cells")  # the look at the cells: 1) none
        child.expect_exact("> ")
        child.sendline("1")
        child.expect(r"=> (pass|marginal)")
        child.expect(r"TTY-1 +\| +healthy +\| +(pass|marginal) +\| +customer_misjudgement")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_abort_at_a_prompt_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "TTY-2")
    child = pexpect.spawn(
        PYTHON,
        [
            "-m",
            "bench.cli",
            "run",
            "diagnosis",
            "-c",
            number,
            "-u",
            "TTY-2",
            "--station",
            str(sim_station),
        ],
        env=child_env(tmp_path),
        encoding="utf-8",
        timeout=TTY_TIMEOUT_S,
    )
    try:
        child.expect_exact("Operator (your name) [tester]: ")
        child.sendline("")  # the station file's operator
        child.expect_exact("Which device did the customer use the pack in?")
        child.sendline("abort")
        child.expect(r"ABRT intake .*operator aborted")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
