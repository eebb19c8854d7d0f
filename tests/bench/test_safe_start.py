"""Safe start in the store: dead runs closed once, other hosts left alone, units set back.

Also: a run that ends in error or abort leaves its unit where it was before the bench took it,
and the watchdog's self-test (for ``packbench doctor``) names the problem and its fix.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench_helpers import cli, register
from sqlalchemy import select, update

from bench import watchdog
from bench.cli_words import cli_messages
from bench.config import load_station
from bench.runner import PROCEDURES, find_unit, open_store_for, run_unit
from bench.safe_start import status_before_bench
from bench.terminal_prompts import TerminalPrompts
from procedures.engine import Procedure, Step
from procedures.errors import RunAborted
from procedures.records import RunInfo, Verdict
from results.complaints import set_unit_status
from results.models import ReturnedUnit, Run, UnitStatus
from results.recorder import DatabaseRecorder, this_host
from results.store import open_store

SERIAL = "SS-1"


def dead_pid() -> int:
    """A pid of this host that no longer runs (a finished, reaped child)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def started_run(database: Path, complaint: str, *, host: str, pid: int) -> int:
    """A run left ``running`` by process ``host:pid``, its unit on the bench."""
    sessions = open_store(database, migrate=False)
    with sessions() as session:
        unit = session.scalars(select(ReturnedUnit).where(ReturnedUnit.serial == SERIAL)).one()
        unit_id = unit.id
    with sessions.begin() as session:
        set_unit_status(session, unit_id, UnitStatus.ON_BENCH, actor="tester")
    recorder = DatabaseRecorder(sessions, unit_id=unit_id)
    recorder.run_started(
        RunInfo(
            "diagnosis",
            "1",
            "sim-test",
            "tester",
            "PB-1S2P-18650-5200",
            SERIAL,
            complaint,
            datetime.now(UTC),
        )
    )
    recorder.close()
    assert recorder.run_id is not None
    with sessions.begin() as session:
        session.execute(update(Run).where(Run.id == recorder.run_id).values(host=host, pid=pid))
    return recorder.run_id


def run_row(database: Path, run_id: int) -> tuple[str, str | None, str]:
    with open_store(database, migrate=False)() as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run.status, run.verdict, run.message


def status(database: Path) -> str:
    with open_store(database, migrate=False)() as session:
        return session.scalars(
            select(ReturnedUnit.status).where(ReturnedUnit.serial == SERIAL)
        ).one()


