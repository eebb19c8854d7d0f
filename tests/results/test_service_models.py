"""The service account tables come from Alembic (revision 0004), also on older stores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from results.db import make_engine
from results.migrations import config, downgrade, upgrade
from results.service_models import ServiceToken, ServiceUser


def test_migrations_form_one_line_ending_in_the_service_tables(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(config(tmp_path / "x.sqlite3"))
    heads = script.get_heads()
    assert len(heads) == 1, f"the migration chain forked: heads {heads}"
    revisions = {r.revision for r in script.walk_revisions()}
    assert "0004" in revisions


def test_upgrade_creates_and_downgrade_drops_the_account_tables(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    upgrade(path)
    engine = make_engine(path)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {ServiceUser.__tablename__, ServiceToken.__tablename__} <= tables
        downgrade(path, "0003")
        assert not {"service_user", "service_token"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_tables_made_by_the_old_create_all_are_adopted_with_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    upgrade(path, "0003")
    engine = make_engine(path)
    try:
        with engine.begin() as connection:
            ServiceUser.__table__.create(connection)  # what the service used to do itself
            ServiceToken.__table__.create(connection)
            connection.execute(
                ServiceUser.__table__.insert().values(
                    name="ada",
                    printed_name="Ada",
                    role="admin",
                    created_at=datetime.now(UTC),
                    created_by="bootstrap",
                    active=True,
                )
            )
        upgrade(path)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM service_user")).scalars().all() == [
                "ada"
            ]
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == ScriptDirectory.from_config(config(path)).get_current_head()
    finally:
        engine.dispose()
