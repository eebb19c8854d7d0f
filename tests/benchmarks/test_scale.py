"""The scale harness builds what it says and times every read on it (a tiny store, SQLite).

The harness is run by hand at sizes no test can afford; this keeps it from rotting between those
runs: the build goes through the real intake and recorder in a worker process, every read runs,
and ``verify`` finds the store it built sound.
"""

from __future__ import annotations

import pytest

from benchmarks import scale


def test_units_per_complaint_puts_the_hundred_run_complaint_first_and_spreads_the_rest() -> None:
    counts = scale.units_per_complaint(1_000, 100)
    assert counts[0] * scale.RUNS_PER_UNIT == scale.FIRST_COMPLAINT_RUNS
    assert sum(counts) * scale.RUNS_PER_UNIT == 1_000
    assert max(counts[1:]) - min(counts[1:]) <= 1


@pytest.mark.parametrize("via", scale.VIAS)
def test_a_small_store_is_built_and_every_read_timed(
    via: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--runs", "8", "--complaints", "3", "--steps", "3", "--measurements", "6"]
    code = scale.main([*args, "--samples", "20", "--via", via])
    out = capsys.readouterr().out
    assert "build: 8 runs (3 steps, 6 measurements, 20-sample trace)" in out, out
    assert "intake: 3 complaints, 4 units registered through intake" in out, out
    for read in ("list:", "filter:", "pareto:", "kpi:", "complaint:"):
        assert f"{read}" in out and "(store of 8 runs)" in out, out
    assert "verify: whole store (8 runs, 48 measurements, 0 problems)" in out, out
    assert code in (0, 1)  # figures may miss on a loaded machine; the harness itself worked