def test_a_chinese_station_says_the_dead_run_in_chinese(
    sim_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runner's notice (``run_notice.*`` read back) in the station's language."""
    text = sim_station.read_text(encoding="utf-8")
    sim_station.write_text(
        text.replace('operator = "tester"', 'operator = "tester"\nlanguage = "zh_CN"', 1),
        encoding="utf-8",
    )
    complaint = register(capsys, sim_station, SERIAL)
    run_id = started_run(tmp_path / "store.sqlite3", complaint, host=this_host(), pid=dead_pid())
    code, _out, err = cli(capsys, "complaint", "list", "--station", str(sim_station))
    assert code == 0
    said = cli_messages("zh_CN")["run_notice.interrupted_set_back"].format(
        run=run_id, procedure="diagnosis", serial=SERIAL, unit=SERIAL, status="received"
    )
    assert f"packbench: {said}" in err.splitlines(), err
    assert "marked interrupted" not in err and "its process is gone" not in err


def test_any_command_closes_a_dead_run_of_this_host_and_says_so_once(
    sim_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "store.sqlite3"
    complaint = register(capsys, sim_station, SERIAL)
    run_id = started_run(database, complaint, host=this_host(), pid=dead_pid())
    code, _out, err = cli(capsys, "complaint", "list", "--station", str(sim_station))
    assert code == 0
    assert err.count("marked interrupted") == 1, err
    assert f"run {run_id} (diagnosis, unit {SERIAL}) marked interrupted" in err
    assert f"unit {SERIAL} set back to received" in err
    state, verdict, message = run_row(database, run_id)
    assert (state, verdict) == ("interrupted", "ABORTED")
    assert "ended without finishing the run" in message and "found by a later command" in message
    assert status(database) == "received"
    code, _out, err = cli(capsys, "complaint", "show", complaint, "--station", str(sim_station))
    assert code == 0 and "marked interrupted" not in err  # said once
    code, _out, err = cli(capsys, "verify", "--station", str(sim_station))
    assert code == 0, _out + err


def test_a_run_of_another_host_is_left_alone_and_shown_unknown(
    sim_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "store.sqlite3"
    complaint = register(capsys, sim_station, SERIAL)
    run_id = started_run(database, complaint, host="other-bench", pid=dead_pid())
    code, out, err = cli(capsys, "complaint", "show", complaint, "--station", str(sim_station))
    assert code == 0 and "marked interrupted" not in err
    assert "unknown" in out
    code, out, _ = cli(
        capsys, "complaint", "show", complaint, "--station", str(sim_station), "--json"
    )
    (unit,) = json.loads(out)["units"]
    assert unit["in_progress"] == [
        {
            "run_id": run_id,
            "host": "other-bench",
            "pid": unit["in_progress"][0]["pid"],
            "process": "unknown",
        }
    ]
    assert run_row(database, run_id)[0] == "running"
    assert status(database) == "on_bench"


def test_a_unit_goes_back_to_its_status_before_the_bench(
    sim_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    complaint = register(capsys, sim_station, SERIAL)
    sessions = open_store(tmp_path / "store.sqlite3", migrate=False)
    with sessions.begin() as session:
        unit_id = session.scalars(select(ReturnedUnit.id)).one()
        assert status_before_bench(session, unit_id) == "received"
        set_unit_status(session, unit_id, UnitStatus.ANALYSED, actor="t", disposition="scrap")
        set_unit_status(session, unit_id, UnitStatus.ON_BENCH, actor="t")
        set_unit_status(session, unit_id, UnitStatus.ON_BENCH, actor="t")  # a second, crashed run
        assert status_before_bench(session, unit_id) == "analysed"
    assert complaint


def _procedure(step: Step) -> Procedure:
    return Procedure("broken", "1", [step])


def _boom(ctx: object) -> None:
    raise RuntimeError("a bug in a step")


def _abort(ctx: object) -> None:
    raise RunAborted("the operator stopped it")


@pytest.mark.parametrize(
    ("step", "verdict"),
    [(Step("boom", _boom), Verdict.ERROR), (Step("stop", _abort), Verdict.ABORTED)],
    ids=["error", "aborted"],
)
def test_unit_leaves_on_bench_after_an_errored_or_aborted_run(
    step: Step,
    verdict: Verdict,
    sim_station: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(PROCEDURES, "broken", lambda fixtures, options: _procedure(step))
    complaint = register(capsys, sim_station, SERIAL)
    config = load_station(sim_station)
    outcome = run_unit(
        config,
        procedure="broken",
        complaint=complaint,
        unit=SERIAL,
        prompts=TerminalPrompts(yes=True),
        handle_signals=False,
    )
    assert outcome.verdict is verdict
    assert status(tmp_path / "store.sqlite3") == "received"
    sessions = open_store_for(config)
    assert find_unit(sessions, complaint, SERIAL, None).serial == SERIAL


def test_watchdog_self_test_passes_on_this_host() -> None:
    assert watchdog.self_test() is None


def test_watchdog_self_test_names_an_unwritable_log_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    problem = watchdog.self_test()
    assert problem is not None
    assert "cannot write its log" in problem and "Fix:" in problem


def test_watchdog_runs_in_its_own_session(tmp_path: Path) -> None:
    """A kill of the runner's process group or a closed terminal cannot reach it."""
    import os

    plan = watchdog.Plan(
        runner_pid=os.getpid(),
        host=this_host(),
        station="t",
        station_file="",
        database=None,
        unit_id=None,
        targets=(),
        log_file=str(tmp_path / "watchdog.log"),
    )
    guard = watchdog.Watchdog.start(plan)
    try:
        assert os.getsid(guard.pid) == guard.pid != os.getsid(0)
        assert os.getpgid(guard.pid) != os.getpgid(0)
    finally:
        guard.done(timeout=10)
    assert guard.process.returncode == 0


def test_no_run_starts_when_its_watchdog_cannot(
    sim_station: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complaint = register(capsys, sim_station, SERIAL)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    code, _out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        complaint,
        "-u",
        SERIAL,
        "--station",
        str(sim_station),
        "--yes",
    )
    assert code == 3, err
    assert "safety watchdog" in err and "Fix:" in err
    with open_store(tmp_path / "store.sqlite3", migrate=False)() as session:
        assert session.scalars(select(Run)).all() == []
    assert status(tmp_path / "store.sqlite3") == "received"


def test_watchdog_says_when_an_output_cannot_be_confirmed_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    monkeypatch.setattr(watchdog, "SAFE_DEADLINE_S", 0.6)
    monkeypatch.setattr(watchdog, "RETRY_PAUSE_S", 0.1)
    unreachable = watchdog.Target("source", "E36312A", "TCPIP::127.0.0.1::9::SOCKET", 0.2)
    (outcome,) = watchdog.switch_off((unreachable,), logging.getLogger("test.watchdog"))
    assert "safe state NOT confirmed" in outcome and "front panel" in outcome
