"""The station's ``[recording]`` section and what ``run`` does with it when the store fails.

The store faults themselves (a real lock, a stopped server, a full disk) are in
``test_store_faults``; here the store write is made to fail in-process, which is enough to check
the validator, the ``stop`` policy's wiring into the engine, and the exit statuses.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from bench_helpers import cli, register

from bench.config import load_station
from bench.errors import ConfigError
from results import journal_apply
from results.db import make_engine, read_session_factory
from results.models import ReturnedUnit, Run

RECORDING = """
[recording]
journal_dir = "{journal}"
on_store_unavailable = "stop"
retry_for = "1 s"
"""


def test_the_built_in_station_keeps_measuring_and_journals_in_the_data_dir(home: Path) -> None:
    config = load_station(None)
    assert config.recording.policy.on_unavailable == "continue"
    assert config.recording.policy.retry_for_s == 30.0
    assert config.recording.journal_dir == home / ".local" / "share" / "packbench" / "journal"


@pytest.mark.parametrize(
    ("table", "field", "fix"),
    [
        ('on_store_unavailable = "pause"', "recording.on_store_unavailable", '"continue"'),
        ("on_store_unavailable = 1", "recording.on_store_unavailable", "text"),
        ("retry_for = 30", "recording.retry_for", '"30 s"'),
        ('retry_for = "30 V"', "recording.retry_for", '"30 s"'),
        ('retry_for = "-1 s"', "recording.retry_for", '"30 s"'),
        ('journal_dir = ""', "recording.journal_dir", "text"),
        ("retries = 3", "recording.retries", "on_store_unavailable"),
    ],
)
def test_a_bad_recording_section_names_the_field_and_the_fix(
    sim_station: Path, table: str, field: str, fix: str
) -> None:
    sim_station.write_text(sim_station.read_text() + f"\n[recording]\n{table}\n")
    with pytest.raises(ConfigError) as raised:
        load_station(sim_station)
    assert raised.value.field == field
    assert fix in raised.value.fix


class Outage:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.on = True
        original = journal_apply.JournalApplier.step

        def step(applier: Any, record: Any) -> bool:
            if self.on:
                raise sqlite3.OperationalError("database is locked")
            return original(applier, record)

        monkeypatch.setattr(journal_apply.JournalApplier, "step", step)


def test_stop_ends_the_run_safely_and_recover_completes_it(
    sim_station: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The store takes the run's start, then refuses steps for longer than ``retry_for``: the
    station's ``stop`` policy ends the run before the next step (aborted, outputs off), exit 5;
    ``recover`` writes the journaled step and the end, once; ``verify`` passes."""
    journal = tmp_path / "journal"
    sim_station.write_text(sim_station.read_text() + RECORDING.format(journal=journal))
    number = register(capsys, sim_station, "STOP-1")
    outage = Outage(monkeypatch)
    code, out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "STOP-1",
        "--station",
        str(sim_station),
        "--yes",
    )
    assert code == 5, out + err
    assert "Traceback" not in out + err
    assert "packbench recover" in err
    assert "aborted" in out
    assert len(list(journal.glob("*.journal"))) == 1
    outage.on = False
    code, out, err = cli(capsys, "recover", "--station", str(sim_station))
    assert code == 0 and "1 run journal(s) recovered, 1 step(s) written" in out, out + err
    code, out, err = cli(capsys, "verify", "--station", str(sim_station))
    assert code == 0 and out.rstrip().endswith("OK"), out
    engine = make_engine(tmp_path / "store.sqlite3")
    try:
        with read_session_factory(engine)() as session:
            (run,) = session.query(Run).all()
            unit = session.get(ReturnedUnit, run.unit_id)
            assert [s.name for s in run.steps] == ["intake"]
            assert run.status == "finished" and run.verdict == "ABORTED"
            assert "on_store_unavailable" in run.message and "voltage_check" in run.message
            # an aborted run gives no diagnosis: the unit is back where it was (issue 11)
            assert unit is not None and unit.status == "received"
    finally:
        engine.dispose()
