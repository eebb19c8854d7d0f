"""Which store a command uses: one rule for every command, and a way to say which it chose.

``--database URL`` (on the command, or before it: ``packbench --database URL run ...``), else
``$PACKBENCH_DATABASE_URL``, else the station file's ``[station] database``, else the SQLite file
in the user data directory. The same order for ``run``, ``db upgrade``, ``complaint new``,
``serve`` and the rest: a bench and the QA service pointed at one PostgreSQL by the environment
must not have one command quietly writing to a local file instead. ``--verbose`` (or
``packbench doctor``) prints the choice and where it came from, with any password hidden.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bench.config import StationConfig

DATABASE_ENV = "PACKBENCH_DATABASE_URL"
OPTION = "--database"


@dataclass(frozen=True)
class StoreChoice:
    target: str
    """A SQLAlchemy URL or a SQLite path."""
    origin: str
    """``--database``, ``$PACKBENCH_DATABASE_URL``, ``station.database (<file>)`` or
    ``default (user data directory)``: also the name an error about the store gives."""

    def shown(self) -> str:
        """The target with any password replaced by ``***`` (safe for logs and screens)."""
        return shown(self.target)


def shown(target: str) -> str:
    if "://" not in target:
        return target
    try:
        return make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        return target


def choose_store(
    config: StationConfig, option: str | None, environ: dict[str, str] | None = None
) -> StoreChoice:
    """The store by the rule of the module docstring (an empty value counts as not given)."""
    env = os.environ if environ is None else environ
    if option is not None and option.strip():
        return StoreChoice(option.strip(), OPTION)
    from_env = env.get(DATABASE_ENV, "").strip()
    if from_env:
        return StoreChoice(from_env, f"${DATABASE_ENV}")
    if config.database_from_file:
        return StoreChoice(config.database, f"station.database ({config.source})")
    return StoreChoice(config.database, "default (user data directory)")


def with_store(config: StationConfig, choice: StoreChoice) -> StationConfig:
    """The station with the chosen store in place of its own (``database_origin`` says why)."""
    return replace(config, database=choice.target, database_origin=choice.origin)
