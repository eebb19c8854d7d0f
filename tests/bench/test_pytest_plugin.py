"""The pytest plugin as a user gets it: loaded through the package's ``pytest11`` entry point,
markers registered under ``--strict-markers``, fixtures running real diagnoses on simulated
benches."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bench_helpers import PYTHON, child_env

USER_TESTS = """
import pytest

@pytest.mark.sim_fault("open_fuse")
def test_open_fuse(sim_bench):
    result = sim_bench.diagnose()
    assert sim_bench.conclusion(result, "root_cause") == "fuse_open"
    assert not sim_bench.state()["load"]["input_on"]

def test_default_is_healthy(sim_bench):
    assert sim_bench.fault == "healthy"
    assert sim_bench.instruments.multimeter.dc_voltage().m_as("V") > 3.0

def test_factory(sim_bench_factory):
    bench = sim_bench_factory(fault="aged_cell", load_model="IT8511")
    result = bench.diagnose()
    assert bench.conclusion(result, "root_cause") == "cell_aged_high_resistance"

@pytest.mark.sim_fault("open_fuse")
def test_wrong_expectation_fails(sim_bench):
    result = sim_bench.diagnose()
    assert sim_bench.conclusion(result, "root_cause") == "customer_misjudgement"
"""


@pytest.mark.slow
def test_plugin_fixtures_and_markers(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "pytest",
            "--strict-markers",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
    )
    assert "1 failed, 3 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert "test_wrong_expectation_fails" in done.stdout  # the fixture can make a test fail
    assert "not registered" not in done.stdout  # --strict-markers accepted sim_fault
