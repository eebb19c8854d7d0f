from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from results import migrations
from results.db import make_engine
from results.migrations import config, downgrade, upgrade
from results.models import Base
from results.store import open_store


def test_schema_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(config(db_url)).get_current_head()
    assert set(Base.metadata.tables) <= tables and version == head


def test_the_heads_read_from_the_version_files_are_alembics() -> None:
    """``at_head`` reads the heads from the files' lines, without alembic: they must agree."""
    alembic_heads = set(ScriptDirectory.from_config(config("sqlite://")).get_heads())
    assert migrations.head_revisions() == alembic_heads
    assert len(alembic_heads) == 1


def test_unreadable_revision_lines_fall_back_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (versions / "0002_b.py").write_text('revision = "0002"\ndown_revision = "0001"\n')
    monkeypatch.setattr(migrations, "VERSIONS", versions)
    monkeypatch.setattr(migrations, "_alembic_heads", lambda: {"from alembic"})
    assert migrations.head_revisions() == {"0002"}
    (versions / "0003_c.py").write_text('revision = make_id()\ndown_revision = "0002"\n')
    assert migrations.head_revisions() == {"from alembic"}


def test_migration_runs_down_and_up_again(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    upgrade(path)
    downgrade(path, "base")
    engine = make_engine(path)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(path)  # and the head is idempotent
    upgrade(path)


def test_sqlite_store_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    sessions = open_store(tmp_path / "s.sqlite3")
    with sessions() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    sessions.kw["bind"].dispose()


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="file path"):
        make_engine("sqlite://")


def test_trace_arrays_are_compressed_with_lz4_where_the_server_has_it(db_url: str) -> None:
    """Revision 0019: ``trace_channel.data`` compressed with LZ4 on a PostgreSQL built with it
    (pglz cost a third of a diagnosis-sized run's import); SQLite has nothing to set."""
    engine = make_engine(db_url)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("column compression is a PostgreSQL setting")
        with engine.connect() as connection:
            choices: list[str] = connection.execute(
                text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
            ).scalar_one()
            method = connection.execute(
                text(
                    "SELECT attcompression FROM pg_attribute "
                    "WHERE attrelid = 'trace_channel'::regclass AND attname = 'data'"
                )
            ).scalar()
    finally:
        engine.dispose()
    assert method == ("l" if "lz4" in choices else "")
