"""Alembic environment of the results store, runnable without an ``alembic.ini``.

``upgrade(target)`` is what services and tests call; the ``alembic`` command line works too
(``alembic -c results/migrations/alembic.ini`` is not needed: see ``config()``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from results.db import READ_ONLY_OPTION, database_url, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

# alembic (with mako and pygments) is imported by the functions that migrate, not here: every
# process that opens a store imports this module, and one whose schema is current (nearly every
# command, run and watchdog) needs only ``at_head``, which reads the heads without it.

HERE = Path(__file__).resolve().parent
VERSIONS = HERE / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def config(target: str | Path) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    # The URL travels in attributes, not the ini options, whose % interpolation would mangle
    # percent-encoded URLs (e.g. a PostgreSQL search_path option).
    cfg.attributes["url"] = database_url(target)
    return cfg


def at_head(target: str | Path) -> bool:
    """Is the schema at ``target`` the newest? Read without a write lock, so a store that another
    process holds busy can still be opened (and read, and recorded into via the run journal)."""
    heads = head_revisions()
    engine = make_engine(target)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{READ_ONLY_OPTION: True})
            query = text("SELECT version_num FROM alembic_version")
            found: set[str] = set(connection.execute(query).scalars())
    except DBAPIError:
        return False  # no schema yet (or unreadable): let upgrade say what is wrong
    finally:
        engine.dispose()
    return found == heads


def head_revisions() -> set[str]:
    """The newest revision(s), read from the ``revision`` and ``down_revision`` lines of the
    version files rather than by importing alembic and every migration (about 0.3 s of CPU per
    process; alembic's own ``ScriptDirectory.get_heads`` when a file's lines cannot be read so).
    ``tests/results/test_migrations.py`` checks the two agree."""
    links: dict[str, tuple[str, ...]] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        if path.name == "__init__.py":
            continue
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return _alembic_heads()
        if not isinstance(revision, str) or not (
            down is None
            or isinstance(down, str)
            or (isinstance(down, tuple) and all(isinstance(d, str) for d in down))
        ):
            return _alembic_heads()
        links[revision] = () if down is None else (down,) if isinstance(down, str) else down
    return set(links) - {d for downs in links.values() for d in downs}


def _alembic_heads() -> set[str]:
    """The heads as alembic finds them (every version module imported)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(config("sqlite://")).get_heads())


def upgrade(target: str | Path, revision: str = "head") -> None:
    """Bring the schema at ``target`` (path or URL) up to ``revision``, creating it if empty."""
    from alembic import command

    cfg = config(target)
    engine = make_engine(target)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def downgrade(target: str | Path, revision: str) -> None:
    from alembic import command

    cfg = config(target)
    engine = make_engine(target)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()
