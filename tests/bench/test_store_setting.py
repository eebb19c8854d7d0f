"""One store setting for every command: ``--database`` > ``$PACKBENCH_DATABASE_URL`` > station
file > default, and ``--verbose`` says which one a command used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli, register

from bench.config import load_station
from bench.errors import EXIT_STORE
from bench.store_setting import DATABASE_ENV, choose_store


def complaints_in(database: Path) -> list[str]:
    if not database.exists():
        return []
    connection = sqlite3.connect(database)
    try:
        return [row[0] for row in connection.execute("SELECT number FROM complaint")]
    finally:
        connection.close()


def test_precedence_of_the_four_sources(tmp_path: Path, home: Path) -> None:
    builtin = load_station(None)
    file_station = tmp_path / "s.toml"
    file_station.write_text('[station]\nid = "s"\nsimulated = true\ndatabase = "/srv/a.db"\n')
    from_file = load_station(file_station)
    env = {DATABASE_ENV: "postgresql+psycopg://bench@db/pb"}
    assert choose_store(from_file, "/tmp/opt.db", env).origin == "--database"
    assert choose_store(from_file, None, env).target == env[DATABASE_ENV]
    assert choose_store(from_file, None, env).origin == f"${DATABASE_ENV}"
    assert choose_store(from_file, None, {}).target == "/srv/a.db"
    assert choose_store(from_file, None, {}).origin.startswith("station.database (")
    assert choose_store(builtin, None, {DATABASE_ENV: "  "}).origin.startswith("default")
    assert choose_store(builtin, "", {}).target == builtin.database


@pytest.mark.parametrize("command", ["db upgrade", "complaint new", "run", "complaint list"])
def test_every_command_follows_the_environment(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sim_station: Path,
    command: str,
) -> None:
    """The station file names store.sqlite3; the environment names shared.sqlite3: every
    command writes (and reads) the shared one, and the station's file is never created."""
    shared = tmp_path / "shared.sqlite3"
    own = tmp_path / "store.sqlite3"
    monkeypatch.setenv(DATABASE_ENV, str(shared))
    if command == "db upgrade":
        code, out, err = cli(capsys, "db", "upgrade", "--station", str(sim_station))
        assert code == 0, err
        assert str(shared) in out and shared.exists()
    elif command == "complaint new":
        number = register(capsys, sim_station, "U-1")
        assert complaints_in(shared) == [number]
    elif command == "run":
        number = register(capsys, sim_station, "U-1")
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
            "--verbose",
        )
        assert code == 0, err
        assert f"store {shared} (from ${DATABASE_ENV})" in err
        connection = sqlite3.connect(shared)
        assert connection.execute("SELECT count(*) FROM run").fetchone() == (1,)
        connection.close()
    else:
        number = register(capsys, sim_station, "U-1")
        code, out, err = cli(capsys, "complaint", "list", "--station", str(sim_station))
        assert code == 0, err
        assert number in out
    assert not own.exists()


def test_the_option_wins_on_the_command_and_before_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sim_station: Path,
) -> None:
    monkeypatch.setenv(DATABASE_ENV, str(tmp_path / "shared.sqlite3"))
    chosen = tmp_path / "chosen.sqlite3"
    number = register(capsys, sim_station, "U-1")
    code, out, err = cli(
        capsys, "complaint", "list", "--station", str(sim_station), "--database", str(chosen), "-v"
    )
    assert code == 0 and number not in out
    assert f"store {chosen} (from --database)" in err
    code, out, err = cli(
        capsys,
        "--database",
        str(tmp_path / "shared.sqlite3"),
        "--verbose",
        "complaint",
        "list",
        "--station",
        str(sim_station),
    )
    assert code == 0 and number in out
    assert "(from --database)" in err


def test_verbose_hides_a_password_and_an_unreachable_store_is_named(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    url = "postgresql+psycopg://bench:s3cret@127.0.0.1:1/packbench"
    code, _out, err = cli(
        capsys, "complaint", "list", "--station", str(sim_station), "--database", url, "-v"
    )
    assert code == EXIT_STORE, err  # a server that does not answer is an outage, not a typo
    assert "s3cret" not in err
    assert "postgresql+psycopg://bench:***@127.0.0.1:1/packbench (from --database)" in err
    assert "--database (postgresql+psycopg://bench:***@" in err and "Fix:" in err
