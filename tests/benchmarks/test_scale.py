"""The scale harness builds what it says and times every read on it (a tiny store, SQLite).

The harness is run by hand at sizes no test can afford; this keeps it from rotting between those
runs: the build goes through the real intake and recorder in a worker process, every read runs,
and ``verify`` finds the store it built sound.
"""

from __future__ import annotations

from datetime import timedelta

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
    assert "verify --full: whole store (8 runs, 48 measurements, " in out, out
    assert "problems: none)" in out, out
    routine = next(line for line in out.splitlines() if "routine verify (store of 8 runs)" in line)
    assert "8 runs checked; problems: none" in routine, routine
    assert code in (0, 1)  # figures may miss on a loaded machine; the harness itself worked


def test_a_run_s_steps_follow_its_number_and_share_only_what_never_varies() -> None:
    shape = scale.Shape()
    at = scale.T0
    first, again, other = (list(scale._steps(shape, at, n)) for n in (5, 5, 6))
    values = [[m.value for m in s.measurements] for s in first]
    assert values == [[m.value for m in s.measurements] for s in again]
    assert values != [[m.value for m in s.measurements] for s in other]
    assert sum(len(s.measurements) for s in first) == shape.measurements
    assert [s.started for s in first] == [at + timedelta(seconds=30 * i) for i in range(15)]
    (trace,) = first[1].traces
    assert len(trace.time_s) == shape.samples and trace.timestamp == first[1].started
    assert trace.time_s is other[1].traces[0].time_s  # built once per worker, not per run


@pytest.mark.postgres
def test_the_builder_s_postgresql_connections_commit_without_waiting_for_the_flush() -> None:
    from sqlalchemy import text

    from results.db import make_engine
    from tests.required_services import PG_SERVER

    for engine, expected in (
        (scale.builder_engine(PG_SERVER), "off"),
        (make_engine(PG_SERVER), "on"),
    ):
        try:
            with engine.connect() as connection:
                assert connection.scalar(text("SHOW synchronous_commit")) == expected
        finally:
            engine.dispose()
